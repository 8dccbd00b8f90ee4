"""API: the account's general settings (name, base currency, language, time zone). Everyone reads; admins change.

The values are checked by the Account settings page's own form and saved by the same service, so the page and the
API cannot drift apart.
"""

from __future__ import annotations

import copy
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import StrictInt

from headwater.core.api_errors import form_failure
from headwater.core.api_preconditions import expected_version, precondition_openapi, set_etag
from headwater.core.api_schemas import Id, InSchema, optional_version
from headwater.core.errors import Conflict, ValidationFailed
from headwater.core.models import Account
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role
from headwater.workspace import services
from headwater.workspace.forms import AccountSettingsForm
from headwater.workspace.selectors import account_settings_get

router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)

# A write without a version retries when someone saved in between (see account_update).
_ATTEMPTS = 3

# What the Account settings page edits, in the form's field names.
SETTINGS_FIELDS = ("name", "currency", "language", "time_zone", "stats_min_closed")


class AccountSettingsOut(Schema):
    slug: str = Field(description="Read-only: the account's address in the pages (/a/<slug>/).")
    name: str
    currency: str = Field(description="The base currency: statistics convert every value into it.")
    language: str = Field(description="The default language of the pages (`en` or `pl`).")
    time_zone: str = Field(description="An IANA zone, e.g. `Europe/Warsaw`: decides which day a record belongs to.")
    stats_min_closed: int = Field(
        description="Statistics name a best win rate only among sources with at least this many closed deals."
    )
    version: int = Field(description="Changes with every change of the settings; also their ETag.")

    @staticmethod
    def resolve_version(account: Account) -> int:
        return account.settings_version


class AccountSettingsPatch(InSchema):
    version: Id | None = optional_version()
    # Null is not a value of any of them: the page's form answers "This field is required." for it.
    name: str | None = Field(None, max_length=200)
    currency: str | None = Field(None, max_length=3, description="A currency code, as offered on the settings page.")
    language: str | None = Field(None, max_length=8, description="`en` or `pl`.")
    time_zone: str | None = Field(
        None, max_length=64, description="A zone offered on the settings page (`Area/City`, e.g. `Europe/Warsaw`)."
    )
    stats_min_closed: StrictInt | None = Field(
        None, description="1 to 100000: the closed deals a source needs to be named for the best win rate."
    )


def _settings(account: Account) -> dict[str, Any]:
    return {name: getattr(account, name) for name in SETTINGS_FIELDS}


@router.get(
    "",
    response=AccountSettingsOut,
    summary="The account's general settings",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def account_get(request: HttpRequest, response: HttpResponse) -> Account:
    account = account_of(request)
    set_etag(response, account.settings_version)
    return account


@router.patch(
    "",
    response=AccountSettingsOut,
    summary="Change the account's general settings: only the fields sent (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def account_update(request: HttpRequest, payload: AccountSettingsPatch, response: HttpResponse) -> Account:
    """A new time zone recomputes the statistics (as on the page). Fields not sent keep their current values."""
    version = expected_version(request, payload.version)
    changes = payload.model_dump(include=payload.model_fields_set - {"version"})
    if "stats_min_closed" in changes and changes["stats_min_closed"] is None:
        # The page's form takes an empty field as "unchanged"; the API names what it wants instead.
        raise ValidationFailed.on("stats_min_closed", _("Send a whole number from 1 to 100000."))
    account = account_of(request)
    for attempt in range(_ATTEMPTS):
        # The fields not sent come from the settings as stored now, and the service saves only if they are still
        # stored when it writes (their version): nothing anyone else saved is overwritten with an older value.
        current = account_settings_get(account=account)
        if version is not None and version != current.settings_version:
            raise Conflict(_("Someone else changed these settings in the meantime. Reload the page and try again."))
        data = {**_settings(current), **changes, "version": current.settings_version}
        # A copy: the page's model form writes the new values into its instance while it validates, and the
        # service must see the account as stored.
        form = AccountSettingsForm(data, instance=copy.copy(current))
        if not form.is_valid():
            raise form_failure(form.errors)
        try:
            updated = services.account_update_settings(
                account=current,
                version=current.settings_version,
                **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS},
                user=user_of(request),
            )
        except Conflict:
            # Saved by someone else between our read and our write. With a version the client asked for exactly
            # this answer; without one, apply its fields to what is stored now (a lock held across the service
            # would meet the service's own tally lock in the other order).
            if version is not None or attempt == _ATTEMPTS - 1:
                raise
            continue
        set_etag(response, updated.settings_version)
        return updated
    raise AssertionError("unreachable: the last attempt returns or raises")
