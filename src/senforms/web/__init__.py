"""The web app (`senforms serve`): a thin layer over the library API for people who don't use terminals.

Stages of a request: `app` (security rules for every page) → `views/` (one module per page group,
calling the library) → `jobs` (long work on the huey queue) → `files` (downloads by opaque id).
`store` is the database, `accounts` the users and their passwords, `datadir` the private folder
all of it lives in. No document logic lives here.
"""

from __future__ import annotations

from senforms.web.app import create_app

__all__ = ["create_app"]
