# Long on purpose: the pieces all three record forms share (pickers, owner, source, filters, errors), kept together so
# one form reads its parts from one module.
"""Form pieces the company, person and deal forms share: account-scoped pickers, owner, source, errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db import models
from django.forms.utils import ErrorDict
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from headwater.campaigns.models import Campaign
from headwater.campaigns.selectors import campaign_catalogue, campaign_choices
from headwater.core.bidi import isolate
from headwater.core.dates import FilterDayField
from headwater.core.errors import DomainError
from headwater.core.models import Account
from headwater.core.types import UNSET, Unset
from headwater.core.validation import parse_id
from headwater.core.widgets import DateInput, TextChoiceField
from headwater.records.listing import RecordFilters
from headwater.sources.models import HowChanged, Source
from headwater.sources.selectors import (
    SourceDefault,
    source_catalogue,
    source_choices,
    source_default_explained,
    source_default_for,
)
from headwater.users.models import User
from headwater.users.selectors import account_user_list, account_users

# How many options a company/person picker renders before the user searches (the search is bounded too).
PICKER_LIMIT = 50
NO_SOURCE = "none"
UNASSIGNED = "none"
# The combobox's last option when nothing matches exactly; %(name)s is what the user typed.
CREATE_COMPANY = _("Create company “%(name)s”")
CREATE_PERSON = _("Create person “%(name)s”")
SOURCE_NOTE_ID = "source-prefill-note"
LOOKUP_BUTTON = "_lookup"
TOO_LONG = _("At most %(limit_value)d characters; you typed %(show_value)d.")


class PickerSelect(forms.Select):
    """A <select> whose options may carry data attributes (see `option_data`) for records.js."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.option_data: dict[str, dict[str, str]] = {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(name, value, *args, **kwargs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class AccountRecordField(forms.ModelChoiceField):  # type: ignore[type-arg]  # one field class for several models
    """One of the account's records, by id. An id outside the account answers 404, like everywhere else.

    Only a bounded set of options is rendered (see `limit_options`); any id of the account is accepted.
    """

    is_picker = True
    lookup_url = ""
    # Set on record forms (members and admins only): the combobox then offers "Create company “X”".
    create_url = ""
    create_label: Any = ""
    # What the search-then-select fallback (no JavaScript) searched for; the options are its matches.
    search = ""

    widget = PickerSelect

    def to_python(self, value: Any) -> models.Model | None:
        if value in self.empty_values:
            return None
        try:
            pk = int(str(value))
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc
        obj: models.Model | None = self.queryset.filter(pk=pk).first()  # type: ignore[union-attr]  # the stubs allow None; the form always sets it
        if obj is None:
            raise Http404
        return obj

    def limit_options(
        self, rows: Iterable[models.Model], *, label: Any = None, data: dict[str, dict[str, str]] | None = None
    ) -> None:
        to_label = label or self.label_from_instance
        widget: PickerSelect = self.widget  # type: ignore[assignment]  # the widget every picker field is built with
        widget.choices = [("", self.empty_label or "—"), *((str(r.pk), isolate(to_label(r))) for r in rows)]
        widget.option_data = data or {}


def default_source_data(account: Account, contact: Any, prefix: str = "data-") -> dict[str, str]:
    """What the live pre-fill reads about one contact: `data-source`, the id of the source it copies, or
    `data-source-archived`, the name of an archived one it will not copy (the form says why nothing was filled in);
    nothing when the default option is off or the contact has no source."""
    if not (account.sources_enabled and account.source_default_from_contact) or not contact.source_id:
        return {}
    source = contact.source
    if source is None:
        return {}
    if source.archived:
        return {f"{prefix}source-archived": source.name}
    return {f"{prefix}source": str(source.pk)}


def option_data(account: Account, rows: Iterable[Any], *, prefill: bool) -> dict[str, dict[str, str]]:
    """{contact id: data attributes} of picker options, read by records.js.

    `data-name`: the contact's own name (a person's label also names their company). With `prefill`, what the
    live pre-fill copies or why not (see default_source_data). A person also names their company
    (`data-company`, `data-company-label`, and with `prefill` `data-company-source...`), so the deal form can fill
    in the company when a person is picked, even if it is not among its options.
    """
    data: dict[str, dict[str, str]] = {}
    for row in rows:
        attrs = {"data-name": isolate(str(row))}
        if prefill:
            attrs.update(default_source_data(account, row))
        if getattr(row, "company_id", None) and row.company:
            attrs["data-company"] = str(row.company_id)
            attrs["data-company-label"] = isolate(row.company)
            if prefill:
                attrs.update(default_source_data(account, row.company, prefix="data-company-"))
        data[str(row.pk)] = attrs
    return data


