"""Demo data benchmark (issue 5): time ``flask --app fallstelle demo --cases N`` on SQLite.

Run from the repository root::

    python benchmarks/demo_bench.py                  # 10,000 cases, fresh temp installation
    python benchmarks/demo_bench.py --cases 2000 --seed 3

Creates a fresh installation (keys + SQLite database) in a temporary directory, runs the
real command in a subprocess (``flask --app fallstelle init`` first), and reports the wall
time, cases per second, the database size and what the cases hold (contacts per case,
closed share, entries). Target: 10,000 cases in under 120 s.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 120.0


def run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "fallstelle", *args],
                   cwd=ROOT, env=env, check=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {
            **os.environ,
            "FALLSTELLE_DATA_DIR": str(data),
            "FALLSTELLE_KEYS_DIR": str(Path(tmp) / "keys"),
        }
        run(["init"], env)
        started = time.perf_counter()
        run(["demo", "--cases", str(options.cases), "--seed", str(options.seed)], env)
        elapsed = time.perf_counter() - started
        db = next(data.glob("*.db"))
        with sqlite3.connect(db) as conn:
            contacts, closed = conn.execute(
                "SELECT avg(contact_count), avg(closed_quarter IS NOT NULL) "
                "FROM statistical_records"
            ).fetchone()
            entries = conn.execute("SELECT count(*) FROM case_entries").fetchone()[0]
        print(f"cases:            {options.cases:,} (seed {options.seed})")
        print(f"wall time:        {elapsed:.1f} s ({options.cases / elapsed:.0f} cases/s, "
              f"{elapsed / options.cases * 1000:.1f} ms per case)")  # fmt: skip
        print(f"contacts/case:    {contacts:.1f}; closed: {closed:.0%}; entries: {entries:,}")
        print(f"database size:    {db.stat().st_size / 2**20:.0f} MiB")
        if options.cases == 10_000:
            verdict = "met" if elapsed < TARGET_SECONDS else "MISSED"
            print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
