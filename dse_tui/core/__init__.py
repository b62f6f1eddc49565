"""Headless core of dse-tui. Nothing here may import Textual (tests/test_import_hygiene.py)."""
