"""Encrypted attachments: stored as ciphertext under server names, downloaded unchanged."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit import console
from fallstelle.audit.models import AuditEvent
from fallstelle.cases import attachments
from fallstelle.cases.errors import Invalid
from fallstelle.errors import DecryptionFailed
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case

PDF = b"%PDF-1.4\n% Zzyzxqvarn Beschwerdebrief an die Diskothek\n%%EOF\n"


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def upload(client: FlaskClient, location: str, name: str, content: bytes) -> tuple[int, str]:
    page = client.get(f"{location}/dokument").get_data(as_text=True)
    version = re.search(r'name="attachment-version" type="hidden" value="(\d+)"', page)
    assert version
    response = client.post(
        f"{location}/dokument",
        data={
            "csrf_token": csrf(client, location),
            "attachment-version": version.group(1),
            "attachment-file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def files(store: Store) -> list[Path]:
    return sorted((store.settings.data_dir / "attachments").glob("*"))


def test_upload_and_download(client: FlaskClient, store: Store) -> None:
    location = open_case(client)
    status, _ = upload(client, location, "../../etc/brief.pdf", PDF)
    assert status == 302
    stored = files(store)
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.bin", stored[0].name)
    assert b"Zzyzxqvarn" not in stored[0].read_bytes()
    assert stored[0].stat().st_mode & 0o077 == 0
    page = client.get(location).get_data(as_text=True)
    link = re.search(r'href="(/faelle/[^"]+/dokument/[^"]+)">brief\.pdf<', page)
    assert link, "the name is kept, the path is dropped"
    response = client.get(link.group(1))
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with store.sessions() as session:
        reads = session.execute(
            select(AuditEvent.object_type, AuditEvent.object_id).where(
                AuditEvent.action == "case.attachment_read"
            )
        ).all()
    # the event names the attachment read, not just its case (issue 11)
    case_id, entry_id = link.group(1).split("/")[2], link.group(1).split("/")[4]
    assert reads == [("attachment", f"{case_id}/{entry_id}")]
    with store.sessions() as session:  # the auditor's filter by case id finds it too
        by_case = console.search(session, console.Filter(object_id=case_id)).events
    assert "case.attachment_read" in {e.action for e in by_case}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("seite.html", b"\x00<html><script>alert(1)</script>", "Nur PDF"),
        ("programm.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "Nur PDF"),
        ("leer.txt", b"", "Bitte"),
    ],
)
def test_disallowed_files_are_refused(
    client: FlaskClient, store: Store, name: str, content: bytes, message: str
) -> None:
    location = open_case(client)
    status, body = upload(client, location, name, content)
    assert status == 400 and message in body
    assert files(store) == []


def test_too_large(client: FlaskClient, store: Store) -> None:
    location = open_case(client)
    status, body = upload(client, location, "gross.pdf", b"%PDF-" + b"0" * attachments.MAX_BYTES)
    assert status == 400 and "10 MB" in body
    assert files(store) == []


def test_writer_refuses_plaintext_and_foreign_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ciphertext"):
        attachments.write_sealed(tmp_path, "a" * 32, PDF)
    for bad in ("../../etc/passwd", "A" * 32, "a" * 31, "a" * 32 + "/x"):
        with pytest.raises(Invalid):
            attachments.write_sealed(tmp_path, bad, b"\x01" + b"\0" * 40)


def test_symlinked_file_is_not_read(tmp_path: Path) -> None:
    target = tmp_path / "outside"
    target.write_bytes(b"\x01" + b"\0" * 40)
    inside = tmp_path / "attachments"
    inside.mkdir()
    (inside / f"{'b' * 32}.bin").symlink_to(target)
    with pytest.raises(Invalid):
        attachments._path(inside, "b" * 32)


def test_a_file_copied_to_another_case_does_not_open(
    client: FlaskClient, store: Store, anna: Account
) -> None:
    from fallstelle.auth.service import load_actor

    first, second = open_case(client), open_case(client)
    upload(client, first, "a.pdf", PDF)
    upload(client, second, "b.pdf", b"%PDF-1.4 other")
    one, two = files(store)
    one_bytes, two_bytes = one.read_bytes(), two.read_bytes()
    one.write_bytes(two_bytes)  # an attacker with file access swaps the contents
    two.write_bytes(one_bytes)
    page = client.get(second).get_data(as_text=True)
    link = re.search(r'href="/faelle/([^/"]+)/dokument/([^"]+)">b\.pdf<', page)
    assert link
    with store.sessions() as session:
        actor = load_actor(session, anna.user_id)
        assert actor is not None
        with pytest.raises(DecryptionFailed):
            attachments.read(
                session, actor, store.keys, store.settings.data_dir / "attachments",
                uuid.UUID(link.group(1)), uuid.UUID(link.group(2)),
            )  # fmt: skip
