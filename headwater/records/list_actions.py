"""What a record list does besides showing a page: change the chosen records in bulk, export what it shows.

Both read the list's own filters and sort from the query string (the list's URL, which the forms and links repeat),
through the kind's filter form and selector, so what is changed or exported is what the list shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.validation import parse_id
from headwater.core.widgets import TextChoiceField
from headwater.records.bulk import BULK_CHANGE_LIMIT, bulk_fields, records_bulk_change
from headwater.records.exports import record_export_response
from headwater.records.forms import (
    NO_SOURCE,
    UNASSIGNED,
    AccountChoices,
)
from headwater.records.registry import kind_of
from headwater.records.tasks import export_job_start, export_targets
from headwater.users.access import AccountRequest

if TYPE_CHECKING:
    from headwater.records.views import RecordPages

LEAVE = ""
EXPORT_FORMATS = ("csv", "xlsx")


def _choices(choices: AccountChoices, name: str) -> list[tuple[str, str]]:
    """The options of a bulk field's picker: leave it, clear it, or one of the account's values."""
    if name == "source":  # the active ones, as `sources.selectors.source_choices`
        values = [(value, label) for value, label, archived in choices.source_options if not archived]
        return [(LEAVE, _("Leave as it is")), (NO_SOURCE, _("No source")), *values]
    if name == "campaign":
        campaigns = [(value, label) for value, label, archived in choices.campaign_options if not archived]
        return [(LEAVE, _("Leave as it is")), (NO_SOURCE, _("No campaign")), *campaigns]
    if name == "owner":
        return [(LEAVE, _("Leave as it is")), (UNASSIGNED, _("Unassigned")), *choices.user_options]
    raise LookupError(f"no choices for the bulk field {name!r}")


class IdListField(forms.Field):
    """The ids of the checked rows (`ids=3&ids=7`); the service checks they are the account's."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        ids = []
        for item in value or []:
            pk = parse_id(item)
            if pk is None:
                raise forms.ValidationError(_("The chosen records are not valid: reload the list and choose again."))
            ids.append(pk)
        return ids


class BulkChangeForm(forms.Form):
    """The list's action bar: the chosen rows (or every row matching the filter) and what to set on them."""

    ids = IdListField(required=False)
    all_matching = forms.BooleanField(required=False)
    # The count the list showed next to "every record matching": the change refuses to run on another number.
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: Account, choices: AccountChoices | None = None, **kwargs: Any) -> None:
        # Its own ids: the list's filter form on the same page has an "owner" and a "source" too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.account = account
        self.field_names = []
        choices = choices or AccountChoices(account)
        for bulk_field in bulk_fields(account):
            self.fields[bulk_field.name] = TextChoiceField(
                label=_("Set %(field)s") % {"field": str(bulk_field.label).lower()},
                required=False,
                choices=_choices(choices, bulk_field.name),
            )
            self.field_names.append(bulk_field.name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_matching") and not data.get("ids") and "ids" not in self.errors:
            self.add_error(None, _("Choose the records to change: tick them in the list, or every record matching."))
        if not self.changes():
            self.add_error(None, _("Choose what to change: a new value for at least one field."))
        return data

    def changes(self) -> dict[str, int | None]:
        changes: dict[str, int | None] = {}
        for name in self.field_names:
            value = self.cleaned_data.get(name, LEAVE) if hasattr(self, "cleaned_data") else LEAVE
            if value == LEAVE:
                continue
            changes[name] = None if value in (NO_SOURCE, UNASSIGNED) else int(value)
        return changes


def _list_query(request: AccountRequest) -> str:
    """The list's filters and sort (not its position), as a query string to repeat."""
    query = request.GET.copy()
    for name in ("cursor", "page"):
        query.pop(name, None)
    return f"?{query.urlencode()}" if query else ""


def list_actions_context(
    request: AccountRequest, pages: RecordPages[Any], *, choices: AccountChoices | None = None
) -> dict[str, Any]:
    """The list page's action bar and export buttons; the bulk form for members and admins only (its options from
    `choices`, the filter bar's)."""
    slug = request.account.slug
    query = _list_query(request)
    context: dict[str, Any] = {
        "export_csv_url": reverse(f"{pages.app}:export_csv", kwargs={"account_slug": slug}) + query,
        "export_xlsx_url": reverse(f"{pages.app}:export_xlsx", kwargs={"account_slug": slug}) + query,
        "bulk_limit": BULK_CHANGE_LIMIT,
    }
    if request.membership.can_write:
        context["bulk_form"] = BulkChangeForm(account=request.account, choices=choices)
        context["bulk_url"] = reverse(f"{pages.app}:bulk_change", kwargs={"account_slug": slug}) + query
    return context


def bulk_change_page(
    request: AccountRequest, pages: RecordPages[Any], *, list_page: Callable[..., HttpResponse]
) -> HttpResponse:
    """POST: change the chosen records (or all matching the list's filters in the URL), then back to the list;
    a refused change shows the list again (`list_page`, records.views) with the reason in the action bar (400),
    changing nothing."""
    account = request.account
    kind = kind_of(pages.noun)
    form = BulkChangeForm(request.POST, account=account)
    if form.is_valid():
        filters = None
        filter_form = pages.filter_form(request.GET, account=account)
        if form.cleaned_data["all_matching"] and not filter_form.is_valid():
            form.add_error(None, _("The list's filters are not valid: correct them and choose again."))
        else:
            if form.cleaned_data["all_matching"]:
                filters = filter_form.filters()
            try:
                count = records_bulk_change(
                    kind,
                    account=account,
                    user=request.user,
                    changes=form.changes(),
                    ids=None if filters is not None else form.cleaned_data["ids"],
                    filters=filters,
                    expected=form.cleaned_data["expected"] if filters is not None else None,
                )
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                for message in [m for field in exc.fields.values() for m in field] or [exc.message]:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    ngettext("%(count)s record changed.", "%(count)s records changed.", count)
                    % {"count": f"{count:,}"},
                )
                return redirect(
                    reverse(f"{pages.app}:list", kwargs={"account_slug": account.slug}) + _list_query(request)
                )
    return list_page(request, pages, context={"bulk_form": form}, status=400)


def export_page(request: AccountRequest, pages: RecordPages[Any], file_format: str) -> HttpResponseBase:
    """The list as a file: the filters and sort of its URL, every matching record (not only one page). An XLSX of
    more than EXPORT_XLSX_JOB_ROWS records is written by a job: to its page (progress, then the download)."""
    account = request.account
    try:
        kind, qs, ordering = export_targets(pages, account=account, params=request.GET)
    except ValidationFailed as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if file_format == "xlsx":
        total = qs.count()
        if total > settings.EXPORT_XLSX_JOB_ROWS:
            job = export_job_start(
                account=account,
                user=request.user,
                noun=pages.noun,
                query=request.GET.urlencode(),
                language=get_language() or "en",
                total=total,
            )
            back = reverse(f"{pages.app}:list", kwargs={"account_slug": account.slug}) + _list_query(request)
            page = reverse("jobs:detail", kwargs={"account_slug": account.slug, "job_id": job.pk})
            return redirect(f"{page}?{urlencode({'back': back})}")
    return record_export_response(kind, account=account, qs=qs, ordering=ordering, file_format=file_format)
