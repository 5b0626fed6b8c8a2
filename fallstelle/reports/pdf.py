"""Render a report view-model to HTML (Jinja) and to PDF (WeasyPrint in a limited child).

Owns the template environment, the choice of template, the worker process with its
resource limits, and writing the file without ever leaving a partial one. Imports the
standard library, Jinja2 and the ``reports`` view-model and worker modules; never
``crypto``, ``cases``, the database or Flask.

* **Templates** live in the top-level ``reports/`` folder (an office may restyle them):
  ``funding/report.html`` and ``campaign/report.html``, both extending ``base.html``.
  Jinja runs with autoescaping on and ``StrictUndefined`` (PDF-6); the template receives
  one frozen view-model (``report``) and nothing else.
* **Isolation (PDF-5)**: :func:`render_pdf` runs :mod:`.pdf_worker` as a script in a fresh
  interpreter (``python -P``, no inherited ``FALLSTELLE_*`` variables) that limits its own
  CPU time (30 s) and address space (1 GiB) before importing WeasyPrint; the parent also
  kills it after a wall-clock timeout. A 20-table funding report needs about 0.3 GiB of
  address space and 2–3 s of CPU (benchmarks/report_bench.py). ``sandbox=False`` renders
  in-process, for the HTML preview's tests and for measuring the overhead.
* **Broken assets**: a missing or forbidden asset is a :class:`ReportRenderError` naming
  it; :func:`write_pdf` writes to a temporary file beside the target and renames it only
  after success, so a failed render leaves no file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

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
    return Environment(
        loader=FileSystemLoader(str(root)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


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


def _render_in_child(html: str, root: Path, title: str, created: str, limits: Limits) -> bytes:
    job = json.dumps({"html": html, "root": str(root), "title": title, "created": created})
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    command = [
        sys.executable,
        "-P",
        pdf_worker.__file__,
        str(limits.cpu_seconds),
        str(limits.memory_bytes),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv: our interpreter and our worker file
            command,
            input=job.encode(),
            capture_output=True,
            env=env,
            timeout=limits.wall_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReportRenderError(f"rendering took longer than {limits.wall_seconds} s") from None
    if done.returncode == 0 and done.stdout.startswith(b"%PDF-"):
        return done.stdout
    detail = done.stderr.decode(errors="replace").strip().splitlines()
    last = detail[-1] if detail else ""
    if done.returncode == pdf_worker.EXIT_ASSET:
        raise ReportRenderError(f"report asset: {last}")
    if done.returncode < 0:
        raise ReportRenderError(f"rendering stopped by signal {-done.returncode} (limit reached)")
    raise ReportRenderError(f"rendering failed (exit {done.returncode}): {last[:300]}")


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
