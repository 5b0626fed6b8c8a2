"""Users, offices, roles, permissions, sessions and 2FA (layer 1). Imports base and audit.

Services take an explicit SQLAlchemy Session and Actor; they flush, never commit.
"""
