"""Hostile input files made by code: see make.py."""
