"""An app that exists only in tests: it declares tenancy's Administration section with
another order, which collecting the navigation refuses (tests/tenancy/test_access.py)."""
