"""Links in templates, built from a pattern per endpoint instead of the URL map (issue 15).

A case page builds about fifty links (``url_for`` in the templates), and each went the
whole way through Flask and Werkzeug: the request's URL adapter, the URL defaults, the
map's rules for the endpoint, the rule's builder: the patterns saved about 5 % of an audited
case page's instructions (``benchmarks/case_page_instructions.py``: 2 % for the links without
a query, 3 % more once the timeline's query links took the pattern too). The links of one
endpoint differ only in their variables, so
:class:`LinkBuilder` asks ``flask.url_for`` once per endpoint, set of argument names and
script root, with a stand-in value for each variable, and cuts the answer into the fixed
text around the stand-ins; later links join that text with each value as the rule's own
converter writes it (``to_url``: the same quoting, the same numbers; a UUID object's text is
remembered, since a case page writes its case's id into some forty links).

Only the plain case takes the short way: a request is active, the endpoint is absolute and
either is asked without arguments (one fixed link per script root, whatever its rules: the
footer's handbook link went to Flask on every page) or has one rule without defaults, the
arguments hold every variable of the rule, no value is None, a list or a tuple, every
converter is one whose stand-in can be built (UUID, integer, string, path), and no
``url_defaults`` function is registered. Other arguments become the query as Werkzeug writes
it (strings and integers only; ``_anchor`` is quoted as Flask quotes it; a query or anchor
of characters that quoting leaves alone is written as it is: the case page's seven timeline
filter links spent more on ``urlencode`` than on the rest of the link). Everything else —
``_external``, relative endpoints, unknown endpoints (and their ``BuildError``) — goes to
``flask.url_for`` as before.
``tests/web/test_link_patterns.py`` compares both ways for every rule of the app.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from flask import Flask, url_for
from flask.globals import _cv_request
from werkzeug.routing.converters import (
    BaseConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

#: Patterns kept at most (endpoints × argument names × script roots); then it starts over.
LIMIT = 2000
#: Text that ``urllib.parse.quote`` (Werkzeug's ``to_url``) never changes.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*\Z").match
#: What Werkzeug lets stand in a query unquoted (``werkzeug.urls._urlencode``).
QUERY_SAFE = "!$'()*,/:;?@"
#: Query values written the short way (others, None among them, go to Flask).
_QUERY_TYPES = frozenset({str, int})
#: Values a variable never takes the short way (Werkzeug would write them its own way).
_NOT_ONE = (list, tuple)
#: What Flask lets stand in an anchor unquoted (``Flask.url_for``).
ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
#: Text that ``quote_plus(…, safe=QUERY_SAFE)`` and ``quote(…, safe=ANCHOR_SAFE)`` leave as
#: it is (ASCII letters and digits, ``_.-~`` and their safe characters): such a query or
#: anchor is written as it is, without ``urlencode`` and ``quote`` (a case page's seven
#: timeline filter links spent more on those than on the rest of the link).
_QUERY_PLAIN = re.compile(r"[A-Za-z0-9_.~!$'()*,/:;?@-]*\Z").match
_ANCHOR_PLAIN = re.compile(r"[A-Za-z0-9_.~%!#$&'()*+,/:;=?@-]*\Z").match


#: A pattern not made yet (None is a pattern that cannot be made).
_UNKNOWN: Any = object()


class Pattern(NamedTuple):
    """A link's fixed text with its variables, in order of appearance, and its query."""

    start: str
    #: (variable, how it is written, the fixed text after it)
    slots: tuple[tuple[str, Callable[[Any], str], str], ...]
    #: The arguments that are not the rule's variables: the query, in the order given.
    query: tuple[str, ...]


