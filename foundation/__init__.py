"""Small platform facilities beneath every app: structured logs, the phone-number parser.

Nothing here knows about organisations or any app; tenancy and everything above may import
it, and it imports none of them (the layers contract in pyproject.toml)."""
