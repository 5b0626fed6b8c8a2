"""An office's logo from its settings reaches its reports (issue 16); the PDF worker takes an
inline PNG or JPEG and nothing else."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from fallstelle.auth.actor import Actor
from fallstelle.catalogue import privacy
from fallstelle.reports import pdf_worker
from fallstelle.reports.pdf import REPORTS_DIR
from fallstelle.store import Store
from tests.reports.test_service import _fixed, build, manager


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def images(pdf: bytes) -> int:
    return pdf.count(b"/Subtype /Image")


def test_the_office_logo_is_on_its_report(store: Store) -> None:
    office, _ = _fixed(store)
    plain = build(store, manager(office), [office], template="campaign")
    with store.sessions() as session, session.begin():
        privacy.set_logo(session, Actor.operator(), office, png())
    with_logo = build(store, manager(office), [office], template="campaign")  # same numbers
    assert images(with_logo.pdf) == images(plain.pdf) + 1


def test_the_worker_takes_no_other_inline_data() -> None:
    fetch = pdf_worker.make_fetcher(REPORTS_DIR).fetch
    body = base64.b64encode(png()).decode()
    assert fetch(f"data:image/png;base64,{body}").read() == png()
    for url in (f"data:text/html;base64,{body}", f"data:image/svg+xml;base64,{body}",
                "data:image/png,<svg/>"):  # fmt: skip
        with pytest.raises(pdf_worker.AssetRefused):
            fetch(url)
