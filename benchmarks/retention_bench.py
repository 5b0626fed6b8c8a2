"""Retention benchmark (issue 13): time ``flask --app fallstelle retention run`` on SQLite.

Run from the repository root::

    python benchmarks/retention_bench.py                 # 2,000 demo cases
    python benchmarks/retention_bench.py --cases 10000

Creates a fresh installation in a temporary directory, fills it with the demo data (closed
cases spread over past years), then times a dry run, the real run (identifying data removed
with a new data key per case, due case files erased) and a second run that must find
nothing. Reports the counts and the time per case. No target: the run is nightly and
restartable; what matters is that a year's closures take minutes, not hours.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "flask", "--app", "fallstelle", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FALLSTELLE_DATA_DIR": str(Path(tmp) / "data"),
               "FALLSTELLE_KEYS_DIR": str(Path(tmp) / "keys")}  # fmt: skip
        run(["init"], env)
        run(["demo", "--cases", str(options.cases)], env)
        for label, args in (("dry run", ["--dry-run"]), ("run", []), ("second run", [])):
            seconds, summary = run(["retention", "run", *args], env)
            print(f"{label:<11} {seconds:6.1f} s  {summary}")


if __name__ == "__main__":
    main()
