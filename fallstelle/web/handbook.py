"""The handbook (``docs/handbuch/``) inside the app, linked from every page's footer.

Public: it holds no personal data, and the chapter on signing in must be readable before
one has. The pages are Markdown files of this checkout, rendered once per process; links
between chapters and to pictures are rewritten to this blueprint's addresses, so the same
files read well on a code forge and in the app.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import markdown
from flask import Blueprint, abort, render_template, send_from_directory
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from fallstelle.web.guard import public

HANDBOOK = Path(__file__).resolve().parents[2] / "docs" / "handbuch"
CHAPTERS = ("README", "beratung", "leitung", "pruefung", "verwaltung")
PICTURE = re.compile(r"[a-z0-9-]{1,60}\.png")

bp = Blueprint("handbook", __name__, url_prefix="/hilfe")


@cache
def _render(chapter: str) -> tuple[str, Markup]:
    source = (HANDBOOK / f"{chapter}.md").read_text(encoding="utf-8")
    source = re.sub(r"\]\(([a-z]+)\.md\)", r"](/hilfe/\1)", source)
    source = source.replace("](bilder/", "](/hilfe/bilder/")
    title = source.splitlines()[0].lstrip("# ").strip()
    html = markdown.markdown(source, extensions=["tables"], output_format="html")
    return title, Markup(html)  # noqa: S704 - the handbook files of this checkout


@bp.get("/", defaults={"chapter": "README"})
@bp.get("/<chapter>")
@public
def page(chapter: str) -> str:
    if chapter not in CHAPTERS or not (HANDBOOK / f"{chapter}.md").is_file():
        abort(404)
    title, body = _render(chapter)
    return render_template("handbook.html", title=title, body=body)


@bp.get("/bilder/<name>")
@public
def picture(name: str) -> BaseResponse:
    if not PICTURE.fullmatch(name):
        abort(404)
    return send_from_directory(HANDBOOK / "bilder", name, max_age=3600)
