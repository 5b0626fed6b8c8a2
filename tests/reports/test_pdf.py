"""PDF rendering: fetcher, attachments, metadata, text, canary, broken assets, limits (PDF-1…6)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

import pytest

from fallstelle.reports import pdf_worker, sample
from fallstelle.reports.disclosure import suppress_release
from fallstelle.reports.disclosure_text import format_percent, percentage
from fallstelle.reports.pdf import (
    REPORTS_DIR,
    Limits,
    ReportRenderError,
    render_html,
    render_pdf,
    spaceless,
    write_pdf,
)
from fallstelle.reports.pdf_worker import BASE_URL, AssetRefused, resolve_asset
from fallstelle.reports.report_views import (
    PreviousRelease,
    campaign_view,
    funding_view,
)
from tests.reports.pdf_helpers import (
    CANARY_VALUE,
    META,
    copy_reports,
    edit_base,
    pdf_info,
    pdf_text,
    poppler,
    small_release,
)

TITLE_PAGE = '<section class="title-page" aria-label="Titelseite">'


def test_weasyprint_is_at_least_69() -> None:
    major = int(version("weasyprint").split(".")[0])
    assert major >= 69  # PDF-1: CVE-2025-68616 (redirects), CVE-2026-49452 (hints)


# -- the fetcher (PDF-2) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{REPORTS_DIR}/base.css",  # even inside reports/: file:// is never served
        "http://example.com/report.css",
        "https://example.com/report.css",
        "https://report-assets.invalid.example.com/base.css",
        "https://user@report-assets.invalid/base.css",
        "https://report-assets.invalid:8443/base.css",
        BASE_URL + "../../etc/passwd",
        BASE_URL + "%2e%2e/%2e%2e/etc/passwd",
        BASE_URL + "fonts/..%2f..%2fSECURITY.md",
        BASE_URL + "base.html",  # a template is not an asset
        BASE_URL + "fonts/LICENSE-DejaVu.txt",
        BASE_URL + "missing.css",
        BASE_URL,
        "data:text/css,body{}",
        "ftp://example.com/x.css",
    ],
)
def test_fetcher_refuses_everything_but_bundled_assets(url: str) -> None:
    with pytest.raises(AssetRefused):
        resolve_asset(REPORTS_DIR, url)


@pytest.mark.parametrize("path", ["base.css", "fonts/DejaVuSans.ttf", "funding/report.css"])
def test_fetcher_serves_bundled_assets(path: str) -> None:
    assert resolve_asset(REPORTS_DIR, BASE_URL + path) == (REPORTS_DIR / path).resolve()


def test_fetcher_refuses_a_symlink_leading_out(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / "logo.png").symlink_to("/etc/passwd")
    with pytest.raises(AssetRefused, match="outside"):
        resolve_asset(root, BASE_URL + "logo.png")


def test_raw_html_with_a_file_image_fails_and_embeds_nothing(tmp_path: Path) -> None:
    root = copy_reports(tmp_path)
    edit_base(root, TITLE_PAGE, '<img src="file:///etc/passwd" alt="">')
    out = tmp_path / "out.pdf"
    view = funding_view(small_release(), META)
    with pytest.raises(ReportRenderError, match="etc/passwd"):
        write_pdf(view, out, root=root, sandbox=False)
    assert not out.exists()


def test_template_values_are_escaped_not_fetched(tmp_path: Path) -> None:
    hostile = '<img src="file:///etc/passwd"> <script>alert(1)</script>'
    view = funding_view(small_release(), replace(META, offices=(hostile,)))
    html = render_html(view)
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=" in html
    out = tmp_path / "escaped.pdf"
    write_pdf(view, out, sandbox=False)
    text = pdf_text(out)
    assert "root:x:0:0" not in text and "root:x:0:0" not in out.read_bytes().decode("latin-1")
    assert '<img src="file:///etc/passwd">' in text.replace("\n", " ")


# -- attachments and metadata (PDF-3, PDF-4) --------------------------------------------------


def test_attachment_links_in_a_restyled_template_are_dropped(tmp_path: Path) -> None:
    root = copy_reports(tmp_path)
    edit_base(
        root,
        '<link rel="stylesheet" href="base.css">',
        '<link rel="attachment" href="base.css">'
        '<meta name="author" content="Erika Mustermann">'
        '<meta name="generator" content="Berater Max">'
        '<meta name="keywords" content="Erika">'
        '<meta name="description" content="Fall Erika">',
    )
    edit_base(root, TITLE_PAGE, '<a rel="attachment" href="fonts/DejaVuSans.ttf">Anhang</a>')
    out = tmp_path / "report.pdf"
    write_pdf(funding_view(small_release(), META), out, root=root, sandbox=False)
    assert "0 embedded files" in poppler("pdfdetach", "-list", str(out))
    info = pdf_info(out)
    assert "Erika" not in str(info) and "Max" not in str(info)
    assert {"Author", "Creator", "Keywords", "Subject"}.isdisjoint(info)
    assert "Erika" not in poppler("pdfinfo", "-meta", str(out))


def _first_share() -> str:
    """The published share of the first Merkmal in the sample, as the PDF writes it."""
    release = suppress_release(sample.sample_release(400))
    merkmal = next(p for p in release if p.table.key == "merkmal")
    return format_percent(percentage(merkmal, (0, 0)))


@pytest.fixture(scope="module")
def funding_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full sample funding report, rendered in the limited worker process."""
    release = suppress_release(sample.sample_release(400))
    previous = suppress_release(sample.sample_release(360, year=2025, seed=2025))
    view = funding_view(
        release,
        META,
        sections=sample.SECTIONS,
        activities=sample.ACTIVITIES,
        previous=PreviousRelease("2025", tuple(previous)),
        trend_keys=sample.TREND_KEYS,
    )
    out = tmp_path_factory.mktemp("pdf") / "sachbericht.pdf"
    write_pdf(view, out)
    return out


