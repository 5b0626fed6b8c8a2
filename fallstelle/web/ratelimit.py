"""The web side of the per-user rate limits (REL-11; the limits are in ``auth.ratelimit``).

A view calls :func:`refusal` once its form is valid, right before the expensive step. An
allowed request's count is committed at once (``RequestContext.commit_now``, the one place
besides the pipeline that commits): so it counts even when the step fails later, and the lock
on the user's key is not held while statistics are aggregated or a PDF renders.
A refused request has its audit event committed and gets a German message at the top of the
page it came from, the user's choices kept, with HTTP 429 and ``Retry-After``; nothing runs.
"""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _

from fallstelle.auth import ratelimit
from fallstelle.db import utcnow
from fallstelle.web.pipeline import context

Headers = dict[str, str]


def _message(limited: ratelimit.RateLimited) -> str:
    values = {"limit": limited.limit, "seconds": limited.retry_after}
    if limited.bucket == ratelimit.REPORT:
        return str(
            _(
                "You asked for %(limit)s previews or reports within one minute, the most "
                "allowed. Please wait %(seconds)s s and try again; your choices are kept.",
                **values,
            )
        )
    return str(
        _(
            "You searched %(limit)s times within one minute, the most allowed. Please wait "
            "%(seconds)s s and try again.",
            **values,
        )
    )


def refusal(bucket: str) -> Headers | None:
    """Count this request against the signed-in user's ``bucket``.

    Returns ``None`` when the request may go on (its count committed), else the headers of
    the 429 answer, with the message flashed and the refusal's audit event committed.
    """
    ctx = context()
    try:
        ratelimit.hit(
            ctx.session, ctx.require_actor(), bucket, utcnow(), endpoint=request.endpoint,
            request_id=ctx.request_id,
        )  # fmt: skip
    except ratelimit.RateLimited as limited:
        ctx.commit_now()
        flash(_message(limited), "error")
        return {"Retry-After": str(limited.retry_after)}
    ctx.commit_now()
    return None
