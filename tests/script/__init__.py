"""Tests of broadcaster/script/: templates filled in the sandbox and cut into a program's parts."""
