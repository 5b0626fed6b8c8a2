"""The templates' function calls without Jinja's generic inspection of every callee (issue 15).

Jinja compiles every call in a template — ``_("…", n=…)``, ``url_for(…)``, ``label(…)``, a
macro — to ``Context.call``, which asks the callee, its ``__call__`` and again the callee
whether it wants the context, the evaluation context or the environment passed in
(``jinja_pass_arg``, set by ``pass_context`` and its siblings), through two helper calls,
two ``hasattr`` and a bound ``__call__`` made for the question. A case page makes about 140
such calls; measured with callgrind, that inspection was 6 % of the instructions of a whole
audited case-page request.

:class:`CallContext` answers the question directly for the callees whose answer is known
from their type, and leaves everything else to Jinja:

- a Python function or a bound method: its ``jinja_pass_arg``, read once (a method reads it
  from its function, as ``hasattr`` on the method does; the ``__call__`` of either is a
  method-wrapper, which never has one);
- a built-in function or method (``dict.get``, ``len``): never one (they carry no
  attributes);
- a Jinja macro: never one (``Macro.__call__`` is Jinja's own).

Functions that want the context (``pass_context``) and every other callee — instances with
``__call__``, classes, partials — take Jinja's own ``Context.call``. ``tests/web/
test_template_context.py`` renders the same calls through both and compares them, and the
pages of ``test_template_messages`` are rendered with this context.
"""

from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from jinja2.runtime import Context, Macro
from jinja2.utils import _PassArg

#: The types whose ``jinja_pass_arg`` is the callee's own attribute (see the module docstring).
_READ = (FunctionType, MethodType)
#: The types that never carry one.
_NEVER = (BuiltinFunctionType, Macro)


class CallContext(Context):
    """Jinja's template context with a direct way for calls whose callee's type is known."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind in _READ:
            pass_arg = getattr(__obj, "jinja_pass_arg", None)
            if pass_arg is _PassArg.eval_context:
                args = (__self.eval_ctx, *args)
            elif pass_arg is _PassArg.environment:
                args = (__self.environment, *args)
            elif pass_arg is not None:  # the context, derived for loop and block variables
                return super().call(__obj, *args, **kwargs)
        elif kind not in _NEVER:
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )
