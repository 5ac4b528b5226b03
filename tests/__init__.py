"""The test suite: one folder per package of broadcaster/, and e2e/ for suites that cross packages.

A package, so that test files in different folders may share a name (tests/player/test_asrun.py and
tests/desk/test_asrun.py) and reach the shared helpers as tests.helpers, tests.audiotools ...
"""
