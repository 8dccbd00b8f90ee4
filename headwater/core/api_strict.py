"""Refuse query parameters an operation does not declare.

A misspelt filter (`?onwer_id=5`) would otherwise be ignored and the client would get the whole, unfiltered list
as if it were the answer. Nothing a client sends is silently dropped: bodies forbid unknown fields, and this does
the same for query strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from headwater.core.api_errors import error_response


def _declared_query_names(operation: Any) -> frozenset[str]:
    names: set[str] = set()
    for model in getattr(operation, "models", []):
        if getattr(model, "__ninja_param_source__", None) == "query":
            names.update(getattr(model, "__ninja_flatten_map__", {}))
    return frozenset(names)


def reject_unknown_query(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A ninja "view" decorator: `run` is the operation's bound `run` method, so its operation is `run.__self__`."""
    operation = getattr(run, "__self__", None)
    declared = _declared_query_names(operation)

    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = sorted(name for name in request.GET if name not in declared)
        if unknown:
            # Authentication and rate limits first, as for any other invalid request: a caller without a valid
            # token learns nothing about an operation's parameters, only that it must authenticate.
            refused: HttpResponse | None = operation._run_checks(request) if operation is not None else None
            if refused is not None:
                return refused
            message = _("Unknown query parameter; see the API documentation for this operation's parameters.")
            return error_response(
                422, "invalid_request", _("The request is not valid."), {n: [message] for n in unknown}
            )
        return run(request, *args, **kwargs)

    return checked
