"""HTML → PDF with WeasyPrint, restricted to the bundled assets (security.md §8, PDF-2 … PDF-5).

Owns the URL fetcher, the metadata scrubbing, the post-layout clean-up of the rendered
document (attachments, leaders) and the worker process that :mod:`.pdf` starts with
resource limits. **Imports only the standard library and WeasyPrint** — not even
``fallstelle`` — because :mod:`.pdf` runs this file by path in a fresh interpreter, so that
the child neither imports Flask nor sees the parent's configuration.

* **Fetcher (PDF-2, PDF-3)**: the document's base URL is a virtual origin
  ``https://report-assets.invalid/`` (``.invalid`` never resolves, RFC 2606), not the
  filesystem. The fetcher maps that origin, and only it, to files under the top-level
  ``reports/`` folder: the path is resolved (symlinks too) and must stay inside the folder,
  and only style sheets, fonts and images are served. Everything else — ``file://``,
  ``http(s)`` to any other host, ``data:``, a missing file, a path that escapes the folder —
  raises. WeasyPrint is told to treat every fetch error as fatal, so a report with a broken
  or forbidden asset fails as a whole instead of rendering without it.
* **No attachments (PDF-3)**: ``<link rel=attachment>`` and ``<a rel=attachment>`` are
  dropped from the rendered document before the PDF is written; nothing else attaches.
* **Metadata (PDF-4)**: whatever ``<meta>`` tags a restyled template carries, the PDF gets
  our title and date only; author, subject, keywords and creator are emptied. The producer
  stays "WeasyPrint <version>" (no person). The date is the report's generation date, so
  the same release renders to the same bytes.
* **Tagged (PDF/UA-1)** so that screen readers can read tables and headings.
* **Leaders**: WeasyPrint makes every dot of a ``leader()`` (the contents' dot leaders) a
  text box of its own; after layout each leader's dots become one run of text in the same
  place (:func:`merge_leader_dots`), which takes a sixth off a funding report's render.
* **Limits (PDF-5)**: run as a script, the worker sets ``RLIMIT_CPU`` and ``RLIMIT_AS``
  before it imports WeasyPrint, then reads one JSON job from stdin and writes the PDF to
  stdout (an empty stdin: no job, exit 0). It renders one report and exits, so it switches
  Python's cyclic garbage collector off: collecting WeasyPrint's many small objects cost
  a fifth of the render, and everything is freed at exit anyway (``RLIMIT_AS`` still caps
  the memory; a funding report needs about 10 % more of it).
* **Hyphenation dictionary**: pyphen's German patterns are parsed once per installation and
  kept as JSON in ``$XDG_CACHE_HOME/fallstelle`` (:func:`load_hyphenation`); each worker
  reads them back in a tenth of the parse (0.5 s of CPU per worker before).
"""

from __future__ import annotations

import base64
import copy
import gc
import hashlib
import json
import mimetypes
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

#: The virtual origin the templates' relative URLs resolve against.
ASSET_HOST = "report-assets.invalid"
BASE_URL = f"https://{ASSET_HOST}/"
#: What a report may load from ``reports/``: style sheets, fonts, images. No HTML, no PDF.
ALLOWED_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
#: Exit codes of the worker process.
EXIT_ASSET, EXIT_FAILED = 3, 4


#: An office's logo from its settings (issue 16): a PNG or JPEG inline, nothing else.
OFFICE_LOGO = re.compile(r"data:(image/png|image/jpeg);base64,([A-Za-z0-9+/]+={0,2})")


class AssetRefused(ValueError):
    """A template asked for something other than a bundled asset of ``reports/``."""


