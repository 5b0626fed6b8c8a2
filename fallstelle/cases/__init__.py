"""The case file (layer 4): cases, their encrypted sections, workflow, access and the
statistical record.

Imports base, ``audit``, ``auth`` and the ``catalogue``. Services take an explicit SQLAlchemy
Session and Actor; they flush, never commit.
"""
