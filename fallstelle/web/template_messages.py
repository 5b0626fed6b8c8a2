"""Constant messages of the templates, translated when a template is compiled (issue 15).

A case page calls ``_("…")`` about 100 times, nearly always with a constant message and no
variables: the same text on every page of one language, yet a function call each time. Each
language gets its own overlay of the app's Jinja environment (``Environment.overlay``: the
same loader, globals and filters, its own template cache) with :class:`ConstantMessages`,
which replaces, in the token stream of an autoescaped template, a call ``_("constant")`` by
that constant translated, %-formatted and marked safe — what ``web.i18n``'s ``_`` returns
for it — so Jinja writes it into the compiled template as static text. Left as they are:
calls with variables, ``gettext``/``ngettext``, ``{% trans %}``, messages whose formatting
fails (they fail at render time as before), templates without autoescaping or with an
``autoescape`` block. The request's locale (``flask_babel.get_locale``, which honours
``force_locale``) picks the overlay, whose catalogue is the one ``_`` uses for that locale;
without a request the app's environment renders as before. ``tests/web/test_template_
messages.py`` compares the pages rendered both ways, in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from flask import Flask, has_request_context
from flask.templating import Environment
from flask_babel import get_locale
from jinja2 import Template
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from fallstelle.web.i18n import current_translations
from fallstelle.web.template_context import CallContext

#: Templates each language's overlay keeps compiled (Jinja's default for an environment).
_CACHE_SIZE = 400


class LocalizedEnvironment(Environment):
    """Flask's Jinja environment; in a request, a template comes from its language's overlay."""

    #: Templates call functions the quick way where the callee's type says how.
    context_class = CallContext

    #: The overlay's language (None: the app's own environment).
    language: str | None = None
    #: Set False to render everything with the app's environment (tests compare both).
    localize = True
    #: The overlay's catalogue (the one ``_`` uses for its language).
    translations: Any = None

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if self.language is None and self.localize and parent is None and has_request_context():
            locale = get_locale()
            if locale is not None:
                return self._overlay(str(locale)).get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def _overlay(self, language: str) -> LocalizedEnvironment:
        overlays: dict[str, LocalizedEnvironment] = self.__dict__.setdefault("_overlays", {})
        found = overlays.get(language)
        if found is None:
            # Its own cache: a copy of ours would hold templates compiled without the extension.
            made = self.overlay(extensions=[ConstantMessages], cache_size=_CACHE_SIZE)
            assert isinstance(made, LocalizedEnvironment)  # noqa: S101 - overlay keeps the class
            made.language = language
            made.translations = current_translations()  # this request's: the language's
            found = overlays.setdefault(language, made)
        return found


class ConstantMessages(Extension):
    """Translate ``_("constant")`` in the token stream (see the module docstring)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        env = self.environment
        translations = getattr(env, "translations", None)  # None: the app's environment
        autoescape = env.autoescape(stream.name) if callable(env.autoescape) else env.autoescape
        tokens = list(stream)
        if translations is None or not autoescape or any(_is(t, "autoescape") for t in tokens):
            yield from tokens
            return
        i = 0
        while i < len(tokens):
            text = _constant(tokens, i, translations)
            if text is None:
                yield tokens[i]
                i += 1
                continue
            line = tokens[i].lineno
            yield Token(line, "lparen", "(")
            yield Token(line, "string", text)
            yield Token(line, "pipe", "|")
            yield Token(line, "name", "safe")
            yield Token(line, "rparen", ")")
            i += 4


def _is(token: Token, name: str) -> bool:
    return token.type == "name" and token.value == name


def _constant(tokens: list[Token], i: int, translations: Any) -> str | None:
    """The translated text if ``tokens[i:i + 4]`` is ``_ ( "constant" )``, else None."""
    if not _is(tokens[i], "_") or i + 3 >= len(tokens) or (i and tokens[i - 1].type == "dot"):
        return None
    if [t.type for t in tokens[i + 1 : i + 4]] != ["lparen", "string", "rparen"]:
        return None
    try:
        done: str = Markup(translations.ugettext(tokens[i + 2].value)) % {}  # noqa: S704
    except (KeyError, TypeError, ValueError):  # needs variables: left to fail as before
        return None
    return str(done)


def init_app(app: Flask) -> None:
    """Make the app build its Jinja environment as a :class:`LocalizedEnvironment`; call
    before anything touches ``app.jinja_env``."""
    assert "jinja_env" not in app.__dict__, "the Jinja environment exists already"  # noqa: S101
    app.jinja_environment = LocalizedEnvironment
