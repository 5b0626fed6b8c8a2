"""An office's data-protection law, its report logo, and its versioned privacy texts.

Imports SQLAlchemy, ``audit``, ``auth`` and this room's models. Church providers apply their
own data-protection law instead of the GDPR (Art. 91 GDPR): Catholic ones the KDG (SKM
Rheydt, for example), Protestant ones the DSG-EKD (reference/domain.md §1). The privacy notice
and every consent text cite the law the office chose. Texts are published as versions and
never edited afterwards: a consent on a case records the version that was shown, so what a
person agreed to can still be read when the case is reviewed years later.

The templates below are starting points, not legal advice; the admin page says so, and an
office publishes its own wording after its data-protection officer has read it.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Invalid, NotAllowed
from fallstelle.auth.permissions import Permission
from fallstelle.catalogue.models import OfficePrivacy, PrivacyText

#: Logos are small pictures on a report's title; anything larger is a mistake.
LOGO_MAX_BYTES = 300 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
BODY_MAX = 20_000
NOTICE = "datenschutzinformation"


@dataclass(frozen=True)
class Law:
    """A data-protection law and the provisions the texts cite."""

    code: str
    short: str
    name: str
    information: str
    contract: str
    consent: str
    special: str
    rights: str
    authority: str


LAWS: dict[str, Law] = {
    "dsgvo": Law(
        "dsgvo",
        "DSGVO/BDSG",
        "Datenschutz-Grundverordnung (DSGVO) und Bundesdatenschutzgesetz (BDSG)",
        information="Art. 13 DSGVO",
        contract="Art. 6 Abs. 1 lit. b DSGVO",
        consent="Art. 6 Abs. 1 lit. a und Art. 7 DSGVO",
        special="Art. 9 Abs. 2 lit. a DSGVO",
        rights="Art. 15 bis 21 DSGVO",
        authority="die Landesbeauftragte für Datenschutz und Informationsfreiheit "
        "Nordrhein-Westfalen (LDI NRW)",
    ),
    "kdg": Law(
        "kdg",
        "KDG",
        "Gesetz über den Kirchlichen Datenschutz (KDG)",
        information="§ 15 KDG",
        contract="§ 6 Abs. 1 lit. c KDG",
        consent="§ 6 Abs. 1 lit. b und § 8 KDG",
        special="§ 11 Abs. 2 lit. a KDG",
        rights="§§ 17 bis 23 KDG",
        authority="die zuständige kirchliche Datenschutzaufsicht (für die NRW-(Erz-)Bistümer "
        "das Katholische Datenschutzzentrum in Dortmund)",
    ),
    "dsg_ekd": Law(
        "dsg_ekd",
        "DSG-EKD",
        "Kirchengesetz über den Datenschutz der Evangelischen Kirche in Deutschland (DSG-EKD)",
        information="§ 17 DSG-EKD",
        contract="§ 6 Nr. 5 DSG-EKD",
        consent="§ 6 Nr. 2 und § 11 DSG-EKD",
        special="§ 13 Abs. 2 Nr. 1 DSG-EKD",
        rights="§§ 19 bis 25 DSG-EKD",
        authority="der oder die Beauftragte für den Datenschutz der EKD",
    ),
}

_PURPOSE = {
    NOTICE: (
        "Wir verarbeiten Ihre Angaben, um Sie bei Diskriminierung zu beraten und Sie auf "
        "Wunsch gegenüber Dritten zu unterstützen. Rechtsgrundlage ist der Beratungsauftrag "
        "({contract}). Angaben über Herkunft, Religion, Gesundheit oder sexuelle "
        "Orientierung verarbeiten wir nur mit Ihrer Einwilligung ({special}). Ihre Angaben "
        "werden verschlüsselt gespeichert und nur von Ihren Beraterinnen und Beratern "
        "gelesen. Identifizierende Angaben löschen wir sechs Monate nach Abschluss der "
        "Beratung, die übrige Akte am Ende des dritten Kalenderjahres nach Abschluss. "
        "Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung, "
        "Datenübertragbarkeit und Widerspruch ({rights}) und können sich bei {authority} "
        "beschweren. Diese Information folgt {information}."
    ),
    "besondere_kategorien": (
        "Ich willige ein, dass die Beratungsstelle Angaben über meine Herkunft, Religion "
        "oder Weltanschauung, Gesundheit oder sexuelle Orientierung verarbeitet, soweit sie "
        "für meine Beratung nötig sind ({special})."
    ),
    "statistik": (
        "Ich willige ein, dass mein Fall ohne Namen und Kontaktdaten in die Statistik der "
        "Beratungsstelle eingeht ({consent}). Veröffentlicht werden nur Zahlen, die "
        "keinen Rückschluss auf einzelne Personen zulassen."
    ),
    "kontakt_gegenseite": (
        "Ich willige ein, dass die Beratungsstelle in meinem Auftrag Kontakt mit der "
        "Gegenseite oder Dritten aufnimmt und dabei die dafür nötigen Angaben weitergibt "
        "({consent})."
    ),
    "fallbeispiel": (
        "Ich willige ein, dass mein Fall ohne Angaben, die mich erkennbar machen, als "
        "Fallbeispiel veröffentlicht werden darf ({consent})."
    ),
}
_GENERIC = "Ich willige ein ({consent})."
_CLOSING = (
    " Ich kann diese Einwilligung jederzeit ohne Angabe von Gründen für die Zukunft "
    "widerrufen; die Beratung hängt nicht davon ab."
)


def template(kind: str, law: str) -> str:
    """The starting wording of a text of ``kind`` under ``law`` (not legal advice)."""
    cited = LAWS[law]
    text = _PURPOSE.get(kind, _GENERIC).format(**cited.__dict__)
    return text if kind == NOTICE else text + _CLOSING


def _manage(session: Session, actor: Actor, action: str, office_id: int) -> None:
    if not actor.can(Permission.OFFICE_MANAGE):
        record(
            session,
            actor.event(action, outcome="denied", object_type="office",
                        object_id=str(office_id), reason="no_permission"),
        )  # fmt: skip
        raise NotAllowed(Permission.OFFICE_MANAGE.value)


def settings_of(session: Session, office_id: int) -> OfficePrivacy:
    """The office's settings (the GDPR and no logo until an admin chooses otherwise)."""
    found = session.get(OfficePrivacy, office_id)
    return found if found is not None else OfficePrivacy(office_id=office_id, law="dsgvo")