def resolve_asset(root: Path, url: str) -> Path:
    """Return the file under ``root`` that ``url`` names, or raise :class:`AssetRefused`.

    Only ``https://report-assets.invalid/<path>`` is accepted (query and fragment are
    ignored); ``<path>`` must resolve to an existing file inside ``root`` whose suffix is an
    allowed asset type.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.netloc != ASSET_HOST:
        raise AssetRefused(f"not a bundled report asset: {url[:200]}")
    relative = unquote(parts.path).lstrip("/")
    if not relative or "\x00" in relative or "\\" in relative:
        raise AssetRefused(f"not a bundled report asset: {url[:200]}")
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base):
        raise AssetRefused(f"outside the reports folder: {relative[:200]}")
    if candidate.suffix.lower() not in ALLOWED_TYPES:
        raise AssetRefused(f"not a style sheet, font or image: {relative[:200]}")
    if not candidate.is_file():
        raise AssetRefused(f"missing in the reports folder: {relative[:200]}")
    return candidate


def make_fetcher(root: Path) -> Any:
    """Return a WeasyPrint URL fetcher serving only the assets under ``root``."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> Any:
            inline = OFFICE_LOGO.fullmatch(url)
            if inline:  # the office's own logo, checked when the admin stored it
                body = base64.b64decode(inline.group(2), validate=True)
                return URLFetcherResponse(url, body=body, headers={"Content-Type": inline[1]})
            path = resolve_asset(root, url)
            mime = ALLOWED_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": mime or ""}
            )

    return AssetFetcher(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=True)


def html_to_pdf(html: str, *, root: Path, title: str, created: str) -> bytes:
    """Render ``html`` to a tagged PDF whose only metadata are ``title`` and ``created``.

    ``created`` is an ISO date (``2027-01-15``). Raises :class:`AssetRefused` (wrapped by
    WeasyPrint's fatal fetch error, see :func:`asset_error`) for a broken or forbidden asset.
    """
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(root)).render()
    meta = document.metadata
    meta.title = title
    meta.authors, meta.keywords, meta.attachments = [], [], []
    meta.description = meta.generator = None
    meta.created = meta.modified = created
    meta.custom = {}
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
        merge_leader_dots(page)
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1", attachments=None, pdf_identifier=None)
    return pdf


def merge_leader_dots(page: Any) -> int:
    """Draw each ``leader()`` of ``page`` as one run of text; return how many were merged.

    WeasyPrint lays a leader out as one text box per dot, each drawn on its own (a new
    Pango layout, a text object, a tagged span): the contents page of a funding report
    has about 3,500 of them, a sixth of the whole render. After layout the dots of one
    leader are equal boxes side by side, so they are replaced by one box holding all of
    them, starting where the first dot was: the same glyphs in the same place (within
    0.2 pt at the far end) and one span for screen readers instead of a hundred. Anything
    that does not look like such a row of dots is left as WeasyPrint made it.
    """
    from weasyprint.formatting_structure.boxes import TextBox

    merged = 0
    stack: list[Any] = [getattr(page, "_page_box", None)]  # WeasyPrint 70's box tree
    while stack:
        box = stack.pop()
        children = getattr(box, "children", None)
        if not children:
            continue
        if not getattr(box, "is_leader", False):
            stack.extend(children)
            continue
        dots = sorted(children, key=lambda child: child.position_x)
        first = dots[0]
        if len(dots) < 2 or any(
            type(dot) is not TextBox
            or dot.text != first.text
            or getattr(dot, "pango_layout", None) is None
            for dot in dots
        ):
            continue
        run = first.copy_with_text(first.text * len(dots))
        run.width = dots[-1].position_x + dots[-1].width - first.position_x
        run.pango_layout = copy.copy(first.pango_layout)  # drawing re-creates it from .text
        run.pango_layout.text = run.text
        box.children = (run,)
        merged += 1
    return merged


def asset_error(exc: BaseException) -> str | None:
    """Return a message if ``exc`` is WeasyPrint's fatal fetch error, else None."""
    if type(exc).__name__ != "FatalURLFetchingError":
        return None
    cause = exc.__cause__
    return f"{exc}: {cause}" if cause is not None else str(exc)