# What the form says under the source about the pre-fill (records.js says the same when the contact changes).
SOURCE_NOTES = {
    "from_company": _("Source filled in from company %(name)s."),
    "from_person": _("Source filled in from person %(name)s."),
    "archived_company": _("The source “%(source)s” of company %(name)s is archived, so nothing was filled in."),
    "archived_person": _("The source “%(source)s” of person %(name)s is archived, so nothing was filled in."),
}


def source_note(default: SourceDefault) -> str:
    """The sentence for what the default rule did (SOURCE_NOTES), or "" when it found nothing to say."""
    if default.contact is None:
        return ""
    kind = default.contact._meta.model_name  # "company" or "person"
    if default.source is not None:
        return str(SOURCE_NOTES[f"from_{kind}"]) % {"name": str(default.contact)}
    assert default.archived is not None  # noqa: S101 — a contact without a source filled in names an archived one
    return str(SOURCE_NOTES[f"archived_{kind}"]) % {"name": str(default.contact), "source": default.archived.name}


def source_choice_label(source: Source) -> str:
    """A source in a picker or filter: an option holds text only, so the name is isolated as text (core.bidi)."""
    name = isolate(source.name)
    return str(_("%(name)s (archived)") % {"name": name}) if source.archived else name


class SourceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # the stubs' parameter; not subscriptable at runtime
    def label_from_instance(self, obj: Any) -> str:
        return source_choice_label(obj)


def campaign_choice_label(campaign: Campaign, *, formats: tuple[str, str] | None = None) -> str:
    """A campaign in a picker or filter, with its source: names repeat from one source to another. `formats`: the
    two sentences translated already (`campaign_label_formats`), for a list of them."""
    pair, archived = formats or campaign_label_formats()
    label = pair % {"name": isolate(campaign.name), "source": isolate(campaign.source.name)}
    return archived % {"name": label} if campaign.archived else label


def campaign_label_formats() -> tuple[str, str]:
    return str(_("%(name)s · %(source)s")), str(_("%(name)s (archived)"))


class CampaignField(forms.ModelChoiceField):  # type: ignore[type-arg]  # the stubs' parameter; not subscriptable at runtime
    def label_from_instance(self, obj: Any) -> str:
        return campaign_choice_label(obj)


class OwnerField(forms.ModelChoiceField):  # type: ignore[type-arg]  # the stubs' parameter; not subscriptable at runtime
    def label_from_instance(self, obj: Any) -> str:
        return isolate(obj.display_name)


def refuse_long_text(field: forms.Field) -> None:
    """Say that a text is too long instead of letting the browser cut it.

    Django renders `maxlength`, and a browser then silently drops whatever is typed or pasted past the limit (a
    500-character name arrived as its first 200). Without the attribute the full text reaches the server, whose
    length check stays (it is one of the field's validators) and names both numbers.
    """
    if isinstance(field, forms.CharField) and field.max_length is not None:
        field.widget.attrs.pop("maxlength", None)  # put there by Field.__init__; the validator keeps the limit
        field.error_messages["max_length"] = TOO_LONG


