"""The funnel on the Statistics page, in its CSV and in the API: contacts created in the period -> with a deal ->
with a won deal, per source, compared with a plain-Python count over the records."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.testing.api import ApiClient
from headwater.testing.factories import (
    AccountFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def tenths(part: int, whole: int) -> str | None:
    """part / whole in percent, rounded half up to 0.1, in integers only."""
    if not whole:
        return None
    scaled, rest = divmod(part * 1000, whole)
    if rest * 2 >= whole:
        scaled += 1
    return f"{scaled // 10}.{scaled % 10}"


def reference(account, *, start: dt.date | None, end: dt.date | None, owner_id: int | None = None) -> dict[Any, Any]:
    """{source_id: (contacts, with_deal, won)} counted from the records in Python."""
    zone = ZoneInfo(account.time_zone)
    deals: list[dict[str, Any]] = list(Deal.objects.for_account(account).values("company_id", "person_id", "status"))
    out: dict[Any, list[int]] = {}
    for model, link in ((Company, "company_id"), (Person, "person_id")):
        for contact in model.objects.for_account(account):
            day = contact.created_at.astimezone(zone).date()
            if start is not None and end is not None and not start <= day <= end:
                continue
            if owner_id is not None and contact.owner_id != owner_id:
                continue
            mine = [d for d in deals if d[link] == contact.pk]
            slot = out.setdefault(contact.source_id, [0, 0, 0])
            slot[0] += 1
            slot[1] += bool(mine)
            slot[2] += any(d["status"] == "won" for d in mine)
    return {key: tuple(value) for key, value in out.items()}


def api_funnel(account, viewer, **params: str) -> dict[str, Any]:
    response = ApiClient(account=account, user=viewer).get("/stats/sources", params)
    assert response.status_code == 200, response.content
    funnel: dict[str, Any] = response.json()["funnel"]
    return funnel


# Creation moments around a month's end in Tokyo (UTC+9): 31 May 14:00 UTC and later are June there.
moments = st.sampled_from(
    [
        dt.datetime(2025, 4, 30, 16, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 3, 9, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 31, 13, 59, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 31, 15, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 14, 15, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 30, 16, tzinfo=dt.UTC),
    ]
)
contacts = st.lists(
    st.tuples(st.booleans(), st.integers(0, 2), st.integers(0, 1), moments), min_size=1, max_size=8
)  # (is a company, source index (2: none), owner index, created)
deal_specs = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.sampled_from(["open", "won", "lost"]), st.booleans()),
    max_size=10,
)  # (company pick, person pick, status, with a person)
periods = st.sampled_from(
    [
        ("2025-05-01", "2025-05-31"),  # one whole month
        ("2025-05-15", "2025-06-20"),  # days around no whole month
        ("2025-04-20", "2025-06-30"),  # days, a whole May and June
        ("", ""),  # all time
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=contacts, specs=deal_specs, period=periods, by_owner=st.booleans())
def test_the_funnel_equals_a_count_over_the_records(people, specs, period, by_owner):
    account = AccountFactory(sources_enabled=True, time_zone="Asia/Tokyo")
    viewer = UserFactory(email=f"viewer-{account.pk}@funnel.test")
    MembershipFactory(account=account, user=viewer, role="viewer")
    owners = [viewer, UserFactory(email=f"owner-{account.pk}@funnel.test")]
    MembershipFactory(account=account, user=owners[1], role="member")
    sources = [SourceFactory(account=account, position=i) for i in range(2)]
    companies: list[Company] = []
    persons: list[Person] = []
    for is_company, source, owner, created in people:
        factory, bucket = (CompanyFactory, companies) if is_company else (PersonFactory, persons)
        bucket.append(
            factory(
                account=account,
                source=sources[source] if source < 2 else None,
                owner=owners[owner],
                created_at=created,
            )
        )
    for company_pick, person_pick, status, with_person in specs:
        company = companies[company_pick % len(companies)] if companies else None
        person = persons[person_pick % len(persons)] if persons and with_person else None
        closed = dt.date(2025, 7, 1) if status != "open" else None
        DealFactory(account=account, company=company, person=person, status=status, closed_at=closed)
    start, end = period
    params = {"period": "custom", "start": start, "end": end} if start else {"period": "all"}
    if by_owner:
        params["owner_id"] = str(owners[1].pk)
    body = api_funnel(account, viewer, **params)
    expected = reference(
        account,
        start=dt.date.fromisoformat(start) if start else None,
        end=dt.date.fromisoformat(end) if end else None,
        owner_id=owners[1].pk if by_owner else None,
    )
    got = {row["source"]["id"]: (row["contacts"], row["with_deal"], row["won"]) for row in body["rows"]}
    for key, figures in expected.items():
        assert got[key] == figures, (key, got, expected)
    assert all(figures == (0, 0, 0) for key, figures in got.items() if key not in expected)
    total = tuple(sum(f[i] for f in expected.values()) for i in range(3))
    assert (body["total"]["contacts"], body["total"]["with_deal"], body["total"]["won"]) == total
    assert body["total"]["deal_rate"] == tenths(total[1], total[0])
    assert body["total"]["win_rate"] == tenths(total[2], total[1])
    assert body["total"]["overall_rate"] == tenths(total[2], total[0])


# --- The page, the CSV, the API agree; languages; tenancy -------------------------------------------------


@pytest.fixture
def funnel_sample(tenant, other_tenant):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    web = SourceFactory(account=account, name="Website", position=1)
    fair = SourceFactory(account=account, name="Fair", position=2)
    may = dt.datetime(2025, 5, 10, 12, tzinfo=dt.UTC)
    acme = CompanyFactory(account=account, source=web, created_at=may)
    anna = PersonFactory(account=account, source=web, created_at=may)
    PersonFactory(account=account, source=web, created_at=may)
    bob = PersonFactory(account=account, source=fair, created_at=may)
    # A deal made in July for a May contact still counts: deals of any date.
    DealFactory(account=account, company=acme, person=anna, status="won", closed_at=dt.date(2025, 7, 2))
    DealFactory(account=account, person=bob, status="lost", closed_at=dt.date(2025, 7, 2))
    # Another account's contacts and deals never show.
    other = other_tenant.account
    other.sources_enabled = True
    other.save()
    DealFactory(account=other, company=CompanyFactory(account=other, created_at=may), status="won")
    return SimpleNamespace(web=web, fair=fair)


MAY = "?period=custom&start=2025-05-01&end=2025-05-31"


def test_page_csv_and_api_agree(tenant, funnel_sample):
    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"stats/sources/{MAY}"))
    assert response.status_code == 200
    funnel = response.context["stats"].funnel
    html = response.content.decode()
    assert 'id="stats-funnel-title"' in html
    assert 'id="chart-funnel"' in html
    by_name = {row.source.name: row for row in funnel.rows}
    assert (by_name["Website"].contacts, by_name["Website"].with_deal, by_name["Website"].won) == (3, 2, 2)
    assert (by_name["Fair"].contacts, by_name["Fair"].with_deal, by_name["Fair"].won) == (1, 1, 0)
    assert (funnel.total.contacts, funnel.total.with_deal, funnel.total.won) == (4, 3, 2)
    assert str(funnel.total.deal_rate) == "75.0"
    assert str(funnel.total.win_rate) == "66.7"
    assert str(funnel.total.overall_rate) == "50.0"

    csv_response = client.get(tenant.url(f"stats/sources/export.csv{MAY}"))
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    start = rows.index(["Funnel"])
    section = rows[start + 1 : rows.index([], start)]
    assert section[0][3:] == [
        "New contacts",
        "With a deal",
        "Contact to deal (%)",
        "With a won deal",
        "Deal to won (%)",
        "Contact to won (%)",
    ]
    website = next(line for line in section if line[0] == "Website")
    assert website[3:] == ["3", "2", "66.7", "2", "100.0", "66.7"]
    assert section[-1][0] == "Total"
    assert section[-1][3:] == ["4", "3", "75.0", "2", "66.7", "50.0"]

    body = api_funnel(tenant.account, tenant.viewer, period="custom", start="2025-05-01", end="2025-05-31")
    api_rows = {row["source"]["name"]: row for row in body["rows"]}
    assert api_rows["Website"]["with_deal"] == 2
    assert api_rows["Website"]["deal_rate"] == "66.7"
    assert body["total"]["won"] == 2
    assert body["total"]["overall_rate"] == "50.0"


def test_the_page_in_polish(tenant, funnel_sample):
    tenant.viewer.language = "pl"
    tenant.viewer.save()
    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"stats/sources/{MAY}"), headers={"accept-language": "pl"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lejek" in html
    assert "Z szansą sprzedaży" in html


def test_a_compared_period_gives_changes(tenant, funnel_sample):
    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/{MAY}&compare=on"))
    total = response.context["stats"].funnel.total
    assert total.changes["contacts"].delta == 4
    assert total.changes["won"].delta == 2


def test_another_account_sees_none_of_it(other_tenant, funnel_sample):
    body = api_funnel(other_tenant.account, other_tenant.viewer, period="custom", start="2025-05-01", end="2025-05-31")
    assert (body["total"]["contacts"], body["total"]["with_deal"], body["total"]["won"]) == (1, 1, 1)


def test_an_empty_period_has_no_rates(tenant, funnel_sample):
    body = api_funnel(tenant.account, tenant.viewer, period="custom", start="2024-01-01", end="2024-01-31")
    assert body["total"] == {**body["total"], "contacts": 0, "deal_rate": None, "win_rate": None}
