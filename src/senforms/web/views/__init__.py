"""One module per group of pages; each a thin call of the library and the app's stores."""
