"""Instructions per audited case-page request, counted by callgrind (issue 15).

CPU seconds on a shared two-core machine vary by a factor of two between runs; instruction
counts do not (the same code and data give the same count to within a few tenths of a per
cent). Run from the repository root against an installation kept by the request benchmark::

    python -m benchmarks.request_bench --cases 3000 --seconds 4 --keep /tmp/bench-3k
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        "$(python -c 'import sys; print(sys.executable)')" \\
        benchmarks/case_page_instructions.py /tmp/bench-3k bench3 30

valgrind prints "Collected : N": the instructions of the N pages (divide by N). One
counsellor of the request benchmark signs in (a TOTP code already used waits for the next
one), ten case pages warm the caches, then collection is switched on (``callgrind_control``)
for the measured pages only. ``--without render`` or ``--without audit`` replaces the
template rendering or the read's audit event by nothing, to see what each costs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "ein langer Satz als Passwort"  # noqa: S105 - the request benchmark's accounts
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("installation", type=Path)
    parser.add_argument("user", help="a counsellor of the request benchmark, e.g. bench3")
    parser.add_argument("pages", type=int)
    parser.add_argument("--without", choices=["render", "audit"])
    options = parser.parse_args()
    base: Path = options.installation
    os.environ.update(
        FALLSTELLE_DATA_DIR=str(base / "data"),
        FALLSTELLE_KEYS_DIR=str(base / "keys"),
        FALLSTELLE_BCRYPT_ROUNDS="4",
    )
    sys.path.insert(0, str(ROOT))
    import pyotp

    from fallstelle import create_app
    from fallstelle.runtime import get_runtime

    app = create_app()
    get_runtime(app).open(app)
    client = app.test_client()

    def form(path: str, fields: dict[str, str]) -> int:
        token = TOKEN.search(client.get(path).get_data(as_text=True))
        assert token, f"no CSRF token on {path}"
        return client.post(path, data={**fields, "csrf_token": token.group(1)}).status_code

    assert form("/anmelden", {"username": options.user, "password": PASSWORD}) == 302
    totp = pyotp.TOTP((base / "data" / f"{options.user}.totp").read_text().strip())
    while form("/anmelden/code", {"code": totp.now()}) != 302:  # a used code: the next one
        time.sleep(31 - time.time() % 30)
    listing = client.get("/faelle").get_data(as_text=True)
    ids = sorted(set(re.findall(r'href="/faelle/([0-9a-f-]{36})"', listing)))[:10]
    assert ids, "no cases on the case list"
    for case_id in ids:
        client.get(f"/faelle/{case_id}")
    if options.without == "render":
        import fallstelle.web.cases as views

        views.render_template = lambda *_a, **_k: "-"  # type: ignore[assignment]
    elif options.without == "audit":
        import fallstelle.cases.access as access

        def nothing(*_a: Any, **_k: Any) -> None:
            return None

        access.audit = nothing
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for i in range(options.pages):
        assert client.get(f"/faelle/{ids[i % len(ids)]}").status_code == 200
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
