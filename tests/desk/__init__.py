"""Tests of broadcaster/desk/: the web desk over HTTP."""
