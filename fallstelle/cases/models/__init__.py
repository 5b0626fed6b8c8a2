"""Tables of the case room, split by topic (STYLE.md: a room's models become a package).

Imports only ``fallstelle.db``, the auth models it references by foreign key, and
SQLAlchemy. ``vocab``: vocabularies and deadline rules as data; ``case``: the case, its
counsellors, its encrypted entries and the case-number counters; ``stats``: the anonymous
statistical record, which has no foreign key to the case.
"""

from fallstelle.cases.models.activity import OfficeActivity
from fallstelle.cases.models.case import (
    OPEN_STATUSES,
    STATUSES,
    Case,
    CaseCounsellor,
    CaseEntry,
    CaseIdentity,
    CaseNumberCounter,
)
from fallstelle.cases.models.stats import StatisticalCode, StatisticalCount, StatisticalRecord
from fallstelle.cases.models.vocab import DeadlineRule, VocabTerm

__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "Case",
    "CaseCounsellor",
    "CaseEntry",
    "CaseIdentity",
    "CaseNumberCounter",
    "DeadlineRule",
    "OfficeActivity",
    "StatisticalCode",
    "StatisticalCount",
    "StatisticalRecord",
    "VocabTerm",
]
