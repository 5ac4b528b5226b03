"""The desk's pages, one module each, with the API routes each page calls."""
