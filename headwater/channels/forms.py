"""Forms of Account settings > Channels; they call the same services as the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.channels.models import Channel
from headwater.channels.selectors import channel_list
from headwater.core.bidi import isolate
from headwater.core.models import Account


class AddChannelForm(forms.Form):
    # No maxlength: the service explains the limit, in the same words as the API.
    name = forms.CharField(label=_("New channel"), required=False, strip=False)


class RenameChannelForm(forms.Form):
    name = forms.CharField(required=False, strip=False)

    def __init__(self, *args: Any, channel: Channel, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": channel.name})
        kwargs.setdefault("prefix", f"rename-{channel.pk}")
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("New name for “%(name)s”") % {"name": isolate(channel.name)}


class ChannelChoiceField(forms.ModelChoiceField[Channel]):
    def label_from_instance(self, obj: Channel) -> str:
        return isolate(obj.name)


class DeleteChannelForm(forms.Form):
    target = ChannelChoiceField(
        label=_("Move its sources to"),
        queryset=Channel.unscoped.none(),
        required=False,
        empty_label=_("No channel"),
        error_messages={"invalid_choice": _("Choose one of the account's channels.")},
    )

    def __init__(self, *args: Any, account: Account, channel: Channel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, ChannelChoiceField)  # noqa: S101 — declared just above
        field.queryset = channel_list(account=account).exclude(pk=channel.pk)
