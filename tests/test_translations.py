"""Every user-facing string is in the German catalogue, and the compiled catalogue is current."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "fallstelle" / "translations"
PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"


def extracted_ids() -> set[str]:
    with (TRANSLATIONS / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = extract_from_dir(ROOT, method_map, options_map, keywords=keywords)
    return {str(message) for _file, _line, message, _comments, _ctx in found if message}


def test_every_message_has_a_german_translation() -> None:
    ids = extracted_ids()
    assert ids, "extraction found no messages"
    with PO.open("rb") as fh:
        catalogue = {str(m.id): m.string for m in read_po(fh) if m.id}
    missing = sorted(i for i in ids if not catalogue.get(i))
    assert missing == [], f"untranslated (run pybabel update, then translate): {missing}"


def test_compiled_catalogue_matches_the_po_file() -> None:
    with PO.open("rb") as fh:
        po = {str(m.id): m.string for m in read_po(fh) if m.id and not m.fuzzy}
    mo = {str(m.id): m.string for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert mo == po, "run: pybabel compile -d fallstelle/translations"
