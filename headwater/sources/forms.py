"""Forms of the source settings page. They parse input only; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from headwater.channels.forms import ChannelChoiceField
from headwater.channels.models import Channel
from headwater.channels.selectors import channel_list
from headwater.core.bidi import isolate
from headwater.core.errors import DomainError
from headwater.core.models import Account
from headwater.sources.models import Source, SourceAlias
from headwater.sources.selectors import source_list


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error next to the fields it names; anything else on the form itself."""
    placed = False
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class SwitchesForm(forms.Form):
    enabled = forms.BooleanField(label=_("Acquisition sources on"), required=False)
    default_from_contact = forms.BooleanField(
        label=_("Set the source by default from the person or company"),
        required=False,
        help_text=_(
            "New persons and deals linked to a contact get its source pre-filled; users can change it. "
            "Existing records are not changed."
        ),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"enabled": account.sources_enabled, "default_from_contact": account.source_default_from_contact},
        )
        super().__init__(*args, **kwargs)
        if not account.sources_enabled:
            # Explained rather than hidden; sources.js enables it as soon as the first switch is ticked.
            field = self.fields["default_from_contact"]
            field.widget.attrs["disabled"] = True
            field.help_text = _("Available when acquisition sources are on.")


class SourceNameForm(forms.Form):
    # No maxlength attribute: a browser would silently cut a longer paste; the service explains the limit.
    name = forms.CharField(label=_("Name"), required=False, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service checks the text (NUL and other control characters) with the same words as the API.
        self.fields["name"].validators = []


class AddSourceForm(SourceNameForm):
    name = forms.CharField(label=_("New source"), required=False, strip=False)


class RenameForm(SourceNameForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, source: Source, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": source.name, "version": source.version})
        kwargs.setdefault("prefix", f"rename-{source.pk}")
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("New name for “%(name)s”") % {"name": source.name}
        # The inline editor replaces the row: keyboard users land in the field (htmx honours autofocus).
        self.fields["name"].widget.attrs["autofocus"] = True


class TargetChoiceField(forms.ModelChoiceField[Source]):
    def label_from_instance(self, obj: Source) -> str:
        name = isolate(obj.name)
        if obj.archived:
            return str(_("%(name)s (archived)") % {"name": name})
        return name


class MergeForm(forms.Form):
    into = TargetChoiceField(
        label=_("Move its records to"),
        queryset=Source.unscoped.none(),
        empty_label=_("Choose a source"),
        error_messages={"required": _("Choose the source to merge into."), "invalid_choice": _("Choose a source.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account, source: Source, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"version": source.version})
        super().__init__(*args, **kwargs)
        field = self.fields["into"]
        assert isinstance(field, TargetChoiceField)  # noqa: S101 — declared just above
        field.queryset = source_list(account=account).exclude(pk=source.pk)


class ClearForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": _("Tick the box to confirm that the records lose their source.")}
    )
    expected_count = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"expected_count": count})
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = ngettext(
            "I understand that %(count)d record loses its source",
            "I understand that %(count)d records lose their source",
            count,
        ) % {"count": count}


class AliasForm(forms.Form):
    """Add an alias, or change one (its spelling, the source it stands for)."""

    # No maxlength, no validators: the service explains the limit and the refused characters, like the API.
    text = forms.CharField(
        label=_("Alias"),
        required=False,
        strip=False,
        help_text=_("Another spelling of the source's name, e.g. “FB” for “Facebook Ads”."),
    )
    source = TargetChoiceField(
        label=_("Stands for the source"),
        queryset=Source.unscoped.none(),
        empty_label=_("Choose a source"),
        error_messages={
            "required": _("Choose the source this alias stands for."),
            "invalid_choice": _("Choose a source."),
        },
    )

    def __init__(self, *args: Any, account: Account, alias: SourceAlias | None = None, **kwargs: Any) -> None:
        if alias is not None:
            kwargs.setdefault("initial", {"text": alias.text, "source": alias.source_id})
            # One alias is edited at a time (the row becomes the form): one prefix, distinct from the add form's.
            kwargs.setdefault("prefix", "alias-edit")
        else:
            kwargs.setdefault("prefix", "alias")
        super().__init__(*args, **kwargs)
        self.fields["text"].validators = []
        field = self.fields["source"]
        assert isinstance(field, TargetChoiceField)  # noqa: S101 — declared just above
        field.queryset = source_list(account=account)
        if alias is not None:
            # The version the editor read: a change made meanwhile by someone else is a conflict, not overwritten.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=alias.version, required=False
            )
            self.fields["text"].label = _("New spelling of “%(alias)s”") % {"alias": isolate(alias.text)}
            self.fields["text"].help_text = ""
            # The inline editor replaces the row: keyboard users land in the field (htmx honours autofocus).
            self.fields["text"].widget.attrs["autofocus"] = True


class SourceChannelForm(forms.Form):
    """The catalogue's channel picker; limited to the account's channels."""

    channel = ChannelChoiceField(
        label=_("Channel"),
        queryset=Channel.unscoped.none(),
        required=False,
        empty_label=_("No channel"),
        error_messages={"invalid_choice": _("Choose one of the account's channels.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channel"]
        assert isinstance(field, ChannelChoiceField)  # noqa: S101 — declared just above
        field.queryset = channel_list(account=account)
