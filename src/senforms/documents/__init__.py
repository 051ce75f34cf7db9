"""Word documents from the register: the catalogue of kinds, template context, templating, rendering, merging."""
