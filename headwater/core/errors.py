"""Domain errors raised by services; the UI maps them to form errors, the API to one JSON shape."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every error a service raises on purpose. `fields` maps a field name to its messages."""

    code = "invalid"
    status = 400

    def __init__(self, message: str | Promise, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 400

    @classmethod
    def on(cls, field: str, message: str | Promise) -> ValidationFailed:
        return cls(message, fields={field: [str(message)]})


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    """The record changed since the caller read it (stale version) or a concurrent write won."""

    code = "conflict"
    status = 409


class FeatureDisabled(DomainError):
    code = "feature_disabled"
    status = 400


class RateLimited(DomainError):
    """Too many attempts of one kind in a window (sign-ups, invitation e-mails): wait and retry."""

    code = "rate_limited"
    status = 429


class Unavailable(DomainError):
    """Figures that exist but are not exact at the moment (being recomputed): retry after `retry_after` seconds."""

    code = "unavailable"
    status = 503

    def __init__(self, message: str | Promise, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