def _set_limits(cpu_seconds: int, memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


#: The reports' language (``<html lang="de">``): its dictionary is loaded ahead of the job.
#: WeasyPrint asks pyphen for ``language_fallback("de")`` (``hyph_de_AT.dic``, the same
#: patterns as de_DE): loading "de_DE" ahead parsed a second file that no render used.
HYPHENATION_LANG = "de"
#: Version of the parsed-dictionary file format (:func:`load_hyphenation`).
_CACHE_FORMAT = 1


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fallstelle"


def load_hyphenation(lang: str = HYPHENATION_LANG, cache_dir: Path | None = None) -> str:
    """Put pyphen's dictionary for ``lang`` into pyphen's per-file cache, parsed at most once.

    pyphen parses the 1 MB German dictionary in 0.5 s of CPU in every worker process. The
    parsed patterns are kept as JSON under ``cache_dir`` (default
    ``$XDG_CACHE_HOME/fallstelle``), keyed by the SHA-256 of the dictionary file and pyphen's
    version (pinned, requirements.txt): reading them back takes a tenth of the parse, and a
    file that is missing, stale, unreadable or malformed is ignored and written anew (JSON,
    so a damaged file can only fail to load, never run code). Returns how the dictionary
    came: ``"loaded"`` (already in pyphen's cache), ``"cached"`` (from the file), ``"parsed"``.
    """
    import pyphen

    path = pyphen.LANGUAGES[pyphen.language_fallback(lang)]
    if path in pyphen.hdcache:
        return "loaded"
    key = f"{_CACHE_FORMAT}:{pyphen.__version__}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    file = (cache_dir or _cache_dir()) / f"hyph-{path.name}.json"
    hyph = _read_cached(file, key, pyphen.HyphDict)
    if hyph is not None:
        pyphen.hdcache[path] = hyph
        return "cached"
    hyph = pyphen.HyphDict(path)
    pyphen.hdcache[path] = hyph
    _write_cached(file, key, hyph.patterns)
    return "parsed"


def _read_cached(file: Path, key: str, kind: type) -> Any:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        patterns = {
            str(name): (int(start), tuple(int(v) for v in values))
            for name, (start, values) in data["patterns"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not patterns:
        return None
    hyph: Any = object.__new__(kind)  # pyphen.HyphDict without parsing: its three attributes
    hyph.patterns, hyph.cache = patterns, {}
    hyph.maxlen = max(len(name) for name in patterns)
    return hyph


def _write_cached(file: Path, key: str, patterns: dict[str, Any]) -> None:
    # only plain patterns (German has no nonstandard hyphenation, whose values carry data)
    if any(type(v) is not int for _, values in patterns.values() for v in values):
        return
    body = json.dumps({"key": key, "patterns": patterns}, ensure_ascii=False)
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".hyph-", dir=file.parent)
    except OSError:
        return  # no writable cache: every worker parses, as before
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(tmp, file)  # whole or not at all: readers never see a partial file
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def main() -> int:
    """Worker entry: limits from argv, job (JSON) from stdin, PDF to stdout.

    WeasyPrint is imported before the job is read, so that a worker started ahead of time
    (:mod:`.pdf` keeps one ready) is warm when its job arrives. An empty stdin means the
    worker is no longer needed: it exits with 0 and writes nothing.
    """
    # One job per process, which then exits: the cyclic garbage collector would spend a
    # fifth of the render walking WeasyPrint's boxes for nothing; RLIMIT_AS bounds memory.
    gc.disable()
    cpu_seconds, memory_bytes = int(sys.argv[1]), int(sys.argv[2])
    _set_limits(cpu_seconds, memory_bytes)
    try:
        import weasyprint  # noqa: F401 - warm before the job arrives

        # The German hyphenation dictionary (``hyphens: auto`` on table headings, issue 10):
        # pyphen keeps it per file, so load it while waiting, parsed once per installation.
        load_hyphenation()

        raw = sys.stdin.buffer.read()
        if not raw:
            return 0
        job = json.loads(raw)
        pdf = html_to_pdf(
            job["html"], root=Path(job["root"]), title=job["title"], created=job["created"]
        )
    except BaseException as exc:  # the fatal fetch error is a BaseException
        message = asset_error(exc)
        if message is not None:
            sys.stderr.write(message)
            return EXIT_ASSET
        if isinstance(exc, MemoryError):
            sys.stderr.write("memory limit reached")
            return EXIT_FAILED
        raise
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
