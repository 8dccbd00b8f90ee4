"""API: the account's channels. Every member reads; only admins change them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.channels import selectors, services
from headwater.channels.models import Channel
from headwater.channels.schemas import (
    ChannelDeleteParams,
    ChannelIn,
    ChannelOut,
    ChannelPage,
    ChannelPatch,
    ChannelReorderIn,
)
from headwater.core.api_schemas import IdPath
from headwater.core.errors import ValidationFailed
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)


def _out(channel: Channel, counts: dict[int | None, int]) -> dict[str, Any]:
    return {
        "id": channel.pk,
        "name": channel.name,
        "position": channel.position,
        "key": channel.key,
        "sources": counts.get(channel.pk, 0),
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def _one(request: HttpRequest, channel: Channel) -> dict[str, Any]:
    return _out(channel, selectors.channel_source_counts(account=account_of(request)))


def _page(request: HttpRequest) -> dict[str, Any]:
    account = account_of(request)
    counts = selectors.channel_source_counts(account=account)
    items = [_out(c, counts) for c in selectors.channel_list(account=account)]
    return {"items": items, "unassigned_sources": counts.get(None, 0), "next": None}


@router.get("", response=ChannelPage, summary="List the channels in the admin's order")
def channel_list(request: HttpRequest) -> dict[str, Any]:
    return _page(request)


@router.post("", response={201: ChannelOut}, summary="Add a channel at the end of the list (admin)")
def channel_create(request: HttpRequest, payload: ChannelIn) -> Status[dict[str, Any]]:
    channel = services.channel_create(account=account_of(request), user=user_of(request), name=payload.name)
    return Status(201, _one(request, channel))


@router.post("/reorder", response=ChannelPage, summary="Put every channel in a new order (admin)")
def channel_reorder(request: HttpRequest, payload: ChannelReorderIn) -> dict[str, Any]:
    services.channel_reorder(account=account_of(request), user=user_of(request), ordered_ids=list(payload.ids))
    return _page(request)


@router.get("/{channel_id}", response=ChannelOut, summary="One channel")
def channel_get(request: HttpRequest, channel_id: IdPath) -> dict[str, Any]:
    return _one(request, selectors.channel_get(account=account_of(request), channel_id=channel_id))


@router.patch("/{channel_id}", response=ChannelOut, summary="Rename a channel and/or move it to a place (admin)")
def channel_update(request: HttpRequest, channel_id: IdPath, payload: ChannelPatch) -> dict[str, Any]:
    account, user = account_of(request), user_of(request)
    channel = selectors.channel_get(account=account, channel_id=channel_id)
    sent = payload.model_fields_set
    if "position" in sent and payload.position is None:
        raise ValidationFailed.on("position", _("Send a place from 1 to the number of channels."))
    with transaction.atomic():
        if "name" in sent:
            channel = services.channel_rename(account=account, user=user, channel=channel, name=payload.name or "")
        if payload.position is not None:
            ids = [c.pk for c in selectors.channel_list(account=account)]
            if payload.position > len(ids):
                raise ValidationFailed.on(
                    "position", _("Send a place from 1 to %(count)d (the number of channels).") % {"count": len(ids)}
                )
            ids.remove(channel.pk)
            ids.insert(payload.position - 1, channel.pk)
            services.channel_reorder(account=account, user=user, ordered_ids=ids)
    return _one(request, selectors.channel_get(account=account, channel_id=channel.pk))


@router.delete(
    "/{channel_id}", response={204: None}, summary="Delete a channel; its sources move to `target_id` (admin)"
)
def channel_delete(request: HttpRequest, channel_id: IdPath, params: Query[ChannelDeleteParams]) -> Status[None]:
    account = account_of(request)
    channel = selectors.channel_get(account=account, channel_id=channel_id)
    target = None
    if params.target_id is not None:
        found = selectors.channel_list(account=account).filter(pk=params.target_id).first()
        if found is None:
            raise ValidationFailed.on("target_id", _("Choose one of the account's channels."))
        target = found
    services.channel_delete(account=account, user=user_of(request), channel=channel, target=target)
    return Status(204, None)
