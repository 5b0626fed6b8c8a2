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
template rendering or the read's audit event by nothing, to see what each costs;
``--only render`` counts only the rendering: the ten pages' template calls, captured while
warming, are rendered again (N renders in all) in one request context, so no request, read
or commit is counted (the count of the template work alone, which varies less with the
machine's load than a whole page does).
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
    parser.add_argument("--only", choices=["render"])
    options = parser.parse_args()
    client, paths = signed_in(options.installation, options.user)
    paths = paths[:10]
    if options.only == "render":
        only_render(client, paths, options.pages)
        return
    for path in paths:
        client.get(path)
    if options.without == "render":
        import fallstelle.web.cases as views

        vars(views)["render_template"] = lambda *_a, **_k: "-"
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


def only_render(client: Any, paths: list[str], renders: int) -> None:
    """Count ``renders`` renderings of the case pages' templates, nothing else."""
    import flask

    import fallstelle.web.cases as views

    calls: list[tuple[Any, Any]] = []
    names = vars(views)  # the view's own name for render_template
    render = names["render_template"]

    def capture(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return render(*args, **kwargs)

    names["render_template"] = capture
    for path in paths:
        assert client.get(path).status_code == 200
    names["render_template"] = render
    with client:  # keeps the last request's context (session, language, CSRF token)
        client.get(paths[0])
        for args, kwargs in calls:  # warm
            flask.render_template(*args, **kwargs)
        control = ["callgrind_control", "-i"]
        subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
        for i in range(renders):
            args, kwargs = calls[i % len(calls)]
            flask.render_template(*args, **kwargs)
        subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
