"""Time the PDF side of a funding report (not a test): view-model, HTML, PDF.

The release is :mod:`fallstelle.reports.sample` (19 tables: the 12 × 9 Merkmal ×
Lebensbereich crosstab, two more crosstabs, the one-way tables of every dimension, a
multi-answer table), with a previous year for the trend. Disclosure control is timed
separately (``benchmarks/sdc_bench.py``); aggregation from statistical records does not
exist yet. The layout does not grow with the number of cases — only how many cells are
hidden changes — so the case counts below show that rendering time is flat.

    python -m benchmarks.report_bench [--repeat 3]     (from the repository root)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from fallstelle.reports import sample
from fallstelle.reports.disclosure import suppress_release
from fallstelle.reports.pdf import render_html, render_pdf, write_pdf
from fallstelle.reports.report_views import PreviousRelease, ReportMeta, funding_view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    meta = ReportMeta(("Servicestelle Antidiskriminierung Musterstadt",), "2026", date(2027, 1, 15))
    for n in (400, 2_500, 10_000):
        t0 = time.perf_counter()
        release = suppress_release(sample.sample_release(n))
        previous = suppress_release(sample.sample_release(n * 9 // 10, year=2025, seed=2025))
        t_sdc = time.perf_counter() - t0
        times: dict[str, list[float]] = {"view": [], "html": [], "pdf in-process": [],
                                         "pdf worker (file)": []}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            view = funding_view(
                release, meta, sections=sample.SECTIONS, activities=sample.ACTIVITIES,
                previous=PreviousRelease("2025", tuple(previous)), trend_keys=sample.TREND_KEYS,
            )
            t1 = time.perf_counter()
            render_html(view)
            t2 = time.perf_counter()
            pdf = render_pdf(view, sandbox=False)
            t3 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                write_pdf(view, Path(tmp) / "sachbericht.pdf")
            t4 = time.perf_counter()
            for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[key].append(value)
        print(f"{n:>6} cases, {len(release)} tables, PDF {len(pdf) // 1024} KiB "
              f"(disclosure control of both years: {t_sdc:.2f} s, not part of rendering)")
        for key, values in times.items():
            print(f"  {key:20s} median {statistics.median(values):6.2f} s   "
                  f"max {max(values):6.2f} s")


if __name__ == "__main__":
    main()
