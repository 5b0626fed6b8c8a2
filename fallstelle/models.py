"""Every mapped table of the application, imported once so the metadata is complete.

Used by the migrations environment and the schema test; rooms add their ``models`` here.
"""

from __future__ import annotations

from fallstelle.activities import models as activity_models
from fallstelle.audit.models import AuditCheckpoint, AuditEvent, AuditHead, AuditPurge
from fallstelle.auth import models as auth_models
from fallstelle.cases import models as case_models
from fallstelle.catalogue import models as catalogue_models
from fallstelle.db import Base, KeyCheck
from fallstelle.reports import models as report_models

__all__ = [
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "AuditPurge",
    "Base",
    "KeyCheck",
    "activity_models",
    "auth_models",
    "case_models",
    "catalogue_models",
    "report_models",
]