class RecordForm(forms.Form):
    """Base of the create/edit forms: owner, notes, the source picker (when sources are on), the version."""

    owner = OwnerField(queryset=User.objects.none(), required=False, label=_("Owner"), empty_label="—")
    notes = forms.CharField(label=_("Notes"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        account: Account,
        user: User,
        instance: Any = None,
        prefill_source: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.instance = instance
        self.owner_field.queryset = account_users(account=account)
        if instance is None:
            self.initial.setdefault("owner", user.pk)
        else:
            self.initial["version"] = instance.version
            self.fields["version"].required = True
        if account.sources_enabled:
            current = instance.source if instance is not None and instance.source_id else None
            self.fields["source"] = SourceField(
                queryset=source_choices(account=account, current=current),
                required=False,
                label=_("Acquisition source"),
                empty_label=_("— no source —"),
            )
            if current is not None:
                self.initial["source"] = current.pk
            # Set to 1 by records.js when the user picks a source by hand: the live pre-fill then stops.
            self.fields["source_touched"] = forms.BooleanField(required=False, widget=forms.HiddenInput)
            campaign = instance.campaign if instance is not None and instance.campaign_id else None
            self.fields["campaign"] = CampaignField(
                queryset=campaign_choices(account=account, current=campaign),
                required=False,
                label=_("Campaign"),
                empty_label=_("— no campaign —"),
                help_text=_("A campaign of the chosen source; with no source chosen, the campaign's source is set."),
            )
            if campaign is not None:
                self.initial["campaign"] = campaign.pk
        self.prefill_source = prefill_source and account.sources_enabled and account.source_default_from_contact
        if self.prefill_source:
            self.fields["source"].widget.attrs["aria-describedby"] = SOURCE_NOTE_ID
        for field in self.fields.values():
            refuse_long_text(field)

    def order_fields(self, field_order: Any) -> None:
        """The campaign right after the source, whatever order a kind's form gives (its list names the source)."""
        if field_order is not None and "source" in field_order and "campaign" not in field_order:
            at = list(field_order).index("source") + 1
            field_order = [*field_order[:at], "campaign", *field_order[at:]]
        super().order_fields(field_order)

    def campaign_for_service(self) -> dict[str, Any]:
        """The campaign for the create/update service: nothing while the picker is hidden (sources off)."""
        if "campaign" not in self.fields:
            return {}
        return {"campaign": self.cleaned_data.get("campaign")}

    @property
    def lookup_only(self) -> bool:
        """Posted to search a picker without JavaScript (its Search button, or Enter in its search box after
        typing a new search): the form comes back with the matches as options, nothing is saved."""
        return self.is_bound and (LOOKUP_BUTTON in self.data or bool(self.new_searches()))

    def new_searches(self) -> list[str]:
        """The pickers whose search box holds another text than the one their options were found with."""
        return [
            name
            for name, field in self.fields.items()
            if getattr(field, "is_picker", False)
            and str(self.data.get(f"{name}_search", "")).strip() != str(self.data.get(f"{name}_searched", "")).strip()
        ]

    def full_clean(self) -> None:
        if self.lookup_only:
            # Nothing is saved, so nothing is judged yet: the form comes back as typed, without errors.
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    @property
    def owner_field(self) -> OwnerField:
        field: OwnerField = self.fields["owner"]  # type: ignore[assignment]  # `fields` holds Field: this one is declared above as that type
        return field

    @property
    def creating(self) -> bool:
        return self.instance is None

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as the create/update service's keywords, the source apart (see source_for_service)."""
        raise NotImplementedError

    def contacts(self) -> tuple[Any, Any]:
        """(company, person) this record links to, for the default rule; overridden by persons and deals."""
        return None, None

    def _initial_contacts(self) -> tuple[Any, Any]:
        found: list[Any] = []
        for name in ("company", "person"):
            field = self.fields.get(name)
            pk = parse_id(self.initial.get(name))
            queryset = field.queryset if isinstance(field, AccountRecordField) and pk else None
            found.append(queryset.filter(pk=pk).first() if queryset is not None else None)
        return found[0], found[1]

    @property
    def source_note_templates(self) -> dict[str, str]:
        """SOURCE_NOTES in the current language, for records.js to say the same when the contact changes."""
        return {key: str(text) for key, text in SOURCE_NOTES.items()}

    @property
    def source_note(self) -> str:
        """Where the pre-filled source came from, or why nothing was filled in (see SOURCE_NOTES)."""
        if not self.prefill_source:
            return ""
        if self.is_bound:
            touched = self.fields["source_touched"].clean(self.data.get(self.add_prefix("source_touched")))
            if touched or not hasattr(self, "cleaned_data"):
                return ""
            company, person = self.contacts()
        else:
            company, person = self._initial_contacts()
        return source_note(source_default_explained(account=self.account, company=company, person=person))

    def source_for_service(self) -> tuple[Source | Unset | None, HowChanged]:
        """The value and `how` for the service: UNSET when the picker is hidden (feature off)."""
        if "source" not in self.fields:
            return UNSET, HowChanged.TYPED
        source: Source | None = self.cleaned_data.get("source")
        if self.creating and source is not None and not self.cleaned_data.get("source_touched"):
            company, person = self.contacts()
            if source_default_for(account=self.account, company=company, person=person) == source:
                return source, HowChanged.DEFAULT
        return source, HowChanged.TYPED

    def apply_domain_error(self, exc: DomainError) -> None:
        """Show a service's error next to the fields it names; anything else at the top of the form."""
        placed = False
        for field, messages in exc.fields.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class AccountChoices:
    """The account's members, sources and campaigns, each read when first asked for and then kept: a list page's
    filter bar and its bulk change form offer the same ones, so one object serves both (three queries, not six).
    For one request only: it does not see later changes."""

    def __init__(self, account: Account) -> None:
        self.account = account

    @cached_property
    def users(self) -> list[User]:
        """`users.selectors.account_user_list`."""
        return account_user_list(account=self.account)

    @cached_property
    def sources(self) -> list[Source]:
        """`sources.selectors.source_catalogue`: every source, archived ones too, in the admin's order."""
        return source_catalogue(account=self.account)

    @cached_property
    def campaigns(self) -> list[Campaign]:
        """`campaigns.selectors.campaign_catalogue`: every campaign, archived ones too, each with its source from
        `sources` (and of its own columns only what a choice shows: `campaigns.selectors.CATALOGUE_FIELDS`)."""
        return campaign_catalogue(account=self.account, sources=self.sources)

    @cached_property
    def linked(self) -> dict[str, dict[int, Any]]:
        """The records a list row links to that the filter bar reads anyway (records.listing.Known): the members,
        and while sources are on the sources and campaigns. The page's query joins only the others."""
        known: dict[str, dict[int, Any]] = {"owner": {user.pk: user for user in self.users}}
        if self.account.sources_enabled:
            known["source"] = {source.pk: source for source in self.sources}
            known["campaign"] = {campaign.pk: campaign for campaign in self.campaigns}
        return known

    # Each value with its label, once per request for both forms (a campaign's label isolates two names).
    @cached_property
    def user_options(self) -> list[tuple[str, str]]:
        return [(str(u.pk), isolate(u.display_name)) for u in self.users]

    @cached_property
    def source_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, archived) of every source, in `sources`' order."""
        return [(str(s.pk), source_choice_label(s), s.archived) for s in self.sources]

    @cached_property
    def campaign_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, archived) of every campaign, in `campaigns`' order."""
        formats = campaign_label_formats()
        return [(str(c.pk), campaign_choice_label(c, formats=formats), c.archived) for c in self.campaigns]


