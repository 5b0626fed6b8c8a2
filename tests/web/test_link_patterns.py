"""The templates' pattern-built links (``web.links``) are exactly Flask's, for every rule.

The adversary here is the value that a pattern writes differently from Werkzeug: a string
that needs quoting (a slash, a space, ``%``, ``#``, ``?``, umlauts), a UUID given as text,
another app mounted under a script root, an anchor, a query argument, a None. Any link that
differs would send a counsellor to the wrong page, or to no page.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask, render_template_string, url_for
from werkzeug.routing.converters import AnyConverter, IntegerConverter, UUIDConverter

from fallstelle.web.links import LIMIT, LinkBuilder

WORDS = ["kontakt", "a b", "ä/ö?x#y%z", "100%", "x:y@z;=&+", "..", "Ünïcödé straße",
         "a-b_c.d~e!$'()*,/:;?@", "-7", "", "x\ny", "Ä"]  # fmt: skip


def _values(rule: Any, round_: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, name in enumerate(sorted(rule.arguments)):
        converter = rule._converters.get(name)
        if isinstance(converter, UUIDConverter):
            found = uuid.uuid4()
            values[name] = str(found) if (round_ + i) % 2 else found
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[round_ % len(converter.items)]
        elif isinstance(converter, IntegerConverter):
            values[name] = round_ * 37 + i
        else:
            values[name] = WORDS[(round_ + i) % len(WORDS)]
    return values


@pytest.mark.parametrize("script_root", ["", "/fallstelle", "/beratung/nrw"])
def test_every_rule_builds_the_same_link_both_ways(app: Flask, script_root: str) -> None:
    links = LinkBuilder(app)
    rules = [r for r in app.url_map.iter_rules() if not r.defaults]
    assert len(rules) > 60
    short = 0
    with app.test_request_context("/", base_url="http://localhost" + script_root):
        for round_ in range(4):  # the first round makes the patterns, the others use them
            for rule in rules:
                values = _values(rule, round_)
                built = links.url_for(rule.endpoint, **values)
                assert built == url_for(rule.endpoint, **values), rule
                anchor = WORDS[round_ % len(WORDS)]
                with_anchor = links.url_for(rule.endpoint, _anchor=anchor, **values)
                assert with_anchor == url_for(rule.endpoint, _anchor=anchor, **values), rule
                assert with_anchor.startswith(script_root + "/")
                query = {"zeige": WORDS[round_ % len(WORDS)], "druck": round_, "q": "a&b=c+d"}
                if round_ == 3:
                    query["leer"] = None  # dropped by Werkzeug
                    query["ja"] = True
                for names in (list(query), list(query)[::-1]):  # the order given is kept
                    asked = {**values, **{n: query[n] for n in names}}
                    built = links.url_for(rule.endpoint, _anchor=anchor, **asked)
                    assert built == url_for(rule.endpoint, _anchor=anchor, **asked), rule
        short = sum(1 for p in links._patterns.values() if p is not None)
    assert short >= len(rules) - 5  # nearly every rule takes the short way


def test_what_a_pattern_cannot_say_goes_to_flask(app: Flask) -> None:
    links = LinkBuilder(app)
    case = uuid.uuid4()
    with app.test_request_context("/faelle"):
        for _ in range(2):
            asks = [
                ("cases.show", {"case_id": case, "zeige": "kontakt", "druck": 1}),  # query
                ("cases.show", {"case_id": case, "_external": True}),
                ("cases.show", {"case_id": case, "zeige": None}),
                (".show", {"case_id": case}),  # relative to the request's blueprint
                ("static", {"filename": "style.css", "v": "1"}),
            ]
            for endpoint, values in asks:
                assert links.url_for(endpoint, **values) == url_for(endpoint, **values)
        with pytest.raises(Exception, match="Could not build url"):
            links.url_for("no.such_endpoint", case_id=case)
        with pytest.raises(Exception, match="Could not build url"):
            links.url_for("cases.show", case_id=None)  # None is missing, as for Flask
    with app.app_context(), pytest.raises(RuntimeError, match="outside an active request"):
        links.url_for("cases.index")  # no request: Flask's answer (no SERVER_NAME here)


def test_script_roots_keep_their_own_patterns(app: Flask) -> None:
    links = LinkBuilder(app)
    case = uuid.uuid4()
    with app.test_request_context("/", base_url="http://localhost/a"):
        assert links.url_for("cases.show", case_id=case) == f"/a/faelle/{case}"
    with app.test_request_context("/"):
        assert links.url_for("cases.show", case_id=case) == f"/faelle/{case}"


def test_the_patterns_are_bounded(app: Flask) -> None:
    links = LinkBuilder(app)
    for i in range(LIMIT + 5):
        with app.test_request_context("/", base_url=f"http://localhost/p{i}"):
            assert links.url_for("cases.index") == f"/p{i}/faelle"
    assert len(links._patterns) <= LIMIT


def test_templates_use_the_pattern_links(app: Flask) -> None:
    builder = app.jinja_env.globals["url_for"].__self__
    assert isinstance(builder, LinkBuilder)
    case = uuid.uuid4()
    with app.test_request_context("/"):
        page = render_template_string("{{ url_for('cases.show', case_id=c) }}", c=case)
        assert page == f"/faelle/{case}"
    assert builder._patterns  # the template's link went the short way


@pytest.mark.parametrize("word", WORDS)
def test_every_word_as_query_and_anchor_is_written_as_werkzeug_writes_it(
    app: Flask, word: str
) -> None:
    """Plain words skip ``urlencode`` and ``quote``; the others still take them."""
    links = LinkBuilder(app)
    case = uuid.uuid4()
    with app.test_request_context("/faelle"):
        for values in ({"zeige": word}, {"zeige": word, "seite": 3, "n": -2}, {word or "x": 1}):
            for anchor in (None, word):
                asked = {"case_id": case, **values, "_anchor": anchor}
                for _ in range(2):
                    assert links.url_for("cases.show", **asked) == url_for("cases.show", **asked)


def test_a_remembered_uuid_text_belongs_to_its_object() -> None:
    """The texts are kept by ``id()``: an id reused by a new UUID must not give the old text."""
    from fallstelle.web import links as module

    for _ in range(3 * LIMIT):  # freed UUIDs' ids are reused at once; the memo starts over
        found = uuid.uuid4()
        assert module._uuid_text(found) == str(found) == module._uuid_text(found)
    assert module._uuid_text("not-a-uuid") == "not-a-uuid"
    assert len(module._UUID_TEXTS) <= LIMIT


@pytest.mark.parametrize("script_root", ["", "/fallstelle"])
def test_a_link_without_arguments_is_flasks_for_every_endpoint(
    app: Flask, script_root: str
) -> None:
    """Rules with defaults too (the handbook's start page): the link Flask builds, kept."""
    links = LinkBuilder(app)
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.arguments <= set(r.defaults or {})
    }
    assert "handbook.page" in endpoints
    with app.test_request_context("/", base_url="http://localhost" + script_root):
        for _ in range(2):
            for endpoint in sorted(endpoints):
                assert links.url_for(endpoint) == url_for(endpoint), endpoint
                assert links.url_for(endpoint, _anchor="a b") == url_for(endpoint, _anchor="a b")
            assert links.url_for("handbook.page", chapter="x y") == url_for(
                "handbook.page", chapter="x y"
            )
    made = [p for key, p in links._patterns.items() if key[:2] == ("handbook.page", ())]
    assert made and None not in made  # the short way
