"""Alembic migrations of the store, run by ``boxoffice.store.migrate``."""
