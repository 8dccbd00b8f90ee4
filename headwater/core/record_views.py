"""The create, edit and delete pages every CRM record (company, person, deal) shares.

An app describes its record once (`RecordPages`: the form, the selector, the services, the messages) and each of
its views is one call: resolve the record, parse the form, call the one service, redirect or render the form
again with the service's errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise

from headwater.core.access import AccountRequest, require_role
from headwater.core.errors import DomainError, NotFound
from headwater.core.listing import or_404
from headwater.core.models import Account
from headwater.core.record_forms import RecordForm
from headwater.core.records import CrmRecord
from headwater.users.models import Role

_R = TypeVar("_R", bound=CrmRecord)


@dataclass(frozen=True)
class RecordPages(Generic[_R]):
    app: str  # URL namespace and template folder: "companies"
    noun: str  # the record's name in the templates and in the update/delete services' keywords: "company"
    form: type[RecordForm]
    get: Callable[..., _R]  # selector(account=, pk=)
    create: Callable[..., _R]
    update: Callable[..., _R]
    delete: Callable[..., object]
    label: Callable[[_R], str]  # what the messages call the record
    added: str | Promise  # messages with a %(name)s placeholder
    saved: str | Promise
    deleted: str | Promise
    # The sentence the delete page shows about linked records, for the records that have any.
    delete_consequence: Callable[[Account, _R], str] | None = None

    def message(self, text: str | Promise, record: _R) -> str:
        return str(text) % {"name": self.label(record)}


def create_page(
    request: AccountRequest,
    pages: RecordPages[_R],
    *,
    contact_initial: Callable[[AccountRequest], dict[str, Any]] | None = None,
) -> HttpResponse:
    """`contact_initial`: for records that link to a contact (persons, deals), the form's initial values read from
    `?company=` / `?person=`; the form then also pre-fills the source from the contact the user picks."""
    require_role(request, Role.MEMBER)  # before reading the query string: a viewer learns nothing from it
    extra: dict[str, Any] = {}
    if contact_initial is not None:
        extra = {"initial": contact_initial(request), "prefill_source": True}
    form = pages.form(
        request.POST if request.method == "POST" else None, account=request.account, user=request.user, **extra
    )
    if request.method == "POST" and form.is_valid():
        source, how = form.source_for_service()
        try:
            record = pages.create(
                account=request.account, user=request.user, **form.service_fields(), source=source, source_how=how
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, pages.message(pages.added, record))
            return redirect(f"{pages.app}:detail", account_slug=request.account.slug, pk=record.pk)
    return render(request, f"{pages.app}/form.html", {"form": form, pages.noun: None})


def edit_page(request: AccountRequest, pages: RecordPages[_R], pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    record = or_404(pages.get, account=request.account, pk=pk)
    form = pages.form(
        request.POST if request.method == "POST" else None, account=request.account, user=request.user, instance=record
    )
    if request.method == "POST" and form.is_valid():
        changes = form.service_fields()
        source, how = form.source_for_service()
        if "source" in form.fields:
            changes["source"] = source
        try:
            record = pages.update(
                account=request.account,
                user=request.user,
                version=form.cleaned_data["version"],
                source_how=how,
                **{pages.noun: record},
                **changes,
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, pages.message(pages.saved, record))
            return redirect(f"{pages.app}:detail", account_slug=request.account.slug, pk=record.pk)
    return render(request, f"{pages.app}/form.html", {"form": form, pages.noun: record})


def delete_page(request: AccountRequest, pages: RecordPages[_R], pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    record = or_404(pages.get, account=request.account, pk=pk)
    if request.method == "POST":
        try:
            pages.delete(account=request.account, user=request.user, **{pages.noun: record})
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, pages.message(pages.deleted, record))
        return redirect(f"{pages.app}:list", account_slug=request.account.slug)
    context: dict[str, Any] = {pages.noun: record}
    if pages.delete_consequence is not None:
        context["consequence"] = pages.delete_consequence(request.account, record)
    return render(request, f"{pages.app}/delete.html", context)