def _stored(session: Session, office_id: int) -> OfficePrivacy:
    found = session.get(OfficePrivacy, office_id)
    if found is None:
        found = OfficePrivacy(office_id=office_id, law="dsgvo")
        session.add(found)
    return found


def set_law(session: Session, actor: Actor, office_id: int, law: str) -> None:
    """Choose the office's data-protection law; published texts keep the law they cite.

    Raises:
        NotAllowed: the actor may not manage offices.
        Invalid: ``law`` is not one of :data:`LAWS`.
    """
    _manage(session, actor, "office.privacy", office_id)
    if law not in LAWS:
        raise Invalid("law", "unknown_code")
    _stored(session, office_id).law = law
    record(session, actor.event("office.privacy", object_type="office", object_id=str(office_id)))


def set_logo(session: Session, actor: Actor, office_id: int, data: bytes | None) -> None:
    """Store a PNG or JPEG logo for the office's reports (``None`` removes it).

    Raises:
        NotAllowed: the actor may not manage offices.
        Invalid: ``logo`` ``logo_too_large`` or ``logo_type`` (not a PNG or JPEG).
    """
    _manage(session, actor, "office.logo", office_id)
    kind = None
    if data is not None:
        if len(data) > LOGO_MAX_BYTES:
            raise Invalid("logo", "logo_too_large")
        kind = next((t for magic, t in LOGO_TYPES.items() if data.startswith(magic)), None)
        if kind is None:
            raise Invalid("logo", "logo_type")
    stored = _stored(session, office_id)
    stored.logo, stored.logo_type = data, kind
    record(session, actor.event("office.logo", object_type="office", object_id=str(office_id)))


def versions(session: Session, office_id: int) -> list[PrivacyText]:
    """Every published text of the office, by kind, newest first."""
    return list(
        session.scalars(
            select(PrivacyText)
            .where(PrivacyText.office_id == office_id)
            .order_by(PrivacyText.kind, PrivacyText.id.desc())
        )
    )


def current(session: Session, office_id: int, kind: str) -> PrivacyText | None:
    """The newest published version of a text, or ``None`` if none was published."""
    return session.scalars(
        select(PrivacyText)
        .where(PrivacyText.office_id == office_id, PrivacyText.kind == kind)
        .order_by(PrivacyText.id.desc())
        .limit(1)
    ).first()


def find(session: Session, office_id: int, kind: str, label: str) -> PrivacyText | None:
    """One version of a text by its label, as a consent records it."""
    return session.scalars(
        select(PrivacyText).where(
            PrivacyText.office_id == office_id,
            PrivacyText.kind == kind,
            PrivacyText.label == label,
        )
    ).first()


def publish(
    session: Session, actor: Actor, office_id: int, kind: str, body: str, on: dt.date
) -> PrivacyText:
    """Publish a new version of a text; it becomes the one consents record from now on.

    Raises:
        NotAllowed: the actor may not manage offices.
        Invalid: ``body`` ``required`` or ``text_too_long``; ``text_unchanged`` when it is
            the current version's wording.
    """
    _manage(session, actor, "privacy_text.publish", office_id)
    body = body.strip().replace("\r\n", "\n")
    if not body:
        raise Invalid("body", "required")
    if len(body) > BODY_MAX:
        raise Invalid("body", "text_too_long")
    latest = current(session, office_id, kind)
    if latest is not None and latest.body == body:
        raise Invalid("body", "text_unchanged")
    in_year = session.scalar(
        select(func.count(PrivacyText.id)).where(
            PrivacyText.office_id == office_id,
            PrivacyText.kind == kind,
            PrivacyText.label.like(f"{on.year}-%"),
        )
    )
    text = PrivacyText(
        office_id=office_id,
        kind=kind,
        label=f"{on.year}-{(in_year or 0) + 1}",
        law=settings_of(session, office_id).law,
        body=body,
        published_on=on,
        published_by=actor.user_id,
    )
    session.add(text)
    session.flush()
    record(
        session,
        actor.event("privacy_text.publish", object_type="privacy_text", object_id=str(text.id)),
    )
    return text


def readable(session: Session, actor: Actor, text_id: int) -> PrivacyText:
    """A published text for someone who may read it: the office's staff and admins.

    Raises:
        LookupError: no such text, or the actor is neither staff of its office nor an admin
            (the same answer, so that ids do not reveal other offices' texts).
    """
    text = session.get(PrivacyText, text_id)
    if text is None or not (
        actor.can(Permission.OFFICE_MANAGE) or text.office_id in actor.office_ids
    ):
        raise LookupError(text_id)
    return text


def logo_data_uri(session: Session, office_id: int) -> str | None:
    """The office's logo as an inline image for its reports, or ``None``."""
    stored = settings_of(session, office_id)
    if stored.logo is None or stored.logo_type is None:
        return None
    return f"data:{stored.logo_type};base64,{base64.b64encode(stored.logo).decode()}"
