"""Backups of a whole installation, their verification and their restore (issue 12).

The room ranks above ``reports`` and below ``web``/``cli``: it copies every other room's
data but none of them imports it. Imports the standard library, SQLAlchemy, ``pyrage``
(age), ``store``, ``keyfiles``, ``crypto``, ``audit`` (to verify the copy's log) and
``cases.erasure`` (to re-apply the erasure register after a restore).

* ``database``: a consistent copy of the database while writers run (SQLite's online
  backup API, PostgreSQL's ``pg_dump``) and loading it back;
* ``manifest``: what a backup claims (counts per table, audit head, SHA-256 of each part,
  app and schema version, installation id) and checking a copy against it;
* ``identity``: the age key pair the backups are encrypted to;
* ``archive``: ``create``, ``verify`` and ``restore``.
"""
