"""Anonymised statistics and PDF reports (layer 3).

Reads only statistical records; never imports crypto or the case models. Services take an
explicit SQLAlchemy Session and Actor; they flush, never commit.
"""
