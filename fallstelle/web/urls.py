"""``url_for`` in templates: Flask's URLs, with each endpoint's rule looked up once (issue 15).

A case page builds some 50 URLs. Flask's ``url_for`` finds the request's adapter, resolves the
endpoint, injects URL defaults, filters the values and tries the endpoint's rules one by one
(first for GET) on every call. :class:`TemplateUrls` remembers, per endpoint and set of
argument names, the rule that search settles on and builds with it directly: the same rule,
the same converters and query string, the same script root. Whatever it does not cover goes to
Flask's own ``url_for`` unchanged: a relative endpoint, ``_external``/``_scheme``/``_method``,
an app with URL defaults or host matching, a rule with defaults, a subdomain or a host, a
value the rule cannot build, a value of None, an unknown endpoint (Flask's ``BuildError``),
no request. The rules and URL defaults are fixed once the app serves (Flask refuses new
ones after the first request), so a rule found stays right. ``tests/web/test_urls.py``
compares both for every endpoint of the app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.globals import _cv_request
from werkzeug.routing import Rule

#: Characters Flask leaves unquoted in an ``_anchor``.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
_UNKNOWN: Any = object()


class TemplateUrls:
    """The ``url_for`` of the app's templates (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._rules: dict[tuple[str, tuple[str, ...]], Rule | None] = {}

    def __call__(self, endpoint: str, /, **values: Any) -> str:
        anchor = values.pop("_anchor", None)
        # Keyed by the names in the order given: one call site of a template, one key.
        key = (endpoint, tuple(values))
        rule = self._rules.get(key, _UNKNOWN)
        if rule is _UNKNOWN:
            rule = self._rules[key] = self._search(endpoint, frozenset(values))
        req = _cv_request.get(None)
        adapter = req.url_adapter if req is not None else None
        if rule is None or adapter is None or None in values.values():
            return self._app.url_for(endpoint, _anchor=anchor, **values)
        built = rule.build(values, True)
        if built is None or built[0] != adapter.subdomain:
            return self._app.url_for(endpoint, _anchor=anchor, **values)
        url = f"{adapter.script_name.rstrip('/')}/{built[1].lstrip('/')}"
        return url if anchor is None else f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"

    def _search(self, endpoint: str, names: frozenset[str]) -> Rule | None:
        """The rule Flask's search for these argument names starts with, or None where the
        answer could depend on more than the names (then Flask builds every time)."""
        app, urls = self._app, self._app.url_map
        if endpoint[:1] == "." or any(n[:1] == "_" for n in names) or urls.host_matching:
            return None
        if any(app.url_default_functions.values()) or urls.default_subdomain:
            return None
        try:
            rules = list(urls.iter_rules(endpoint))  # sorted as Flask's search sees them
        except KeyError:  # no such endpoint: Flask's BuildError
            return None
        if any(r.defaults or r.subdomain or r.host or r.websocket for r in rules):
            return None
        given = dict.fromkeys(names, "")
        for method in ("GET", None):  # MapAdapter._partial_build: the default method first
            for rule in rules:
                if rule.suitable_for(given, method):
                    return rule
        return None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = TemplateUrls(app)
