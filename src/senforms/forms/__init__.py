"""Filling a local authority's own forms: inspect a form, map its fields once, fill it for every pupil."""
