"""An office's non-case work (layer 5): workshops, campaigns, network meetings.

Imports base, ``audit``, ``auth`` and the ``catalogue``. No personal data; the funding
report counts these rows.
"""