class LinkBuilder:
    """``url_for`` for templates: the same links, built from a pattern where that is exact."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._patterns: dict[tuple[str, tuple[str, ...], str], Pattern | None] = {}

    def url_for(self, endpoint: str, **values: Any) -> str:
        """``flask.url_for``'s link for ``endpoint`` and ``values``."""
        context = _cv_request.get(None)
        if context is None or context.url_adapter is None or endpoint[:1] == ".":
            return url_for(endpoint, **values)
        anchor = values.pop("_anchor", None)
        key = (endpoint, tuple(values), context.url_adapter.script_name)
        pattern: Pattern | None = self._patterns.get(key, _UNKNOWN)
        if pattern is _UNKNOWN:
            if len(self._patterns) >= LIMIT:
                self._patterns.clear()
            pattern = self._patterns[key] = self._pattern(endpoint, key[1])
        if pattern is None:
            return url_for(endpoint, _anchor=anchor, **values)
        link = pattern.start
        for name, write, after in pattern.slots:
            value = values[name]
            if value is None or isinstance(value, _NOT_ONE):
                return url_for(endpoint, _anchor=anchor, **values)
            link += write(value) + after
        if pattern.query:
            query = [(name, values[name]) for name in pattern.query]
            if any(type(value) not in _QUERY_TYPES for _, value in query):
                return url_for(endpoint, _anchor=anchor, **values)
            link += "?" + _query(query)
        if anchor is not None:
            link += "#" + (anchor if _ANCHOR_PLAIN(anchor) else quote(anchor, safe=ANCHOR_SAFE))
        return link

    def _pattern(self, endpoint: str, names: tuple[str, ...]) -> Pattern | None:
        """The pattern of ``endpoint`` for these argument names, None where it is not exact."""
        url_map = self.app.url_map
        if any(self.app.url_default_functions.values()) or url_map.sort_parameters:
            return None
        if any(n[:1] == "_" for n in names):
            return None
        rules = url_map._rules_by_endpoint.get(endpoint, [])
        fixed = not url_map.host_matching and not any(r.subdomain for r in rules)
        if not names and rules and fixed:
            # No arguments: one fixed link per script root, whichever rule builds it (the
            # handbook's "/hilfe/" is a rule with defaults beside "/hilfe/<chapter>").
            return Pattern(url_for(endpoint), (), ())
        if len(rules) != 1:
            return None
        rule = rules[0]
        converters: dict[str, BaseConverter] = getattr(rule, "_converters", {})
        variables = [n for n in names if n in rule.arguments]
        if rule.defaults or not set(variables) == set(rule.arguments) == set(converters):
            return None
        stand_ins: dict[str, Any] = {}
        for i, name in enumerate(variables):
            stand_in = _stand_in(converters[name], i)
            if stand_in is None:
                return None
            stand_ins[name] = stand_in
        built = url_for(endpoint, **stand_ins)
        found = sorted(
            (built.find(text), text, name)
            for name, value in stand_ins.items()
            for text in [converters[name].to_url(value)]
        )
        pieces, writers, at = [], [], 0
        for position, text, name in found:
            if position < at or built.count(text) != 1:
                return None
            pieces.append(built[at:position])
            writers.append((name, _writer(converters[name])))
            at = position + len(text)
        pieces.append(built[at:])
        slots = tuple((n, w, after) for (n, w), after in zip(writers, pieces[1:], strict=True))
        return Pattern(pieces[0], slots, tuple(n for n in names if n not in rule.arguments))


def _query(query: list[tuple[str, Any]]) -> str:
    """``urlencode(query, safe=QUERY_SAFE)`` for strings and integers."""
    if all(_QUERY_PLAIN(name) and (type(v) is int or _QUERY_PLAIN(v)) for name, v in query):
        return "&".join(f"{name}={v}" for name, v in query)
    return urlencode(query, safe=QUERY_SAFE)


def _writer(converter: BaseConverter) -> Callable[[Any], str]:
    """How the converter writes a value: its ``to_url``, with a short way for the common
    values (a UUID's text; a string of unreserved characters, which ``quote`` leaves as it is)."""
    if type(converter) is UUIDConverter:
        return _uuid_text  # UUIDConverter.to_url: str(value)
    if type(converter) in (UnicodeConverter, PathConverter):
        to_url = converter.to_url

        def segment(value: Any) -> str:
            if type(value) is str and _UNRESERVED(value):
                return value
            return to_url(value)

        return segment
    return converter.to_url


#: id(UUID) → (the UUID, its text): a case page writes its case's id into some forty links,
#: and ``UUID.__str__`` formats it anew each time. Kept by identity (the entry holds the
#: object, so its id is not reused while kept); at most LIMIT, then it starts over.
_UUID_TEXTS: dict[int, tuple[uuid.UUID, str]] = {}


def _uuid_text(value: Any) -> str:
    """``str(value)``, remembered for UUID objects."""
    if type(value) is not uuid.UUID:
        return str(value)
    found = _UUID_TEXTS.get(id(value))
    if found is not None and found[0] is value:
        return found[1]
    if len(_UUID_TEXTS) >= LIMIT:
        _UUID_TEXTS.clear()
    text = str(value)
    _UUID_TEXTS[id(value)] = (value, text)
    return text


def _stand_in(converter: BaseConverter, i: int) -> Any:
    """A value the converter writes as text found nowhere else in a link, or None."""
    kind = type(converter)
    if kind is UUIDConverter:
        return uuid.UUID(int=0x5EC7_1E5_0000_4000_8000_0000_0000_0000 + i)
    if isinstance(converter, IntegerConverter) and kind is IntegerConverter:
        limits = (converter.fixed_digits, converter.min, converter.max)
        return 7_310_000_457 + i if limits == (0, None, None) else None
    if kind in (UnicodeConverter, PathConverter):
        return f"zq{i}stand-in{i}qz"
    return None


def init_app(app: Flask) -> None:
    """Give the templates the pattern-built ``url_for`` (Python code keeps Flask's)."""
    app.jinja_env.globals["url_for"] = LinkBuilder(app).url_for  # a method: a quick call
