"""Templates call functions through ``web.template_context.CallContext`` exactly as Jinja does.

The adversary is a callee whose wish the quick way misreads: one that wants the context (and
the loop variables), the evaluation context (autoescaping) or the environment; a bound method
whose function wants one; a callable object that wants one through its ``__call__``; a
built-in; a macro with a caller; a callee that raises ``StopIteration``. Each template below
is rendered with Jinja's own context and with ours, and must come out the same.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from flask import Flask
from jinja2 import Environment, pass_context, pass_environment, pass_eval_context
from jinja2.runtime import Context

from fallstelle.web.template_context import CallContext


def plain(*args: Any, **kwargs: Any) -> str:
    return f"plain{args}{sorted(kwargs.items())}"


@pass_context
def with_context(context: Any, name: str) -> str:
    return f"ctx:{context.get(name)}"


@pass_eval_context
def with_eval(eval_ctx: Any, text: str) -> str:
    return f"{type(eval_ctx).__name__}:auto={eval_ctx.autoescape}:{text}"


@pass_environment
def with_env(env: Any, value: int) -> str:
    return f"env:{type(env).__name__}:{value}"


def stop() -> str:
    raise StopIteration


class Labels:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @pass_eval_context
    def marked(self, eval_ctx: Any, code: str) -> str:
        return f"{self.prefix}{code}:{type(eval_ctx).__name__}:{eval_ctx.autoescape}"

    def one(self, code: str) -> str:
        return f"{self.prefix}{code}"


class Wants:
    @pass_context
    def __call__(self, context: Any) -> str:
        return f"obj:{context.get('x')}"


class Plain:
    def __call__(self, n: int) -> str:
        return f"callable:{n}"


GLOBALS: dict[str, Any] = {
    "plain": plain, "with_context": with_context, "with_eval": with_eval,
    "with_env": with_env, "stop": stop, "labels": Labels("L-"), "wants": Wants(),
    "callable_": Plain(), "partial": functools.partial(plain, 1), "names": {"a": "Anna"},
    "Labels": Labels,
}  # fmt: skip

TEMPLATES = [
    "{{ plain(1, 'b', k=2) }}",
    "{{ with_context('x') }}{% for x in [1, 2] %}{{ with_context('x') }}{% endfor %}",
    "{% set x = 'block' %}{{ with_context('x') }}",
    "{{ with_eval('<b>') }}",
    "{{ with_env(3) }}",
    "{{ labels.marked('m') }}{{ labels.one('o') }}",
    "{% for x in ['i'] %}{{ wants() }}{% endfor %}{{ wants() }}",
    "{{ callable_(4) }}{{ partial(2) }}",
    "{{ names.get('a') }}{{ names.get('z', '–') }}{{ range(3) | list }}{{ len }}",
    "{{ stop() is defined }}",
    "{{ Labels('C-').one('c') }}",
    "{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ caller() if caller }}]{% endmacro %}"
    "{{ m(1) }}{{ m(1, b=3) }}{% call m(5) %}inner{% endcall %}",
    "{% macro n() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ n(1, 2, k=3) }}",
]


def _render(context_class: type[Context], autoescape: bool, source: str) -> str:
    env = Environment(autoescape=autoescape)  # noqa: S701 - both ways, compared
    env.context_class = context_class
    env.globals.update(GLOBALS)
    env.globals["len"] = len
    return env.from_string(source).render(x="top")


@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", TEMPLATES)
def test_calls_come_out_as_with_jinjas_context(source: str, autoescape: bool) -> None:
    ours = _render(CallContext, autoescape, source)
    assert ours == _render(Context, autoescape, source)
    assert ours  # something was rendered


def test_the_app_and_its_language_overlays_use_it(app: Flask) -> None:
    env = app.jinja_env
    assert env.context_class is CallContext
    with app.test_request_context("/"):
        assert env.get_template("base.html").new_context().__class__ is CallContext
