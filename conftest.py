"""Project-wide pytest setup (fixtures for the test suite live in tests/conftest.py).

Importing brian2 imports brian2.tests, which replaces pytest's DoctestModule with a
subclass that breaks on package ``__init__.py`` files (IndexError while collecting
their doctests). Import brian2 once here and put pytest's own class back, so
``--doctest-modules`` works on every package.
"""

from _pytest import doctest as _pytest_doctest

_DOCTEST_MODULE = _pytest_doctest.DoctestModule

import brian2  # noqa: E402,F401  (the import that patches DoctestModule)

_pytest_doctest.DoctestModule = _DOCTEST_MODULE
