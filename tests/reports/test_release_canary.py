"""Canary: nothing of a case's identity, narrative or institution reaches a PDF or CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from fallstelle.auth.actor import Actor
from fallstelle.cases.sections import Identity
from fallstelle.reports import service
from fallstelle.store import Store
from tests.cases.factories import World, create, short_form
from tests.reports.pdf_helpers import pdf_info, pdf_text, poppler

CANARIES = ("Zzyzxqvarn", "Pastafari-Kanari", "Firma Kanarienvogel GmbH", "Kanarienvogel")


def test_no_name_narrative_or_institution_in_pdf_or_csv(
    store: Store, world: World, tmp_path: Path
) -> None:
    for _ in range(6):
        new = short_form(world.office_a)
        new = replace(
            new,
            details=replace(new.details, narrative="Pastafari-Kanari erzählt vom Vorfall"),
            identity=Identity(first_name="Quentin", surname="Zzyzxqvarn"),
            incident=replace(new.incident, actor_institution="Firma Kanarienvogel GmbH"),  # type: ignore[type-var]
        )
        create(store, world.alice, new)
    for template in ("funding", "campaign"):
        with store.sessions() as session, session.begin():
            release = service.build_release(
                session, Actor.operator(), period="2026", office_ids=[world.office_a],
                template=template, generated=dt.date(2027, 1, 15),
            )  # fmt: skip
            pdf, csv = release.pdf, release.csv
        path = tmp_path / f"{template}.pdf"
        path.write_bytes(pdf)
        text, csv_text = pdf_text(path), csv.decode("utf-8-sig")
        assert "2026" in text and "Berichtszeitraum" in text
        for canary in CANARIES:
            assert canary not in text and canary not in csv_text
            assert canary.encode() not in pdf
        info = pdf_info(path)
        assert info.get("Author", "") == "" and info["Title"].startswith("Statistik 2026")
        assert "0 embedded files" in poppler("pdfdetach", "-list", str(path))
