"""Request pipeline: security headers, CSRF, error pages, languages, health."""

from __future__ import annotations

import re

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fallstelle.web.guard import public
from fallstelle.web.security import CSP

CSP_EXPECTED = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/anmelden").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the start page carries a CSRF token"
    return match.group(1)


def assert_headers(response: TestResponse) -> None:
    assert response.headers["Content-Security-Policy"] == CSP_EXPECTED
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def abort_app(app: Flask) -> Flask:
    """The app with test-only routes that fail on purpose (there is no real 403/409/429 yet)."""

    @app.get("/_test/abort/<int:code>")
    @public
    def _abort(code: int) -> str:
        abort(code)

    @app.get("/_test/boom")
    @public
    def _boom() -> str:
        raise RuntimeError("secret detail /srv/fallstelle/cases.py")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_csp_constant_is_exactly_the_required_policy() -> None:
    assert CSP == CSP_EXPECTED


def test_start_page_is_german_sign_in_with_headers(client: FlaskClient) -> None:
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"] == "/anmelden"
    response = client.get("/anmelden")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="de">' in body
    assert "<title>Anmelden – fallstelle</title>" in body
    assert "Fallverwaltung für die Antidiskriminierungs\u00adberatung" in body
    assert_headers(response)


def test_no_inline_script_or_style_and_no_foreign_host(client: FlaskClient) -> None:
    body = client.get("/anmelden").get_data(as_text=True)
    assert "<script" not in body and "style=" not in body and "<style" not in body
    assert "http://" not in body and "https://" not in body


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 302),
        ("/anmelden", 200),
        ("/health", 200),
        ("/static/css/fallstelle.css", 200),
        ("/nope", 404),
    ],
)
def test_every_kind_of_response_has_the_headers(
    client: FlaskClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert_headers(response)


def test_static_css_is_not_marked_no_store(client: FlaskClient) -> None:
    response = client.get("/static/css/fallstelle.css")
    assert response.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize(
    ("code", "german"),
    [
        (400, "Ungültige Anfrage"),
        (403, "Zugriff verweigert"),
        (404, "Seite nicht gefunden"),
        (405, "Methode nicht erlaubt"),
        (409, "Konflikt"),
        (413, "Zu groß"),
        (429, "Zu viele Anfragen"),
        (500, "Etwas ist schiefgelaufen"),
    ],
)
def test_error_pages_are_generic_and_german(abort_app: Flask, code: int, german: str) -> None:
    response = abort_app.test_client().get(f"/_test/abort/{code}")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert german in body and f"Fehler {code}" in body
    assert "Traceback" not in body
    assert_headers(response)


def test_unexpected_exception_shows_no_traceback(abort_app: Flask) -> None:
    response = abort_app.test_client().get("/_test/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Etwas ist schiefgelaufen" in body
    assert "Traceback" not in body and "secret detail" not in body and ".py" not in body
    assert_headers(response)


def test_real_404_405_413(client: FlaskClient, app: Flask) -> None:
    assert client.get("/gibt-es-nicht").status_code == 404
    assert client.get("/sprache").status_code == 405
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/sprache", data=big, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "Zu groß" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/sprache", data={"lang": "en"})
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_post_with_a_forged_csrf_token_is_refused(client: FlaskClient) -> None:
    csrf_token(client)
    response = client.post("/sprache", data={"lang": "en", "csrf_token": "forged"})
    assert response.status_code == 400


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/sprache", data={"lang": "en", "next": "/anmelden", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/anmelden"
    body = client.get("/anmelden").get_data(as_text=True)
    assert '<html lang="en">' in body and "<title>Sign in – fallstelle</title>" in body
    client.post("/sprache", data={"lang": "de", "csrf_token": token})
    assert '<html lang="de">' in client.get("/anmelden").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "x"])
def test_language_switch_is_no_open_redirect(client: FlaskClient, target: str) -> None:
    token = csrf_token(client)
    response = client.post("/sprache", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    client.set_cookie("lang", "xx")
    assert '<html lang="de">' in client.get("/anmelden").get_data(as_text=True)


def test_health_reports_ok(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_request_against_damaged_keys_gets_generic_500(app: Flask) -> None:
    settings = app.extensions["fallstelle"].settings
    next(settings.keys_dir.glob("kek-*.key")).write_bytes(b"\0" * 32)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/anmelden")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Etwas ist schiefgelaufen" in body and "Traceback" not in body


def test_no_attribute_renders_as_python_none(client: FlaskClient) -> None:
    body = client.get("/anmelden").get_data(as_text=True)
    assert '="None"' not in body


def test_translated_messages_follow_each_requests_language(app: Flask) -> None:
    """``_()`` keeps each message translated once per language and process (web.i18n): one
    request's language never reaches another, also when German and English alternate."""
    german, english = app.test_client(), app.test_client()
    english.set_cookie("lang", "en")
    for _ in range(2):
        de = german.get("/anmelden").get_data(as_text=True)
        en = english.get("/anmelden").get_data(as_text=True)
        assert "<title>Anmelden – fallstelle</title>" in de and "Sign in" not in de
        assert "<title>Sign in – fallstelle</title>" in en and "Anmelden" not in en


def test_template_gettext_escapes_and_formats_as_jinja_does(app: Flask) -> None:
    """The same message with and without variables, escaped only when autoescaping, ``%%``
    a percent sign: the memo of ``_()`` changes nothing Jinja's new-style gettext does."""
    env = app.jinja_env
    page = env.from_string('{{ _("%(n)s%% of <b>", n="<i>") }}|{{ _("100%% of <b>") }}')
    text = env.from_string('{% autoescape false %}{{ _("%(n)s%% of <b>", n="<i>") }}'
                           '{% endautoescape %}')  # fmt: skip
    with app.test_request_context("/"):
        for _ in range(2):  # the second time from the memo
            assert page.render() == "&lt;i&gt;% of <b>|100% of <b>"
            assert text.render() == "<i>% of <b>"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", ["heute fällig", "morgen fällig", "seit 1 Tag überfällig", "in 5 Tagen",
                "seit 3 Tagen überfällig"]),
        ("en", ["due today", "due tomorrow", "1 day overdue", "in 5 days", "3 days overdue"]),
    ],
)  # fmt: skip
def test_date_filters_in_each_language(app: Flask, lang: str, expected: list[str]) -> None:
    """``days_left`` and ``date_de`` (web.i18n; the catalogue is looked up once per request)."""
    import datetime as dt

    from fallstelle.clock import today

    on = today()
    days = [on + dt.timedelta(days=n) for n in (0, 1, -1, 5, -3)]
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        left = app.jinja_env.filters["days_left"]
        assert [left(d) for d in days] == expected
        assert left(None) == ""
        shown = app.jinja_env.filters["date_de"]
        assert shown(dt.date(2026, 3, 4)) == "04.03.2026"
        assert shown(dt.datetime(2026, 12, 31, 23, 59)) == "31.12.2026"
        assert shown(None) == ""
    with app.app_context():  # no request: German, as before
        assert app.jinja_env.filters["days_left"](on) == "heute fällig"


@pytest.mark.parametrize(("lang", "expected"), [("de", "1.000"), ("en", "1,000")])
def test_counts_are_grouped_as_the_language_groups_them(
    app: Flask, lang: str, expected: str
) -> None:
    """``number`` (the home page's "over 1.000" deletions): German groups by ".", English ","."""
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        assert app.jinja_env.filters["number"](1000) == expected