def owner_filter_choices(choices: AccountChoices) -> list[tuple[str, str]]:
    """Anyone, unassigned, then the account's members."""
    return [("", str(_("Anyone"))), (UNASSIGNED, str(_("Unassigned"))), *choices.user_options]


def source_filter_choices(choices: AccountChoices) -> list[tuple[str, str]]:
    sources = [(value, label) for value, label, _archived in choices.source_options]
    return [("", str(_("Any source"))), (NO_SOURCE, str(_("No source"))), *sources]


def campaign_filter_choices(choices: AccountChoices) -> list[tuple[str, str]]:
    campaigns = [(value, label) for value, label, _archived in choices.campaign_options]
    return [("", str(_("Any campaign"))), *campaigns]


class RecordFilterForm(forms.Form):
    """The list toolbar: search, owner, source (when sources are on) and the current sort."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        # The rule of records/search.py: short words match where a word begins (docs/performance.md, "Record lists").
        help_text=_(
            "Every word must match. One or two letters match the start of a word: “ko” finds Kołobrzeg, not Sokołów."
        ),
    )
    owner = TextChoiceField(label=_("Owner"), required=False)
    created_from = FilterDayField(label=_("Created from"), required=False, widget=DateInput)
    created_to = FilterDayField(label=_("Created to"), required=False, widget=DateInput)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: Account, choices: AccountChoices | None = None, **kwargs: Any) -> None:
        """`choices`: the account's members, sources and campaigns when the page reads them for another form too."""
        super().__init__(*args, **kwargs)
        self.account = account
        choices = choices or AccountChoices(account)
        owner: forms.ChoiceField = self.fields["owner"]  # type: ignore[assignment]  # `fields` holds Field: this one is declared above as that type
        owner.choices = owner_filter_choices(choices)
        if account.sources_enabled:
            self.fields["source"] = TextChoiceField(
                label=_("Acquisition source"), required=False, choices=source_filter_choices(choices)
            )
            self.fields["campaign"] = TextChoiceField(
                label=_("Campaign"), required=False, choices=campaign_filter_choices(choices)
            )
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                # app.js submits the toolbar when a choice changes; htmx then swaps only the table.
                field.widget.attrs["class"] = "js-autosubmit"

    def filters(self) -> RecordFilters:
        """The validated filters for the app's page selector; call only after is_valid()."""
        raise NotImplementedError

    def clean_q(self) -> str:
        return str(self.cleaned_data.get("q") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for first, last in (("created_from", "created_to"), ("closed_from", "closed_to")):
            start, end = data.get(first), data.get(last)
            if start is not None and end is not None and start > end:
                self.add_error(last, _("The last day cannot be before the first day."))
        return data

    def common_filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        owner = data.get("owner") or ""
        source = data.get("source") or ""
        campaign = data.get("campaign") or ""
        return {
            "campaign": int(campaign) if campaign else None,
            "q": data.get("q") or "",
            "owner": None if owner in ("", UNASSIGNED) else int(owner),
            "unowned": owner == UNASSIGNED,
            "source": None if source in ("", NO_SOURCE) else int(source),
            "no_source": source == NO_SOURCE,
            "created_from": local_midnight(self.account, data.get("created_from")),
            "created_before": local_midnight(self.account, data.get("created_to"), next_day=True),
        }


def local_midnight(account: Account, day: dt.date | None, *, next_day: bool = False) -> dt.datetime | None:
    """The instant a day (or the day after it) begins in the account's time zone, which decides what day it is."""
    if day is None:
        return None
    if next_day:
        if day == dt.date.max:
            return None
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(account.time_zone))


