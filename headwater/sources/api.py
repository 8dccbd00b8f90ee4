"""API: the acquisition-source catalogue and its switches. Every member reads; only admins change them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import IdPath
from headwater.core.errors import ValidationFailed
from headwater.core.types import UNSET, Unset
from headwater.sources import selectors, services
from headwater.sources.models import Source
from headwater.sources.schemas import (
    SourceAliasFilters,
    SourceAliasIn,
    SourceAliasOut,
    SourceAliasPage,
    SourceAliasPatch,
    SourceDeleteParams,
    SourceFilters,
    SourceIn,
    SourceMergeIn,
    SourceMergeOut,
    SourcePage,
    SourcePatch,
    SourceReorderIn,
    SourceSettingsOut,
    SourceSettingsPatch,
    SourceVersionIn,
    SourceWithUsageOut,
)
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)
settings_router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)
alias_router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)


def _out(request: HttpRequest, source: Source, response: HttpResponse | None = None) -> dict[str, Any]:
    """The source with its usage; with `response`, also its ETag on that response."""
    if response is not None:
        set_etag(response, source.version)
    return SourceWithUsageOut.from_usage(selectors.source_usage(account=account_of(request), source=source))


def _list(request: HttpRequest, archived: bool | None = None) -> dict[str, Any]:
    usages = selectors.source_list_with_usage(account=account_of(request))
    items = [SourceWithUsageOut.from_usage(u) for u in usages if archived is None or u.source.archived == archived]
    return {"items": items, "next": None}


@router.get("", response=SourcePage, summary="List the sources in the admin's order, with usage counts")
def source_list(request: HttpRequest, filters: Query[SourceFilters]) -> dict[str, Any]:
    return _list(request, filters.archived)


@router.post(
    "",
    response={201: SourceWithUsageOut},
    summary="Add a source at the end of the order (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(201,)),
)
def source_create(request: HttpRequest, payload: SourceIn, response: HttpResponse) -> Status[dict[str, Any]]:
    source = services.source_create(account=account_of(request), user=user_of(request), name=payload.name)
    return Status(201, _out(request, source, response))


@router.post("/reorder", response=SourcePage, summary="Put every source in a new order (admin)")
def source_reorder(request: HttpRequest, payload: SourceReorderIn) -> dict[str, Any]:
    services.source_reorder(account=account_of(request), user=user_of(request), ordered_ids=list(payload.ordered_ids))
    return _list(request)


@router.get(
    "/{source_id}",
    response=SourceWithUsageOut,
    summary="One source with its usage counts",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def source_get(request: HttpRequest, source_id: IdPath, response: HttpResponse) -> dict[str, Any]:
    return _out(request, selectors.source_get(account=account_of(request), source_id=source_id), response)


@router.patch(
    "/{source_id}",
    response=SourceWithUsageOut,
    summary="Rename, archive and/or put a source in a channel (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def source_update(
    request: HttpRequest, source_id: IdPath, payload: SourcePatch, response: HttpResponse
) -> dict[str, Any]:
    version = expected_version(request, payload.version)
    account, user = account_of(request), user_of(request)
    source = selectors.source_get(account=account, source_id=source_id)
    sent = payload.model_fields_set
    if "archived" in sent and payload.archived is None:
        raise ValidationFailed.on("archived", _("Send true or false."))
    with transaction.atomic():
        if "name" in sent:
            source = services.source_rename(
                account=account, user=user, source=source, name=payload.name or "", version=version
            )
            version = source.version
        if "channel_id" in sent:
            source = services.source_set_channel(
                account=account, user=user, source=source, channel_id=payload.channel_id, version=version
            )
            version = source.version
        if payload.archived is not None:
            change = services.source_archive if payload.archived else services.source_unarchive
            source = change(account=account, user=user, source=source, version=version)
        elif "name" not in sent and "channel_id" not in sent:
            # Nothing to change: still honour the optimistic lock, so a stale client learns about it.
            source = services.source_rename(
                account=account, user=user, source=source, name=source.name, version=version
            )
    return _out(request, source, response)


@router.delete(
    "/{source_id}",
    response={204: None},
    summary="Delete a source (admin)",
    openapi_extra=precondition_openapi(if_match=True),
)
def source_delete(request: HttpRequest, source_id: IdPath, params: Query[SourceDeleteParams]) -> Status[None]:
    """A source in use is never removed silently: `mode=only_if_unused` refuses it (the error gives the counts);
    `mode=clear&expected_count=N` clears it from exactly the N records you confirmed; or merge or archive it."""
    version = if_match_version(request)
    account = account_of(request)
    source = selectors.source_get(account=account, source_id=source_id)
    services.source_delete(
        account=account,
        user=user_of(request),
        source=source,
        mode=params.mode,
        expected_count=params.expected_count,
        version=version,
    )
    return Status(204, None)


@router.post(
    "/{source_id}/archive",
    response=SourceWithUsageOut,
    summary="Archive a source (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def source_archive(
    request: HttpRequest, source_id: IdPath, response: HttpResponse, payload: SourceVersionIn | None = None
) -> dict[str, Any]:
    version = expected_version(request, payload.version if payload else None)
    account = account_of(request)
    source = selectors.source_get(account=account, source_id=source_id)
    source = services.source_archive(account=account, user=user_of(request), source=source, version=version)
    return _out(request, source, response)


@router.post(
    "/{source_id}/unarchive",
    response=SourceWithUsageOut,
    summary="Restore an archived source (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def source_unarchive(
    request: HttpRequest, source_id: IdPath, response: HttpResponse, payload: SourceVersionIn | None = None
) -> dict[str, Any]:
    version = expected_version(request, payload.version if payload else None)
    account = account_of(request)
    source = selectors.source_get(account=account, source_id=source_id)
    source = services.source_unarchive(account=account, user=user_of(request), source=source, version=version)
    return _out(request, source, response)


@router.post(
    "/{source_id}/merge",
    response=SourceMergeOut,
    summary="Merge a source into another (admin)",
    openapi_extra=precondition_openapi(if_match=True),
)
def source_merge(request: HttpRequest, source_id: IdPath, payload: SourceMergeIn) -> dict[str, Any]:
    version = expected_version(request, payload.version)
    account = account_of(request)
    source = selectors.source_get(account=account, source_id=source_id)
    into = Source.objects.for_account(account).filter(pk=payload.into_id).first()
    if into is None:
        raise ValidationFailed.on("into_id", _("Choose a source of this account to merge into."))
    moved = services.source_merge(account=account, user=user_of(request), source=source, into=into, version=version)
    return {"moved": moved, "into": _out(request, into)}


def _settings(request: HttpRequest) -> dict[str, bool]:
    account = account_of(request)
    return {"enabled": account.sources_enabled, "default_from_contact": account.source_default_from_contact}


@settings_router.get("", response=SourceSettingsOut, summary="The two source switches")
def source_settings_get(request: HttpRequest) -> dict[str, bool]:
    return _settings(request)


@settings_router.patch("", response=SourceSettingsOut, summary="Switch sources / the default rule on or off (admin)")
def source_settings_update(request: HttpRequest, payload: SourceSettingsPatch) -> dict[str, bool]:
    sent = payload.model_fields_set
    for field in ("enabled", "default_from_contact"):
        if field in sent and getattr(payload, field) is None:
            raise ValidationFailed.on(field, _("Send true or false."))
    services.source_settings_update(
        account=account_of(request),
        user=user_of(request),
        enabled=payload.enabled if payload.enabled is not None else UNSET,
        default_from_contact=payload.default_from_contact if payload.default_from_contact is not None else UNSET,
    )
    return _settings(request)


# --- Aliases --------------------------------------------------------------------------------------------


@alias_router.get("", response=SourceAliasPage, summary="List the source aliases, alphabetically")
def source_alias_list(request: HttpRequest, filters: Query[SourceAliasFilters]) -> dict[str, Any]:
    account = account_of(request)
    source = None
    if filters.source_id is not None:
        # Another account's source is not found: its aliases are none of ours (an empty list, as a filter gives).
        source = Source.objects.for_account(account).filter(pk=filters.source_id).first()
        if source is None:
            return {"items": [], "next": None}
    return {"items": list(selectors.source_alias_list(account=account, source=source)), "next": None}


@alias_router.post("", response={201: SourceAliasOut}, summary="Remember another spelling of a source (admin)")
def source_alias_create(request: HttpRequest, payload: SourceAliasIn) -> Status[Any]:
    alias = services.source_alias_create(
        account=account_of(request), user=user_of(request), source=payload.source_id, text=payload.text
    )
    return Status(201, alias)


@alias_router.get(
    "/{alias_id}",
    response=SourceAliasOut,
    summary="One source alias",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def source_alias_get(request: HttpRequest, alias_id: IdPath, response: HttpResponse) -> Any:
    alias = selectors.source_alias_get(account=account_of(request), alias_id=alias_id)
    set_etag(response, alias.version)
    return alias


@alias_router.patch(
    "/{alias_id}",
    response=SourceAliasOut,
    summary="Point an alias at another source or respell it (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def source_alias_update(
    request: HttpRequest, alias_id: IdPath, payload: SourceAliasPatch, response: HttpResponse
) -> Any:
    """A stale `version` (or If-Match) answers 409 and changes nothing."""
    version = expected_version(request, payload.version)
    account = account_of(request)
    alias = selectors.source_alias_get(account=account, alias_id=alias_id)
    sent = payload.model_fields_set
    for field in ("source_id", "text"):
        if field in sent and getattr(payload, field) is None:
            raise ValidationFailed.on(field, _("Send a value or leave the field out."))
    source: int | Unset = payload.source_id if payload.source_id is not None else UNSET
    text: str | Unset = payload.text if payload.text is not None else UNSET
    changed = services.source_alias_update(
        account=account, user=user_of(request), alias=alias, source=source, text=text, version=version
    )
    set_etag(response, changed.version)
    return changed


@alias_router.delete(
    "/{alias_id}",
    response={204: None},
    summary="Forget a source alias (admin)",
    openapi_extra=precondition_openapi(if_match=True),
)
def source_alias_delete(request: HttpRequest, alias_id: IdPath) -> Status[None]:
    """With If-Match: a stale version answers 409 and deletes nothing."""
    version = if_match_version(request)
    account = account_of(request)
    alias = selectors.source_alias_get(account=account, alias_id=alias_id)
    services.source_alias_delete(account=account, user=user_of(request), alias=alias, version=version)
    return Status(204, None)
