"""The worker started ahead of time (PDF-5): one job per process, same limits, no zombies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fallstelle.reports import pdf
from fallstelle.reports.pdf import Limits, ReportRenderError, prepare_worker, render_pdf
from fallstelle.reports.report_views import funding_view
from tests.reports.pdf_helpers import META, copy_reports, small_release


@pytest.fixture(autouse=True)
def _no_spare_before_or_after() -> Iterator[None]:
    pdf.dismiss_worker()
    yield
    pdf.dismiss_worker()


def _spare() -> subprocess.Popen[bytes]:
    spare = pdf._spare
    assert spare is not None
    return spare.process


def _is_reaped(process: subprocess.Popen[bytes]) -> bool:
    """True when the process has exited and been waited for: no zombie, no /proc entry."""
    return process.returncode is not None and not Path(f"/proc/{process.pid}").exists()


def test_every_job_gets_its_own_process_and_the_used_one_is_reaped() -> None:
    view = funding_view(small_release(), META)
    prepare_worker()
    first = _spare()
    one = render_pdf(view)
    second = _spare()  # started after the first job, for the next one
    two = render_pdf(view)
    assert first.pid != second.pid != _spare().pid
    assert _is_reaped(first) and _is_reaped(second)
    assert one == two


def test_a_warm_worker_writes_the_same_bytes_as_a_fresh_one() -> None:
    view = funding_view(small_release(), META)
    prepare_worker()
    warm = render_pdf(view)
    fresh = render_pdf(view, limits=Limits(cpu_seconds=29))  # other limits: never the spare
    assert warm == fresh


def test_a_worker_that_died_while_waiting_is_replaced() -> None:
    prepare_worker()
    dead = _spare()
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    view = funding_view(small_release(), META)
    assert render_pdf(view).startswith(b"%PDF-")
    assert _is_reaped(dead) and _spare().pid != dead.pid


def test_a_spare_with_other_limits_or_environment_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare_worker()
    spare = _spare()
    monkeypatch.setenv("LANG", "C.UTF-8" if os.environ.get("LANG") != "C.UTF-8" else "C")
    render_pdf(funding_view(small_release(), META))
    assert spare.poll() is None  # still waiting: the job went to a fresh worker
    monkeypatch.undo()
    render_pdf(funding_view(small_release(), META), limits=Limits(memory_bytes=0))
    assert spare.poll() is None


def test_a_broken_asset_in_a_warm_worker_is_a_clear_error(tmp_path: Path) -> None:
    root = copy_reports(tmp_path)
    (root / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    prepare_worker()
    used = _spare()
    with pytest.raises(ReportRenderError, match=r"DejaVuSans-Bold\.ttf"):
        render_pdf(funding_view(small_release(), META), root=root)
    assert _is_reaped(used)
    assert render_pdf(funding_view(small_release(), META)).startswith(b"%PDF-")


def test_a_worker_over_time_is_killed_and_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    original = pdf._start_worker

    def spy(limits: Limits, env: dict[str, str]) -> subprocess.Popen[bytes]:
        started.append(original(limits, env))
        return started[-1]

    monkeypatch.setattr(pdf, "_start_worker", spy)
    with pytest.raises(ReportRenderError, match="longer than 0 s"):
        render_pdf(funding_view(small_release(), META), limits=Limits(wall_seconds=0))
    assert len(started) == 1 and _is_reaped(started[0])


def test_dismissing_reaps_the_spare() -> None:
    prepare_worker()
    spare = _spare()
    pdf.dismiss_worker()
    assert pdf._spare is None and _is_reaped(spare)


def test_concurrent_renders_each_get_a_worker() -> None:
    view = funding_view(small_release(), META)
    prepare_worker()
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(render_pdf(view))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len(set(results)) == 1
    assert _spare().poll() is None  # exactly one spare is left waiting


def test_a_worker_without_a_job_exits_quietly() -> None:
    done = subprocess.run(
        [sys.executable, "-P", pdf.pdf_worker.__file__, "30", "0"],
        input=b"",
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


# -- the German hyphenation dictionary, parsed once (issue 10, build time) ------------------


def test_the_dictionary_loaded_ahead_is_the_one_the_reports_use() -> None:
    """WeasyPrint asks pyphen for the document's ``lang``; the worker must load that file
    ahead, not another one with the same patterns (de_DE was loaded, de_AT used)."""
    import re

    import pyphen

    lang = re.search(r'<html lang="([^"]+)"', (pdf.REPORTS_DIR / "base.html").read_text())
    assert lang is not None
    used = pyphen.LANGUAGES[pyphen.language_fallback(lang.group(1))]
    ahead = pyphen.LANGUAGES[pyphen.language_fallback(pdf.pdf_worker.HYPHENATION_LANG)]
    assert ahead == used


def test_the_parsed_dictionary_is_cached_and_equal_to_a_fresh_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyphen

    from fallstelle.reports.pdf_worker import load_hyphenation

    path = pyphen.LANGUAGES[pyphen.language_fallback("de")]
    fresh = pyphen.HyphDict(path)
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert load_hyphenation("de", tmp_path) == "parsed"
    assert load_hyphenation("de", tmp_path) == "loaded"
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert load_hyphenation("de", tmp_path) == "cached"
    cached = pyphen.hdcache[path]
    assert (cached.patterns, cached.maxlen, cached.cache) == (fresh.patterns, fresh.maxlen, {})
    assert pyphen.Pyphen(lang="de").inserted("Beschwerdebrief") == "Be-schwer-de-brief"


@pytest.mark.parametrize("damage", ["stale", "truncated", "garbage"])
def test_a_stale_or_damaged_cache_is_parsed_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    import json

    import pyphen

    from fallstelle.reports.pdf_worker import load_hyphenation

    monkeypatch.setattr(pyphen, "hdcache", {})
    load_hyphenation("de", tmp_path)
    (file,) = tmp_path.glob("hyph-*.json")
    text = file.read_text(encoding="utf-8")
    if damage == "stale":  # another dictionary file or pyphen version: another key
        data = json.loads(text)
        data["key"] += "0"
        data["patterns"] = {"ab1c": [2, [1]]}
        file.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "truncated":
        file.write_text(text[: len(text) // 2], encoding="utf-8")
    else:
        file.write_text('{"key": 1, "patterns": [3]}', encoding="utf-8")
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert load_hyphenation("de", tmp_path) == "parsed"
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert load_hyphenation("de", tmp_path) == "cached"  # written anew
    assert len(pyphen.hdcache[pyphen.LANGUAGES["de"]].patterns) > 60_000
