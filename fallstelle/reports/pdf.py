"""Render a report view-model to HTML (Jinja) and to PDF (WeasyPrint in a limited child).

Owns the template environment, the choice of template, the worker process with its
resource limits, and writing the file without ever leaving a partial one. Imports the
standard library, Jinja2 (with its ``markupsafe``) and the ``reports`` view-model and
worker modules; never ``crypto``, ``cases``, the database or Flask.

* **Templates** live in the top-level ``reports/`` folder (an office may restyle them):
  ``funding/report.html`` and ``campaign/report.html``, both extending ``base.html``.
  Jinja runs with autoescaping on and ``StrictUndefined`` (PDF-6); the template receives
  one frozen view-model (``report``) and nothing else. The filter ``spaceless`` drops the
  blanks between the tags of table markup (:func:`spaceless`).
* **Isolation (PDF-5)**: :func:`render_pdf` runs :mod:`.pdf_worker` as a script in a fresh
  interpreter (``python -P``, no inherited ``FALLSTELLE_*`` variables) that limits its own
  CPU time (30 s) and address space (1 GiB) before importing WeasyPrint; the parent also
  kills it after a wall-clock timeout. A 20-table funding report needs about 0.3 GiB of
  address space and 2–3 s of CPU, WeasyPrint's import included (benchmarks/report_bench.py).
  ``sandbox=False`` renders in-process, for the HTML preview's tests and for measuring the
  overhead.
* **A worker started ahead of time**: starting Python and importing WeasyPrint takes about
  0.7 s, so one worker is started before it is needed (:func:`prepare_worker`: when a
  build begins, and after every render) and waits, limits set and WeasyPrint loaded, for
  its job. It is still one process per job — it renders exactly one report and exits, so
  no job can see another's state — and it is used only if it is alive and was started with
  the same limits and environment; otherwise, or when two renders overlap, a fresh worker
  starts as before. Every worker is reaped (after its job, when killed at a limit, at exit
  by :func:`dismiss_worker`, or by the next render if it died while waiting); a forked copy
  of the app forgets the parent's spare.
* **Broken assets**: a missing or forbidden asset is a :class:`ReportRenderError` naming
  it; :func:`write_pdf` writes to a temporary file beside the target and renames it only
  after success, so a failed render leaves no file.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from fallstelle.errors import FallstelleError
from fallstelle.reports import pdf_worker
from fallstelle.reports.viewmodel import CampaignReport, FundingReport

#: The top-level ``reports/`` folder of the checkout (templates, CSS, fonts, logo).
REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
#: Environment variables the worker inherits; everything else (database URLs, key paths,
#: secrets) stays in the parent.
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV",
             "FONTCONFIG_FILE", "FONTCONFIG_PATH", "XDG_CACHE_HOME", "LD_LIBRARY_PATH")

Report = FundingReport | CampaignReport


class ReportRenderError(FallstelleError):
    """A report could not be rendered (broken template or asset, limit reached)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of the rendering process (PDF-5)."""

    cpu_seconds: int = 30
    memory_bytes: int = 1 << 30  # address space; 0 leaves it unlimited
    wall_seconds: int = 90


@lru_cache(maxsize=8)
def environment(root: Path) -> Environment:
    """Return the Jinja environment of the templates under ``root`` (autoescape on)."""
    env = Environment(
        loader=FileSystemLoader(str(root)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["spaceless"] = spaceless
    return env


_BETWEEN_TAGS = re.compile(r">\s+<")


def spaceless(markup: str) -> Markup:
    """Drop the whitespace between tags (``{% filter spaceless %}`` in a template).

    For table markup only: WeasyPrint ignores whitespace between table rows and cells, but
    its HTML parser still reads every character and the box builder visits every blank
    text, a few per cent of a funding report's render for nothing (the PDF is the same
    bytes). Between inline elements whitespace is a visible space: do not use it there.
    """
    return Markup(_BETWEEN_TAGS.sub("><", str(markup)))  # noqa: S704 - only removes blanks


def render_html(report: Report, *, root: Path = REPORTS_DIR) -> str:
    """Return the report's HTML (relative asset URLs, see :mod:`.pdf_worker`).

    Raises:
        ReportRenderError: the template is missing or broken.
    """
    try:
        template = environment(root).get_template(report.template)
        return template.render(report=report)
    except TemplateError as exc:
        raise ReportRenderError(f"report template {report.template}: {exc}") from exc


def render_pdf(
    report: Report,
    *,
    root: Path = REPORTS_DIR,
    sandbox: bool = True,
    limits: Limits | None = None,
) -> bytes:
    """Return the report as a tagged PDF with title and date as its only metadata.

    Raises:
        ReportRenderError: a broken template or asset, or the worker hit a limit.
    """
    html = render_html(report, root=root)
    title, created = report.meta.document_title, report.meta.generated_iso
    if not sandbox:
        try:
            return pdf_worker.html_to_pdf(html, root=root, title=title, created=created)
        except BaseException as exc:  # WeasyPrint's fatal fetch error is a BaseException
            message = pdf_worker.asset_error(exc)
            if message is None:
                raise
            raise ReportRenderError(f"report asset: {message}") from None
    return _render_in_child(html, root, title, created, limits or Limits())


def _worker_env() -> dict[str, str]:
    return {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}


def _start_worker(limits: Limits, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-P",
        pdf_worker.__file__,
        str(limits.cpu_seconds),
        str(limits.memory_bytes),
    ]
    return subprocess.Popen(  # noqa: S603 - fixed argv: our interpreter and our worker file
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@dataclass
class _Spare:
    """A worker started ahead of time that has not been given a job yet."""

    process: subprocess.Popen[bytes]
    limits: Limits
    env: dict[str, str]


_spare_lock = threading.Lock()
_spare: _Spare | None = None


def prepare_worker(limits: Limits | None = None) -> None:
    """Start a worker ahead of time, so that the next :func:`render_pdf` finds it warm.

    Does nothing when one is ready. The worker imports WeasyPrint under its limits and then
    waits for its one job; :func:`render_pdf` calls this after every render, and
    :func:`fallstelle.reports.service.build_release` before aggregating.
    """
    global _spare
    limits = limits or Limits()
    env = _worker_env()
    with _spare_lock:
        if _spare is not None and _spare.process.poll() is None:
            return
        _spare = _Spare(_start_worker(limits, env), limits, env)


def _take_worker(limits: Limits) -> subprocess.Popen[bytes]:
    """Return the spare worker if it was started with these limits and is alive, else a new one."""
    global _spare
    env = _worker_env()
    with _spare_lock:
        spare = _spare
        if spare is not None and (spare.limits, spare.env) == (limits, env):
            _spare = None
            if spare.process.poll() is None:
                return spare.process
    return _start_worker(limits, env)


def dismiss_worker() -> None:
    """Stop and reap the spare worker, if any (at exit; it holds no job)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        _stop(spare.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and reap it, so that no zombie is left."""
    process.kill()
    process.communicate()


def _forget_in_child() -> None:
    # A forked copy of the app must not share the parent's spare (its pipes belong to the
    # parent, and only the parent can reap it).
    global _spare, _spare_lock
    _spare, _spare_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
atexit.register(dismiss_worker)


def _render_in_child(html: str, root: Path, title: str, created: str, limits: Limits) -> bytes:
    job = json.dumps({"html": html, "root": str(root), "title": title, "created": created})
    process = _take_worker(limits)
    try:
        stdout, stderr = process.communicate(job.encode(), timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise ReportRenderError(f"rendering took longer than {limits.wall_seconds} s") from None
    except BaseException:
        _stop(process)
        raise
    finally:
        if limits == Limits():
            prepare_worker(limits)  # the next report finds a warm worker
    code = process.returncode
    if code == 0 and stdout.startswith(b"%PDF-"):
        return stdout
    detail = stderr.decode(errors="replace").strip().splitlines()
    last = detail[-1] if detail else ""
    if code == pdf_worker.EXIT_ASSET:
        raise ReportRenderError(f"report asset: {last}")
    if code < 0:
        raise ReportRenderError(f"rendering stopped by signal {-code} (limit reached)")
    raise ReportRenderError(f"rendering failed (exit {code}): {last[:300]}")


def write_pdf(
    report: Report,
    out: Path,
    *,
    root: Path = REPORTS_DIR,
    sandbox: bool = True,
    limits: Limits | None = None,
) -> None:
    """Render the report and write it to ``out``; on any error no file is left behind.

    Raises:
        ReportRenderError: see :func:`render_pdf`.
        OSError: the target directory cannot be written.
    """
    pdf = render_pdf(report, root=root, sandbox=sandbox, limits=limits)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".pdf.part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