@pytest.mark.slow
def test_funding_report_metadata_is_title_and_date_only(funding_pdf: Path) -> None:
    info = pdf_info(funding_pdf)
    assert info["Title"] == "Statistik 2026 – Sachbericht"
    assert info["CreationDate"].startswith("Fri Jan 15 00:00:00 2027")
    assert {"Author", "Creator", "Keywords", "Subject"}.isdisjoint(info)
    assert info["Producer"].startswith("WeasyPrint")
    assert info["Tagged"] == "yes"  # PDF/UA-1
    assert info["JavaScript"] == "no"
    assert "0 embedded files" in poppler("pdfdetach", "-list", str(funding_pdf))


@pytest.mark.slow
def test_funding_report_text_is_german_and_complete(funding_pdf: Path) -> None:
    text = pdf_text(funding_pdf)
    for heading in (
        "Sachbericht",
        "Statistik 2026",
        "Berichtszeitraum 01.01.2026 – 31.12.2026",
        "Erstellt am 15.01.2027",
        "Inhalt",
        "Hinweise zu den Zahlen",
        "Tabelle 7: Merkmal nach Lebensbereich",
        "Entwicklung gegenüber 2025",
        "Aktivitäten außerhalb der Einzelfallberatung",
        "Runder Tisch gegen Rassismus",
        "21.05.2026",
        "Mehrfachnennungen möglich",
        "Seite 2 von",
    ):
        assert heading in text, heading
    assert "2.000" in text  # contacts by channel: German thousands separator
    assert _first_share() in text  # a share with a decimal comma


# -- what the text layer shows of a suppressed release (SDC-1, SDC-14) ----------------------


@pytest.fixture(scope="module")
def small_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "small.pdf"
    write_pdf(funding_view(small_release(), META), out, sandbox=False)
    return out


def _row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.strip().startswith(label))
    return line.split()


def test_suppressed_cells_show_the_marker(small_pdf: Path) -> None:
    text = pdf_text(small_pdf)
    assert _row(text, "Geschlecht")[1:] == [".", "–"]  # 2: primary
    assert _row(text, "Lebensalter")[1:] == [".", "–"]  # 30: its complement
    assert _row(text, "Rassismus")[1:] == ["42", "56,8"]  # 42 of 74 published cases
    assert _row(text, "Telefon")[1:] == ["1.234", "95,7"]
    assert "„.“ = Zahl ausgeblendet: 0, weniger als 5" in text  # "." may stand for 0


def test_canary_hidden_values_never_appear(small_pdf: Path) -> None:
    text = pdf_text(small_pdf)
    raw = small_pdf.read_bytes()
    for hidden in (str(CANARY_VALUE), "7.777"):
        assert hidden not in text
    assert str(CANARY_VALUE).encode() not in raw
    assert "Behörde" in text  # the row is there, its value is not
    assert _row(text, "Behörde")[1] == "."


