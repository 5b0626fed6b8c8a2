"""The catalogue (layer 3): vocabularies, Kreise and deadline rules — what the forms offer
and what a code means.

Imports base, ``audit`` and ``auth``. Shared by every office, with an office's own level-2
terms; the case file, the activities and the reports read it, admins keep it.
"""
