"""Alembic migrations; run by ``flask --app fallstelle init`` and at ``python run.py`` start."""