def picker_options(account: Account, rows: Iterable[Any], label: Any = str) -> list[dict[str, Any]]:
    """`<option>` data for a picker: value, label and the data attributes records.js reads (see option_data)."""
    rows = list(rows)
    data = option_data(account, rows, prefill=True)
    return [
        {"value": str(r.pk), "label": isolate(label(r)), "data": sorted(data.get(str(r.pk), {}).items())} for r in rows
    ]


def setup_picker(
    form: forms.Form,
    name: str,
    *,
    queryset: Any,
    lookup: Any,
    lookup_url: str,
    label: Any = str,
    create_url: str = "",
    create_label: Any = "",
    browse: bool = True,
) -> None:
    """Scope the picker `name` to the account, render a bounded set of options (the current value kept).

    `browse=False` (the list pages' filter bars): the options are the chosen record and the matches of a typed
    search only, not the first 50 records: JavaScript's combobox asks the lookup URL anyway, and rendering 100
    unasked options was half of a deal list page's time (docs/performance.md, "List pages").

    The page shows it as one typeahead field (static/js/combobox.js) fed by `lookup_url`; without JavaScript it is
    this <select> with a search box beside it (`<name>_search`, whose matches the options then are).
    """
    field: AccountRecordField = form.fields[name]  # type: ignore[assignment]  # the caller names a picker field
    field.queryset = queryset
    field.lookup_url = lookup_url
    field.create_url, field.create_label = create_url, create_label
    raw: Any = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    selected = parse_id(getattr(raw, "pk", raw))
    field.search = str(form.data.get(f"{form.add_prefix(name)}_search", "") if form.is_bound else "")[:200].strip()
    if form.is_bound and (form.data.get(LOOKUP_BUTTON) == name or name in getattr(form, "new_searches", list)()):
        field.widget.attrs["autofocus"] = True  # after a Search without JavaScript: choose among the matches
    account: Account = form.account  # type: ignore[attr-defined]  # RecordForm and RecordFilterForm carry it
    rows: list[Any]
    if browse or field.search:
        rows = lookup(account=account, q=field.search, selected=selected)
    else:  # limit=0: the chosen record alone; nothing at all to build when none is chosen
        rows = [] if selected is None else lookup(account=account, q="", selected=selected, limit=0)
    prefill = getattr(form, "prefill_source", False)
    field.limit_options(rows, label=label, data=option_data(account, rows, prefill=prefill))


def id_or_404(value: Any) -> int:
    """An id from `?company=` / `?person=`: anything that is not one answers 404 like a missing record."""
    pk = parse_id(value)
    if pk is None:
        raise Http404
    return pk
