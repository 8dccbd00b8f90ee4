from __future__ import annotations

from html import unescape

from django.utils.html import strip_tags

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source, SourceChange, SourceEvent


def snapshot(account):
    """Everything a refused call must leave untouched: the catalogue, the history, every record's source."""
    return (
        list(
            Source.objects.for_account(account)
            .order_by("pk")
            .values_list("pk", "name", "position", "archived", "version")
        ),
        SourceEvent.objects.for_account(account).count(),
        SourceChange.objects.for_account(account).count(),
        [
            sorted(model.objects.for_account(account).values_list("pk", "source_id", "version"))
            for model in (Company, Person, Deal)
        ],
        tuple(Account.objects.filter(pk=account.pk).values_list("sources_enabled", "source_default_from_contact")),
    )


def page_text(html):
    """What a page says, without its markup (names sit in <bdi> elements) and with entities decoded."""
    return unescape(strip_tags(html))
