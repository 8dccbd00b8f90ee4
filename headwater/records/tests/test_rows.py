"""The list tables' rows written in Python (records/rows.py) against the templates they replaced.

Each kind's row template, as it was before the rows moved to Python, is kept here; the list page of every registered
kind, with names full of HTML, quotes, right-to-left text and direction controls, with and without the bulk
checkboxes and the source column, in English and in Polish, must give the same rows (whitespace between tags
aside) as that template given the same page.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Model
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.defaultfilters import floatformat
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone, translation

from headwater.core.widgets import WidgetRenderer
from headwater.records.forms import AccountChoices
from headwater.records.registry import record_kinds
from headwater.records.rows import Cells, day_only_format, day_writer
from headwater.testing.factories import (
    AccountFactory,
    CampaignFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)
from headwater.users.models import Role

_HEAD = "{% load i18n l10n bidi %}"
# Each kind's row template as it was before the rows moved to Python (reference_rows/<app>.html).
REFERENCE = {path.stem: path.read_text() for path in (Path(__file__).parent / "reference_rows").glob("*.html")}

# HTML, an attribute break-out, quotes, ampersands, right-to-left letters, a right-to-left override, a long name.
HOSTILE = [
    '<script>alert("x")</script> & \'quoted\' "name"',
    'x" onmouseover="alert(1)',
    "שלום עולם \u202eevil\u202c",
    "Zażółć gęślą jaźń " + "ó" * 80,  # 98 characters: the longest a first or last name takes
    "&amp; &lt;b&gt; {{ not a tag }} {% also not %}",
]


def _normalized(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _data(*, sources: bool) -> tuple[Any, Any]:
    account = AccountFactory(sources_enabled=sources, time_zone="Asia/Kolkata", currency="PLN")
    owner = UserFactory(full_name=HOSTILE[0])
    MembershipFactory(account=account, user=owner, role=Role.MEMBER)
    live = SourceFactory(account=account, name=HOSTILE[2])
    archived = SourceFactory(account=account, name=HOSTILE[4], archived=True)
    when = dt.datetime(2026, 12, 31, 20, 45, 12, 123456, tzinfo=dt.UTC)  # the next day in Kolkata
    for n, name in enumerate(HOSTILE):
        source = (live, archived, None)[n % 3]
        company = CompanyFactory(
            account=account,
            name=name,
            city=HOSTILE[(n + 2) % 5],
            phone="+48 <601>",
            owner=owner if n % 2 else None,
            source=source,
            created_at=when,
        )
        person = PersonFactory(
            account=account,
            company=company if n % 2 else None,
            first_name=name,
            last_name=HOSTILE[(n + 1) % 5],
            email=f"a&b{n}@example.test",
            phone="'1'",
            owner=owner if n % 2 == 0 else None,
            source=source,
            created_at=when,
        )
        DealFactory(
            account=account,
            name=name,
            company=company if n != 1 else None,
            person=person if n != 2 else None,
            value=Decimal("1234567.5") * n + Decimal("0.25"),
            status=("open", "won", "lost")[n % 3],
            owner=owner,
            source=source,
            expected_close_date=dt.date(2027, 1, n + 1) if n % 2 else None,
            created_at=when,
        )
    return account, owner


@pytest.mark.django_db
@pytest.mark.parametrize("sources", [True, False])
@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_rows_are_the_templates_rows(sources: bool, language: str, role: str) -> None:
    """Every kind's page: its Python rows equal its former row template's, for viewers (no checkboxes) and admins."""
    account, _owner = _data(sources=sources)
    user = UserFactory(language=language)
    MembershipFactory(account=account, user=user, role=role)
    client = Client()
    client.force_login(user)
    apps = [kind.app for kind in record_kinds() if kind.pages is not None]
    assert sorted(apps) == sorted(REFERENCE), "a record kind with a list needs its reference row template here"
    for app in apps:
        response = client.get(f"/a/{account.slug}/{app}/")
        assert response.status_code == 200
        contexts = response.context if isinstance(response.context, list) else [response.context]
        context = next(c for c in contexts if "rows_html" in c).flatten()
        rows = context["rows_html"]
        assert rows.count("<tr>") == len(HOSTILE)
        assert ("bulk-check" in rows) == (role == Role.ADMIN)
        with translation.override(language), timezone.override(account.time_zone):
            expected = engines["django"].from_string(_HEAD + REFERENCE[app]).render(context, response.wsgi_request)
        assert _normalized(rows) == _normalized(expected)
        page = response.content.decode()
        assert _normalized(str(rows)) in _normalized(page)
        assert "<script>alert" not in page


@pytest.mark.django_db
def test_the_pages_read_no_column_they_left_out(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The list pages read only the columns they show (`<KIND>_PAGE_FIELDS`): a cell, a checkbox's label or a
    cursor that needed another one would load it row by row (Django's deferred fields), so that fails here, for
    every kind and sort, on records with every link (an archived campaign too) and on a second page."""
    settings.LIST_PAGE_SIZE = 2  # a second page, through a cursor
    account, _owner = _data(sources=True)
    campaign = CampaignFactory(source=SourceFactory(account=account), name=HOSTILE[1], archived=True)
    for kind in record_kinds():
        if kind.pages is not None:
            kind.model.objects.for_account(account).update(campaign=campaign, source=campaign.source)
    user = UserFactory(language="pl")
    MembershipFactory(account=account, user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)

    def deferred(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a list page loaded a left-out column of {type(self).__name__}: {kwargs}")

    monkeypatch.setattr(Model, "refresh_from_db", deferred)
    for kind in record_kinds():
        if kind.pages is None:
            continue
        for sort in kind.pages.sorts:
            for direction in ("", "-"):
                response = client.get(f"/a/{account.slug}/{kind.pages.app}/", {"sort": direction + sort})
                assert response.status_code == 200
                assert HOSTILE[1].replace("&", "&amp;")[:3] in response.text
                cursor = response.context["page"].next_cursor
                assert cursor is not None
                if cursor is not None:
                    page = client.get(
                        f"/a/{account.slug}/{kind.pages.app}/", {"sort": direction + sort, "cursor": cursor}
                    )
                    assert page.status_code == 200


@pytest.mark.django_db
def test_the_empty_list_still_says_so() -> None:
    account = AccountFactory()
    user = UserFactory(language="en")
    MembershipFactory(account=account, user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    for app in [kind.app for kind in record_kinds() if kind.pages is not None]:
        response = client.get(f"/a/{account.slug}/{app}/")
        assert response.status_code == 200
        assert "rows_html" not in response.context
        assert 'class="empty"' in response.content.decode()


# The filter bar and the bulk form: their widgets written in Python (core.widgets.WidgetRenderer) against Django's
# templates, on every list page.
HOSTILE_WIDGET = '<b onclick="x">&\'\u202e'


def _stable(html: str) -> str:
    """A page without what changes on every render (the CSRF token's mask, the CSP nonce)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'nonce="[^"]*"', "", html)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "pl"])
def test_every_list_page_is_the_same_with_the_widgets_templates(language):
    """Each record kind's list page, its filter bar and bulk form full of hostile values (chosen and invalid),
    is the same HTML through the Python widgets as through Django's templates."""
    account = AccountFactory(sources_enabled=True)
    owner = UserFactory(full_name=HOSTILE_WIDGET)
    MembershipFactory(account=account, user=owner, role=Role.MEMBER)
    source = SourceFactory(account=account, name=HOSTILE_WIDGET)
    SourceFactory(account=account, name="Archived " + HOSTILE_WIDGET, archived=True)
    user = UserFactory(language=language)
    MembershipFactory(account=account, user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    queries = [
        "",
        f"?q={quote(HOSTILE_WIDGET)}&owner={owner.pk}&source={source.pk}",
        f"?owner={quote(HOSTILE_WIDGET)}&source=99999&created_from={quote(HOSTILE_WIDGET)}&created_to=2026-13-01",
        "?owner=none&status=won&closed_from=2026-01-01&closed_to=2026-03-31",
    ]
    apps = [kind.app for kind in record_kinds() if kind.pages is not None]
    assert apps
    for app in apps:
        for query in queries:
            python = client.get(f"/a/{account.slug}/{app}/{query}")
            with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
                assert not isinstance(get_default_renderer(), WidgetRenderer)
                templated = client.get(f"/a/{account.slug}/{app}/{query}")
            assert python.status_code == templated.status_code
            assert "<select" in python.content.decode()
            assert _stable(python.content.decode()) == _stable(templated.content.decode())


def test_a_day_is_kept_for_the_request_only_when_the_format_shows_the_day_alone() -> None:
    """records.rows.Cells writes a day once per request when its date format has no time or zone in it; a format
    with an hour, a zone or an epoch is written for each moment."""
    for day_only in ("d.m.Y", "j M Y", "m/d/Y", r"\H\i d", "N j, Y", "l, F jS o"):
        assert day_only_format(day_only), day_only
    for with_time in ("d.m.Y H:i", "N j, Y, P", "e", "U", "r", "c", "j M Y \\a\\t G"):
        assert not day_only_format(with_time), with_time
    cells = Cells("x")
    cells.short_date = "d.m.Y H:i"
    cells._days = None
    morning = dt.datetime(2026, 3, 1, 8, 15, tzinfo=dt.UTC)
    with timezone.override("UTC"):
        assert cells.instant(morning) != cells.instant(morning.replace(hour=20))


@pytest.mark.django_db
@pytest.mark.parametrize("sources", [True, False])
def test_the_linked_records_the_page_holds_are_not_joined(monkeypatch: pytest.MonkeyPatch, sources: bool) -> None:
    """A list page takes its rows' owners, sources and campaigns from its filter bar's members, sources and
    campaigns (records.listing.linked_query): the same page as with them joined, owners who left the account or
    were deactivated read by id in one query, and the page's query joins none of them."""
    account, owner = _data(sources=sources)
    gone, inactive = UserFactory(full_name="Gone " + HOSTILE[1]), UserFactory(full_name="Off " + HOSTILE[3])
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    MembershipFactory(account=account, user=inactive)
    campaign = CampaignFactory(source=SourceFactory(account=account, name=HOSTILE[3]), name=HOSTILE[1], archived=True)
    user = UserFactory(language="pl")
    MembershipFactory(account=account, user=user, role=Role.ADMIN)
    for kind in record_kinds():
        if kind.pages is not None:
            records = list(kind.model.objects.for_account(account).order_by("pk"))
            for n, record in enumerate(records):
                record.owner = (owner, gone, inactive, None)[n % 4]
                record.campaign = campaign if n % 2 else None
                if n % 2:
                    record.source = campaign.source
                record.save(update_fields=["owner", "campaign", "source"])
    client = Client()
    client.force_login(user)
    apps = [kind.app for kind in record_kinds() if kind.pages is not None]
    for app in apps:
        for query in ("", "?sort=-created", f"?owner={owner.pk}", f"?q={quote(HOSTILE[1][:6])}"):
            with CaptureQueriesContext(connection) as captured:
                held = client.get(f"/a/{account.slug}/{app}/{query}")
            # Read now: the next request empties the log the context reads from.
            statements = [q["sql"].replace('"', "") for q in captured.captured_queries]
            with monkeypatch.context() as patched:
                patched.setattr(AccountChoices, "linked", property(lambda _self: {}))
                joined = client.get(f"/a/{account.slug}/{app}/{query}")
            assert held.status_code == joined.status_code == 200
            assert _stable(held.content.decode()) == _stable(joined.content.decode())
            assert "Gone " in held.content.decode() or query
            table = next(kind.model._meta.db_table for kind in record_kinds() if kind.app == app)
            page_reads = [sql for sql in statements if sql.startswith(f"SELECT {table}.id, ")]
            assert page_reads, (app, query, statements)
            for sql in page_reads:
                assert "JOIN users_user" not in sql
                assert ("JOIN sources_source" in sql) == (not sources)
                assert ("JOIN campaigns_campaign" in sql) == (not sources)
            # The owners outside the members in one query, not one per row.
            assert len([sql for sql in statements if sql.startswith("SELECT users_user.") and " IN (" in sql]) <= 1
            assert not [sql for sql in statements if f"users_user.id = {gone.pk} " in sql]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_day_written_without_djangos_formatter_is_what_it_writes(language: str) -> None:
    """records.rows.day_writer against `dateformat.format`: day numbers, month names (the language's, each form),
    escaped and plain literal text; every day of three years and the years' edges. Anything else is not written."""
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(3 * 366)]
    days += [dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(2000, 2, 29), dt.date(9999, 12, 31)]
    with translation.override(language):
        for date_format in ("j M Y", "d.m.Y", "m/d/Y", "N j, Y", r"\d\a\y j \o\f F", "y-n-j", "E b Y", "Y/m/d"):
            write = day_writer(date_format)
            assert write is not None, date_format
            for day in days:
                assert write(day) == dateformat.format(day, date_format), (date_format, day)
        for other in ("jS F", "l, j M", "D d", "w", "z", "W o", "t L", "d.m.Y H:i"):
            assert day_writer(other) is None, other


@pytest.mark.parametrize("language", ["en", "pl"])
def test_money_written_without_floatformat_is_what_it_writes(language: str) -> None:
    """records.rows.Cells.money against `{{ value|floatformat:"2g" }}`: a Decimal of two places (signs, zeros, a
    zero with a sign, groups of thousands) written with the separators looked up once; anything else by the filter."""
    values: list[Any] = [
        Decimal(text)
        for text in ("0.00", "-0.00", "0.05", "-0.05", "1.50", "-5.25", "999.99", "1000.00", "1234567.89", "-12345.60")
    ]
    values += [Decimal("999999999999.99"), Decimal("10"), Decimal("10.5"), Decimal("2.555")]
    # The filter writes a number of more than 200 digits and places as it was given.
    values += [Decimal((sign, (1,) + (0,) * (digits - 1), -2)) for sign in (0, 1) for digits in (198, 199)]
    values += [Decimal("NaN"), Decimal("-Infinity"), 10, 10.5, -3, None, "12.5", "abc"]
    with translation.override(language):
        cells = Cells("x")
        for value in values:
            assert cells.money(value) == str(floatformat(value, "2g")), value
