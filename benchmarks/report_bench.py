"""Time the PDF side of a funding report (not a test): view-model, HTML, PDF, and its split.

The release is :mod:`fallstelle.reports.sample` (19 tables: the 12 × 9 Merkmal ×
Lebensbereich crosstab, two more crosstabs, the one-way tables of every dimension, a
multi-answer table), with a previous year for the trend. Disclosure control is timed
separately (``benchmarks/sdc_bench.py``), aggregation and the whole build by
``benchmarks/aggregate_bench.py --end-to-end``. The layout does not grow with the number of
cases — only how many cells are hidden changes — so the case counts below show that
rendering time is flat.

``pdf worker, cold`` starts a worker for the job (Python + WeasyPrint import included);
``pdf worker, warm`` gives the job to the worker started ahead of time, as a build does
(:func:`fallstelle.reports.pdf.prepare_worker`; it loads while the tables are counted).
``--split`` renders once in-process and shows where WeasyPrint's time goes, and what
Python's garbage collector would add (the worker switches it off).

    python -m benchmarks.report_bench [--repeat 3] [--split]     (from the repository root)
"""

from __future__ import annotations

import argparse
import functools
import gc
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from fallstelle.reports import pdf, pdf_worker, sample
from fallstelle.reports.disclosure import suppress_release
from fallstelle.reports.pdf import REPORTS_DIR, render_html, render_pdf
from fallstelle.reports.report_views import PreviousRelease, ReportMeta, funding_view
from fallstelle.reports.viewmodel import FundingReport

#: Seconds a build spends counting tables before it renders; the warm worker gets as long.
HEAD_START = 2.0


def view_for(n: int) -> FundingReport:
    meta = ReportMeta(("Servicestelle Antidiskriminierung Musterstadt",), "2026", date(2027, 1, 15))
    release = suppress_release(sample.sample_release(n))
    previous = suppress_release(sample.sample_release(n * 9 // 10, year=2025, seed=2025))
    return funding_view(
        release, meta, sections=sample.SECTIONS, activities=sample.ACTIVITIES,
        previous=PreviousRelease("2025", tuple(previous)), trend_keys=sample.TREND_KEYS,
    )  # fmt: skip


def timings(view: FundingReport, repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        "html": [], "pdf in-process": [], "pdf worker, cold": [], "pdf worker, warm": [],
    }  # fmt: skip
    for _ in range(repeat):
        t0 = time.perf_counter()
        render_html(view)
        times["html"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_pdf(view, sandbox=False)
        times["pdf in-process"].append(time.perf_counter() - t0)
        pdf.dismiss_worker()
        t0 = time.perf_counter()
        render_pdf(view)
        times["pdf worker, cold"].append(time.perf_counter() - t0)
        pdf.prepare_worker()
        time.sleep(HEAD_START)
        t0 = time.perf_counter()
        render_pdf(view)
        times["pdf worker, warm"].append(time.perf_counter() - t0)
    return times


def split(view: FundingReport) -> None:
    """Render once in-process (GC off, as in the worker) and print CPU seconds per phase."""
    import weasyprint
    from weasyprint import document
    from weasyprint import pdf as wpdf

    spent: dict[str, float] = {}

    def timed(owner: Any, name: str, label: str) -> Callable[[], None]:
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - t0

        setattr(owner, name, wrapper)
        return lambda: setattr(owner, name, original)

    html = render_html(view)
    render = functools.partial(
        pdf_worker.html_to_pdf, html, root=REPORTS_DIR, title="t", created="2027-01-15"
    )
    render()  # warm-up: fonts, caches
    undo = [
        timed(weasyprint.HTML, "__init__", "parse HTML"),
        timed(document, "get_all_computed_styles", "CSS cascade"),
        timed(document, "build_formatting_structure", "build boxes"),
        timed(weasyprint.HTML, "render", "render (all)"),
        timed(document.Page, "paint", "paint"),
        timed(wpdf, "add_tags", "PDF/UA tags"),
        timed(wpdf, "build_fonts_dictionary", "fonts (subset)"),
        timed(document.Document, "write_pdf", "write_pdf (all)"),
    ]
    gc.disable()
    t0 = time.process_time()
    render()
    total = time.process_time() - t0
    for restore in undo:
        restore()
    gc.enable()
    started, collecting = [0.0], [0.0]

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            collecting[0] += time.perf_counter() - started[0]

    gc.callbacks.append(on_gc)
    render()
    gc.callbacks.remove(on_gc)
    layout = spent["render (all)"] - spent["CSS cascade"] - spent["build boxes"]
    write = spent["write_pdf (all)"] - spent["paint"] - spent["PDF/UA tags"]
    rows = {
        "parse HTML": spent["parse HTML"], "CSS cascade": spent["CSS cascade"],
        "build boxes": spent["build boxes"], "layout": layout, "paint": spent["paint"],
        "PDF/UA tags": spent["PDF/UA tags"], "fonts (subset)": spent["fonts (subset)"],
        "rest of PDF": write - spent["fonts (subset)"],
    }  # fmt: skip
    print(f"  split of one render in-process, GC off: {total:.2f} s CPU")
    for name, seconds in rows.items():
        print(f"    {name:16s} {seconds:5.2f} s  {100 * seconds / total:3.0f} %")
    print(f"    (with Python's GC on, collections add {collecting[0]:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--split", action="store_true", help="where the render's time goes")
    args = parser.parse_args()
    for n in (400, 2_500, 10_000):
        t0 = time.perf_counter()
        view = view_for(n)
        t_view = time.perf_counter() - t0
        times = timings(view, args.repeat)
        size = len(render_pdf(view, sandbox=False)) // 1024
        print(f"{n:>6} cases: PDF {size} KiB (disclosure control of both years and the "
              f"view-model: {t_view:.2f} s, not part of rendering)")  # fmt: skip
        for key, values in times.items():
            print(f"  {key:20s} median {statistics.median(values):6.2f} s   "
                  f"max {max(values):6.2f} s")  # fmt: skip
        if args.split and n == 10_000:
            split(view)
    pdf.dismiss_worker()


if __name__ == "__main__":
    main()
