"""Constant messages translated at compile time (web.template_messages) change no page."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from fallstelle.web.template_messages import LocalizedEnvironment
from tests.auth.factories import Account
from tests.web.helpers import sign_in
from tests.web.test_cases import open_case

TOKEN = re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+"')


def _pages(client: FlaskClient, paths: list[str]) -> list[str]:
    pages = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages.append(TOKEN.sub(r'\1…"', response.get_data(as_text=True)))
    return pages


@pytest.mark.parametrize("language", ["de", "en"])
def test_pages_are_the_same_with_and_without_compiled_messages(
    app: Flask, anna: Account, language: str
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    case = open_case(client)
    client.get(case)  # shows (and uses up) the message that the case was opened
    client.set_cookie("lang", language)
    paths = ["/", "/faelle", case, f"{case}?druck=1", f"{case}/kontakt", "/hilfe/"]
    env = app.jinja_env
    assert isinstance(env, LocalizedEnvironment)
    compiled = _pages(client, paths)
    env.localize = False
    try:
        plain = _pages(client, paths)
    finally:
        env.localize = True
    assert compiled == plain
    assert ("Verlauf" in compiled[2]) == (language == "de")  # the page is in its language
    # the overlay of the language rendered the pages, with the messages as static text
    overlay = env._overlay(language)
    source = overlay.loader.get_source(overlay, "cases/show.html")[0]  # type: ignore[union-attr]
    assert '_("Timeline")' in source
    code = overlay.compile(source, "cases/show.html", raw=True)
    assert "Timeline" not in code or language == "en"
    assert ("Verlauf" in code) == (language == "de")


def test_languages_alternate_per_request(app: Flask) -> None:
    german, english = app.test_client(), app.test_client()
    english.set_cookie("lang", "en")
    for _ in range(2):
        assert "<title>Anmelden – fallstelle</title>" in german.get("/anmelden").get_data(
            as_text=True
        )
        assert "<title>Sign in – fallstelle</title>" in english.get("/anmelden").get_data(
            as_text=True
        )


def test_what_it_leaves_alone(app: Flask) -> None:
    """Variables, attribute calls and messages that need variables keep the runtime path."""
    env = app.jinja_env
    assert isinstance(env, LocalizedEnvironment)
    with app.test_request_context("/"):
        overlay = env._overlay("de")
        code = overlay.compile(
            '{{ _("Case %(number)s", number=1) }}{{ x._("Timeline") }}{{ _("in %(n)s days") }}',
            "t.html", raw=True,
        )  # fmt: skip
        assert code.count("'_'") + code.count("_(") >= 2 and "Verlauf" not in code
        assert render_template_string('{{ _("Timeline") }}') == "Verlauf"
        # A constant is marked safe as _() marks it (not escaped), and %% is formatted.
        message = "{{ _(\"a < b & 'c' 100%%\") }}"
        assert "context.call" not in overlay.compile(message, raw=True)
        assert overlay.from_string(message).render() == "a < b & 'c' 100%"
        assert env.from_string(message).render() == "a < b & 'c' 100%"  # the runtime path
