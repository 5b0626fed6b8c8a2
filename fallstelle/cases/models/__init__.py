"""Tables of the case room, split by topic (STYLE.md: a room's models become a package).

Imports only ``fallstelle.db``, the auth models it references by foreign key, and
SQLAlchemy. ``case``: the case, its counsellors, its encrypted entries and the case-number
counters; ``lifecycle``: the change history and the retention policy; ``erasure``: the
deletion record of an erased case; ``stats``: the anonymous statistical record, which has
no foreign key to the case.
(Vocabularies and deadline rules are the catalogue's, activities their own room's.)
"""

from fallstelle.cases.models.case import (
    OPEN_STATUSES,
    STATUSES,
    Case,
    CaseCounsellor,
    CaseEntry,
    CaseIdentity,
    CaseNumberCounter,
)
from fallstelle.cases.models.erasure import ErasureRecord
from fallstelle.cases.models.lifecycle import CaseChange, RetentionPolicy
from fallstelle.cases.models.stats import StatisticalCode, StatisticalCount, StatisticalRecord

__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "Case",
    "CaseChange",
    "CaseCounsellor",
    "CaseEntry",
    "CaseIdentity",
    "CaseNumberCounter",
    "ErasureRecord",
    "RetentionPolicy",
    "StatisticalCode",
    "StatisticalCount",
    "StatisticalRecord",
]
