"""SQLAlchemy models, database opening and migrations, queries."""
