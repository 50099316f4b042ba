"""An app that exists only in tests: it adds a navigation section of its own, to show that
an app needs no change to tenancy to appear in the menu (tests/tenancy/test_access.py)."""
