"""Cases that arrive in bulk (layer 6): the JSON Lines import and the demo generator.

Imports base, ``audit``, ``auth``, the ``catalogue`` and the case room's services. Whole
cases are built with the case room's own primitives (the same rules, numbers, keys and
audit events as a case opened on the page), only batched.
"""
