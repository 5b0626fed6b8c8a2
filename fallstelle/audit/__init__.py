"""Tamper-evident, hash-chained access log (layer 0). Imports only the base modules.

Services take an explicit SQLAlchemy Session and Actor; they flush, never commit.
"""
