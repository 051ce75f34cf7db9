"""The school's settings file and the local authority's profile: read once, passed down as values."""
