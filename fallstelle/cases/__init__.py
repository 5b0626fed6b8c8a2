"""The case file, workflow, deadlines and the statistical record (layer 2).

Imports base, audit and auth. Services take an explicit SQLAlchemy Session and Actor; they
flush, never commit.
"""