def test_spaceless_tables_render_to_the_same_bytes(tmp_path: Path) -> None:
    assert spaceless('<tr>\n  <td>1 234</td>\n  <td> . </td>\n</tr>') == (
        "<tr><td>1 234</td><td> . </td></tr>"
    )
    view = funding_view(small_release(), META)
    assert "</td>\n" not in render_html(view)
    root = copy_reports(tmp_path)
    for name in ("macros.html", "funding/report.html"):
        template = root / name
        text = template.read_text()
        text = text.replace("{% filter spaceless %}", "").replace("{% endfilter %}", "")
        template.write_text(text)
    assert "</td>\n" in render_html(view, root=root)
    assert render_pdf(view, sandbox=False) == render_pdf(view, root=root, sandbox=False)


def _leader_dots(path: Path) -> dict[str, tuple[float, int, int]]:
    """Per line of the contents page: where the dots end, how many, in how many words."""
    xml = poppler("pdftotext", "-f", "2", "-l", "2", "-bbox", str(path), "-")
    found: dict[str, tuple[float, int, int]] = {}
    for y, x1, word in re.findall(r'yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', xml):
        dots = len(word) - len(word.rstrip("."))
        if word == "." or dots > 1:  # a dot of its own, or a run of them (not "1.")
            end, n, words = found.get(y, (0.0, 0, 0))
            found[y] = (max(end, float(x1)), n + dots, words + 1)
    return found


def test_leader_dots_are_one_run_per_line_in_the_same_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = funding_view(small_release(), META)
    merged, plain = tmp_path / "merged.pdf", tmp_path / "plain.pdf"
    write_pdf(view, merged, sandbox=False)
    monkeypatch.setattr(pdf_worker, "merge_leader_dots", lambda page: 0)
    write_pdf(view, plain, sandbox=False)
    one, each = _leader_dots(merged), _leader_dots(plain)
    assert one.keys() == each.keys() and len(one) >= 5
    for y, (end, n, words) in one.items():
        assert words == 1 < each[y][2] and n == each[y][1] > 10  # one run, the same dots
        assert abs(end - each[y][0]) < 0.2  # ending where they ended
    assert pdf_worker.merge_leader_dots(object()) == 0  # no box tree found: left alone


def test_rendering_is_deterministic() -> None:
    view = funding_view(small_release(), META)
    assert render_pdf(view, sandbox=False) == render_pdf(view, sandbox=False)


# -- broken assets, no partial files, limits (PDF-5) -----------------------------------------


@pytest.mark.parametrize("sandbox", [False, True])
def test_broken_asset_is_a_clear_error_and_leaves_no_file(tmp_path: Path, sandbox: bool) -> None:
    root = copy_reports(tmp_path)
    (root / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "report.pdf"
    with pytest.raises(ReportRenderError, match=r"DejaVuSans-Bold\.ttf"):
        write_pdf(funding_view(small_release(), META), out, root=root, sandbox=sandbox)
    assert os.listdir(out_dir) == []


def test_missing_logo_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    with pytest.raises(ReportRenderError, match=r"logo\.png"):
        write_pdf(funding_view(small_release(), replace(META, logo="logo.png")), out)
    assert not out.exists()


def test_broken_template_is_a_clear_error(tmp_path: Path) -> None:
    root = copy_reports(tmp_path)
    (root / "funding" / "report.html").write_text("{% extends 'base.html' %}{% block x %}")
    with pytest.raises(ReportRenderError, match=r"funding/report\.html"):
        render_html(funding_view(small_release(), META), root=root)


def test_worker_is_stopped_at_the_cpu_limit() -> None:
    release = suppress_release(sample.sample_release(400))
    view = funding_view(release, META, sections=sample.SECTIONS)  # about 2 s of CPU
    with pytest.raises(ReportRenderError, match="limit"):
        render_pdf(view, limits=Limits(cpu_seconds=1, memory_bytes=0))


def test_worker_is_stopped_at_the_memory_limit() -> None:
    view = funding_view(small_release(), META)
    with pytest.raises(ReportRenderError):
        render_pdf(view, limits=Limits(memory_bytes=64 << 20))


def test_campaign_report_renders_in_the_worker(tmp_path: Path) -> None:
    release = suppress_release(sample.sample_release(400))
    view = campaign_view(release, META, headlines=sample.HEADLINES, charts=sample.CHARTS)
    out = tmp_path / "kampagne.pdf"
    write_pdf(view, out)
    text = pdf_text(out)
    assert pdf_info(out)["Title"] == "Statistik 2026 – Zahlen und Fakten"
    assert "Diskriminierung in Zahlen" in text and "Auf einen Blick" in text
    assert "Worum ging es? Fälle nach Merkmal" in text
    assert f"{_first_share()} %" in text  # a bar's label
