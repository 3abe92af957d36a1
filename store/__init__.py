"""Database room: typed models, sessions, queries and Alembic migrations."""
