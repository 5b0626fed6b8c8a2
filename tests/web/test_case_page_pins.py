"""The case page's HTML, pinned: work on its rendering cost (issue 15) changes no byte.

Sixteen demo cases (a fixed seed, so the same contacts, interventions, deadlines, closures,
persons and consents every time) and one case with a follow-up just saved (its "saved"
message, the "mark as done" form) are read at a fixed day, in German and English, as the
page, the print view, a filtered timeline and the list of entries. Each page, with its CSRF
tokens masked and its UUIDs numbered in order of appearance (they are random per run; the
list of entries, whose entries of one day come in any order, is compared as its sorted
lines without ids), must hash to the value pinned here, which the page had before the
rendering was made faster. A change to the case page that is meant to change it updates
the pins: run with ``FALLSTELLE_PIN_PAGES=<dir>`` to write the pages there (compare them
with the old ones) and print the new hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle import clock
from fallstelle.cases.models import Case
from fallstelle.intake.demo_run import create_demo
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import form_page, version_on

TOKEN = re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
UUID_SEEN = re.compile(r"uuid-\d+")
UNTIL = dt.date(2026, 6, 30)
DAY = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)

#: label → SHA-256 of the normalised page (see the module docstring).
PINS: dict[str, str] = {
    "de-00": "8f8f2d0d4d42db9a4dcb2b0affd0110261951478df793d5737e1398f339b2343",
    "de-01": "e0a91892f0a90de8969a95b19362415c45450aafea47621f36773debc772a4c5",
    "de-02": "b410dc61f2331f6855e004fc21209244f9e4822215080da17bf7b0e382d7e0fe",
    "de-03": "ede27e2974b86de9637cc629c8ffa104b8afda7bba2ac03761c1e52556668878",
    "de-04": "24539de4884af89a1022c773c613de10b4e8632f1e79dbfe2cb778356494743a",
    "de-05": "093c25b307e103409322833d1cb82bd10f90dd32d2474fa26e274d09761a49dd",
    "de-06": "efe359ab5104ebc469f0a4830917fb4d08525dd3501de90bbe5dbd69633e5291",
    "de-07": "929bb1ce2bcceed15f68c63cd9698ad0223a519be377ba4790e450fec80cd17f",
    "de-08": "d3a73687f4b37ee5274a6fc3b6c6d9d9bd02e61d156a4ce10ba95a624a475919",
    "de-09": "e2191dc010576990e3c09e28029162283c94ceb46498118d22405c0427b2350a",
    "de-10": "2e5fe5738c94bce64ee353a5bcb7c377cb0cdf85fedcfd98fb1dde9c68dec340",
    "de-11": "5225b601cfa9c1774c4e78a4fe488aba3fae6caca84eb5093e8b7612f081e7d8",
    "de-12": "a2a15e024a99ca8c4c8508aa8018faa27d5b4bea001117759d6646d3f903b641",
    "de-13": "604c8f93f6682915dca903f8ef857c6141cd759d2918471b48d6ad7f27af0d13",
    "de-14": "5969a222aeda16934bbbd4e8a5ceda7e0803d4d24e6f83f16ec313341263ca2d",
    "de-15": "42d49ffc3ae964a3f4260954db03bbe860264033dc7e541a48949adf37fcf440",
    "de-16": "89a07e8e179cb26820fb79672bbea5991594e2d67e9b5769b975981a014a766a",
    "de-17": "32a53468c5cf2a3128777b1c7f0075affae46bcb67650c72e69d2852486d681f",
    "de-18": "dd6a8b099cfffba085a0b58d291f111bba6b498529154f283e122c75546b261f",
    "de-19": "aaf58268175b824001286fa28d5b70f3a26198f6e7bfe695759f739d8dfd66d3",
    "de-saved": "f676ec54230246847b75b6aaa8633ce5604a5a73855898533d7584bc1bf18a37",
    "en-00": "47da2353856724b48d3209ae66ea923d8dfa0524bd5c3c3da01fd36b2d683540",
    "en-01": "513ee3db1007060031710db0785bf0e69dec52581e2dcd83bce93f4612136f59",
    "en-02": "a73d1bbbbf4068aafed5717acb5034595435284be129b37a8d356ad3d1638d99",
    "en-03": "bd036ee962f603ac8cfbedf037a56c34aa05f9e32f5116ad0a0d435a17e0fdde",
    "en-04": "aff4e41097a178070af43009dc62352b008c567a7372155330ffc8981bffcb49",
    "en-05": "89bad5f36c1e2bc906aa63b044aebb9a648ac02fda041b5752f6d66210caf60a",
    "en-06": "5e6e0b5f6b3c0da2ec65f72a22da23b3700e70330f8de66d26167ab6f1e04cb6",
    "en-07": "c3ebcb5d0ce02644a2639b14da77e034e3e0df0f5ed1b08756006c836b7ba4f6",
    "en-08": "772450c26f85c1012047417e5d15a64a155504278310bb1413a78868af0ae0ab",
    "en-09": "d898cdeac0b1b90e9265af8eebc7cde74302ab62b9bd0784a586374e625e43a8",
    "en-10": "4518005ea2615cda9c6c8b20c2d66d1474c11c7769edd7e8e8bedb62528ceac0",
    "en-11": "489c6d42d817dae9fdf2109902569317e7b378fa0a9e5cb5aad5f89171c6c4f6",
    "en-12": "841b39a0713aa50fc600406f9fb461709fa62876e1aaf287bc4ce897018bfaad",
    "en-13": "efd6f0f5a3c5711bfca9bf5a6089d44370ed3a0c5573d293331ee11e28274220",
    "en-14": "28c0879f2d485acd79bc8bed8c4f3dd384fd4830caa49945df4e35b22db9e6c4",
    "en-15": "ddbf5e05ad077ddaac4eff83f3900b290a194e46c6fc1457336c4eddbe61b1f3",
    "en-16": "ada6c20f75ef593f95c00239e0eadfa554f3e204d23f83164f123043e168530b",
    "en-17": "c1c040631b226361b192a98cca30ffb18e7d9e53388be90de09b19dc6f5a3c72",
    "en-18": "72c7793cce579bab89943834b877eaae53e242e24c3cee1a1c9c02b38e3d2580",
    "en-19": "6b918c409925fcf5a7fda478feb400601ac8803fce655c53a78bdc69c3509263",
    "en-saved": "60afd54507e6eaf6c2d8fa908d3391278ab8ac7313c307af9fb5da40c9209000",
}


def _normalised(html: str) -> str:
    numbers: dict[str, str] = {}
    html = TOKEN.sub(r'\1…"', html)
    return UUID.sub(lambda m: numbers.setdefault(m.group(0), f"uuid-{len(numbers)}"), html)


def _pages(client: FlaskClient, cases: list[str], saved: str) -> dict[str, str]:
    pages: dict[str, str] = {}
    for language in ("de", "en"):
        client.set_cookie("lang", language)
        paths = [f"/faelle/{c}" for c in cases]
        paths += [f"/faelle/{cases[0]}?druck=1", f"/faelle/{cases[1]}?zeige=kontakt"]
        paths += [f"/faelle/{c}/eintraege" for c in cases[:3]]  # the entry list's links too
        for i, path in enumerate(paths):
            response = client.get(path)
            assert response.status_code == 200, path
            page = _normalised(response.get_data(as_text=True))
            if path.endswith("/eintraege"):  # entries of one day come in any order
                page = "\n".join(sorted(UUID_SEEN.sub("uuid", page).splitlines()))
            pages[f"{language}-{i:02}"] = page
        response = client.get(saved)
        assert response.status_code == 200
        pages[f"{language}-saved"] = _normalised(response.get_data(as_text=True))
        _follow_up(client, saved, "2026-07-20", f"Rückruf & <Termin> {language}")
    return pages


def _follow_up(client: FlaskClient, location: str, due_on: str, note: str) -> None:
    page = form_page(client, location, "wiedervorlage")
    response = client.post(f"{location}/wiedervorlage", data={
        "csrf_token": csrf(client, location), "follow_up-version": version_on(page, "follow_up"),
        "follow_up-due_on": due_on, "follow_up-note": note,
    })  # fmt: skip
    assert response.status_code == 302, response.status_code


def test_the_case_pages_are_the_pinned_ones(app: Flask, store: Store, anna: Account) -> None:
    create_demo(store, 16, seed=11, office_code="MG-A", until=UNTIL)
    with store.sessions() as session:
        cases = [str(c) for c in session.scalars(select(Case.id).order_by(Case.case_number))]
    client = app.test_client()
    sign_in(client, anna)
    saved = f"/faelle/{cases[-1]}"
    with clock.frozen(DAY):
        _follow_up(client, saved, "2026-07-03", "Rückruf")
        pages = _pages(client, cases[:-1], saved)
    found = {label: hashlib.sha256(page.encode()).hexdigest() for label, page in pages.items()}
    target = os.environ.get("FALLSTELLE_PIN_PAGES")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for label, page in pages.items():
            (Path(target) / f"{label}.html").write_text(page)
        print("PINS = " + repr(found))
    assert "Wiedervorlage" in pages["de-saved"] and "Follow-up" in pages["en-saved"]
    assert found == PINS
