"""Helpers test modules import; conftest.py files only hold fixtures."""
