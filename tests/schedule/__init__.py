"""Tests of broadcaster/schedule/: loading, planning, plan files, exports, pictures."""
