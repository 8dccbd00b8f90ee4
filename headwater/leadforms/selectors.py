"""Reads of the lead forms app."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.leadforms.models import FormSubmission, LeadForm
from headwater.sources.models import Source


def form_list(*, account: Account) -> QuerySet[LeadForm]:
    return LeadForm.objects.for_account(account).order_by("name", "pk")


def form_get(*, account: Account, form_id: int) -> LeadForm:
    found = LeadForm.objects.for_account(account).filter(pk=form_id).first()
    if found is None:
        raise NotFound("No such form.")
    return found


def public_form(*, key: str) -> LeadForm | None:
    """The active form a public key opens (with its account), or None: an unknown, mistyped or inactive key, or one
    whose account is gone, all look the same to a visitor."""
    if not key or len(key) > 64:
        return None
    return LeadForm.unscoped.select_related("account").filter(public_key=key, active=True).first()


def submission_counts(*, account: Account) -> dict[int, int]:
    rows: Any = (
        FormSubmission.objects.for_account(account).values("form_id").annotate(n=Count("*")).values_list("form_id", "n")
    )
    return dict(rows)


def answer_sources(*, form: LeadForm) -> dict[int, Source]:
    """The sources the form's answers stand for, by id (an answer whose source was deleted since stands for none)."""
    ids = [answer["source_id"] for answer in form.answers if answer.get("source_id")]
    return {source.pk: source for source in Source.objects.for_account(form.account).filter(pk__in=ids)}
