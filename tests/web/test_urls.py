"""Templates' ``url_for`` (web.urls) builds exactly the URLs Flask's own ``url_for`` builds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import Rule

from fallstelle.web.urls import TemplateUrls

SAMPLES: dict[str, Any] = {
    "UUIDConverter": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "IntegerConverter": 7,
    "PathConverter": "css/a b.css",
    "UnicodeConverter": "ä b/c",
    "AnyConverter": None,  # the rule's first choice
}


def _values(rule: Rule) -> dict[str, Any]:
    values = {}
    for name, converter in sorted(rule._converters.items()):
        sample = SAMPLES.get(type(converter).__name__, "x")
        values[name] = min(converter.items) if sample is None else sample  # type: ignore[attr-defined]
    return values


@pytest.mark.parametrize("script_root", ["", "/unter"])
def test_every_endpoint_gets_flasks_url(app: Flask, script_root: str) -> None:
    """Each rule twice (the second from the remembered rule), with a query string, a None
    value and an anchor, at the root and under a script root."""
    urls = TemplateUrls(app)
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        assert url_for("main.health") == f"{script_root}/health"
        for rule in rules:
            values = _values(rule)
            for extra in ({}, {"zeige": "a&b ü", "druck": 1}, {"none": None},
                          {"_anchor": "ver lauf#1"}):  # fmt: skip
                for _ in range(2):
                    expected = url_for(rule.endpoint, **values, **extra)
                    assert urls(rule.endpoint, **values, **extra) == expected, rule


def test_unknown_endpoint_and_missing_values_fail_as_in_flask(app: Flask) -> None:
    from werkzeug.routing import BuildError

    urls = TemplateUrls(app)
    with app.test_request_context("/"):
        with pytest.raises(BuildError):
            urls("no.such_endpoint")
        with pytest.raises(BuildError):
            urls("cases.show")  # without its case_id
        with pytest.raises(BuildError):  # relative to the request's blueprint: Flask decides
            urls(".no_such_view")


def test_templates_use_it(app: Flask) -> None:
    assert isinstance(app.jinja_env.globals["url_for"], TemplateUrls)
