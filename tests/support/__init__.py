"""Test support: factories, helpers and fixtures shared by the test modules (no tests here).

Fixture modules are loaded by ``pytest_plugins`` in tests/conftest.py; plain helpers are imported.
"""
