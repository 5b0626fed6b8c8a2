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
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from case_page_cpu import signed_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("installation", type=Path)
    parser.add_argument("user", help="a counsellor of the request benchmark, e.g. bench3")
    parser.add_argument("pages", type=int)
    parser.add_argument("--without", choices=["render", "audit"])
    options = parser.parse_args()
    client, paths = signed_in(options.installation, options.user)
    paths = paths[:10]
    for path in paths:
        client.get(path)
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
        assert client.get(paths[i % len(paths)]).status_code == 200
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
