"""Cursors through the pages and the API: forged, edited or hostile ones are a clear 400, never a 500 or a silent
first page; real ones keep working (a 200-character name in a three-byte script included). `?page=` on a list
is refused with the same clarity. PostgreSQL is where NUL bytes and lone surrogates used to fail. A page and its
API list share one cursor format: a cursor of one works in the other, and the API's cursors of before are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import signing
from django.test import override_settings

from headwater.companies.models import Company
from headwater.companies.schemas import COMPANY_ORDERING
from headwater.companies.selectors import COMPANY_SORTS
from headwater.core.cursors import InvalidCursor, column, read_cursor, sign_cursor
from headwater.core.pagination import Ordering
from headwater.deals.models import Deal
from headwater.deals.schemas import DEAL_ORDERING
from headwater.deals.selectors import DEAL_SORTS
from headwater.persons.models import Person
from headwater.persons.schemas import PERSON_ORDERING
from headwater.persons.selectors import PERSON_SORTS
from headwater.testing.api import api_for
from headwater.testing.cursors import (
    ACCEPTED_BY_KIND,
    REFUSED_BY_KIND,
    REFUSED_EVERYWHERE,
    column_kind,
    old_api_cursor,
    page_cursor,
)
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory
from headwater.users.api import MEMBER_ORDERING
from headwater.users.models import Membership

pytestmark = pytest.mark.django_db

LISTS = [("companies", Company, COMPANY_SORTS), ("persons", Person, PERSON_SORTS), ("deals", Deal, DEAL_SORTS)]
PAGE_SORTS = [(path, model, name, fields) for path, model, sorts in LISTS for name, fields in sorts.items()]
API_LISTS = [
    ("companies", Company, COMPANY_ORDERING),
    ("persons", Person, PERSON_ORDERING),
    ("deals", Deal, DEAL_ORDERING),
    ("members", Membership, MEMBER_ORDERING),
]
API_ORDERINGS = [
    (path, model, name, fields) for path, model, ordering in API_LISTS for name, fields in ordering.items()
]
PAGE_REFUSED = "This link to a page of the list is not valid"


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """Hundreds of calls per test with one token; token ids repeat between tests, so their windows would too."""
    settings.API_RATE_LIMIT_PER_MINUTE = 0


@pytest.fixture
def records(tenant):
    for i in range(3):
        company = CompanyFactory(account=tenant.account, name=f"Company {i:02}")
        person = PersonFactory(account=tenant.account, company=company, last_name=f"Person {i:02}")
        DealFactory(account=tenant.account, company=company, person=person, name=f"Deal {i:02}")


def _valid_key(model: type[Any], fields: tuple[str, ...]) -> list[Any]:
    row = model.unscoped.order_by("pk").first()
    key = []
    for name in (*fields, "pk"):
        value = getattr(row, column(model, name).attname)
        key.append(
            value.isoformat()
            if hasattr(value, "isoformat")
            else value
            if value is None or isinstance(value, int | str)
            else str(value)
        )
    return key


def _refused(field: Any, kind: str) -> list[Any]:
    """What a cursor may not hold for `field`: an empty value only where the column can be empty (a deal's close
    day, whose sort puts open deals after every day)."""
    return [v for v in (*REFUSED_EVERYWHERE, *REFUSED_BY_KIND[kind]) if not (v is None and field.null)]


def _accepted(field: Any, kind: str) -> list[Any]:
    return [*ACCEPTED_BY_KIND[kind], *([None] if field.null else [])]


def _refused_page(response: Any) -> None:
    assert response.status_code == 400, response.status_code
    assert PAGE_REFUSED in response.text
    assert "Show the first page" in response.text


@pytest.mark.parametrize("case", PAGE_SORTS, ids=lambda c: f"{c[0]}-{c[2]}")
def test_list_pages_refuse_hostile_cursor_values_signed_or_not(tenant, member_client, records, case):
    path, model, sort, fields = case
    url = tenant.url(f"{path}/")
    good = _valid_key(model, fields)
    signature = ",".join(fields)
    assert member_client.get(url, {"sort": sort, "cursor": page_cursor(model, signature, good)}).status_code == 200
    for index, name in enumerate((*fields, "pk")):
        kind = column_kind(column(model, name))
        for value in _refused(column(model, name), kind):
            key = [*good[:index], value, *good[index + 1 :]]
            for signed in (True, False):
                response = member_client.get(
                    url, {"sort": sort, "cursor": page_cursor(model, signature, key, signed=signed)}
                )
                _refused_page(response)
        field = column(model, name)
        accepted = [str(choice) for choice, _label in field.flatchoices] if field.choices else _accepted(field, kind)
        for value in accepted if name != "pk" else []:
            key = [*good[:index], value, *good[index + 1 :]]
            response = member_client.get(url, {"sort": sort, "cursor": page_cursor(model, signature, key)})
            assert response.status_code == 200, (name, value)


@pytest.mark.parametrize(
    ("start", "backward"), [(0, False), (-5, False), (2**40, False), ("26", False), (26, "yes"), (None, None)]
)
def test_list_pages_refuse_a_malformed_position(tenant, member_client, records, start, backward):
    key = _valid_key(Company, ("name",))
    cursor = page_cursor(Company, "name", key, start=start, backward=backward)
    _refused_page(member_client.get(tenant.url("companies/"), {"sort": "name", "cursor": cursor}))


def test_list_pages_refuse_cursors_of_another_sort_or_list_or_a_forged_signature(tenant, member_client):
    CompanyFactory.create_batch(30, account=tenant.account)
    first = member_client.get(tenant.url("companies/"), {"sort": "name"}).context["page"]
    assert first.next_cursor
    second = member_client.get(tenant.url("companies/"), {"sort": "name", "cursor": first.next_cursor})
    assert second.status_code == 200
    assert second.context["page"].start == 26
    forged = first.next_cursor[:-3] + ("abc" if not first.next_cursor.endswith("abc") else "xyz")
    for url, params in [
        ("companies/", {"sort": "-name", "cursor": first.next_cursor}),
        ("companies/", {"sort": "city", "cursor": first.next_cursor}),
        ("persons/", {"sort": "name", "cursor": first.next_cursor}),
        ("companies/", {"sort": "name", "cursor": forged}),
        ("companies/", {"sort": "name", "cursor": "garbage"}),
    ]:
        _refused_page(member_client.get(tenant.url(url), params))


@pytest.mark.parametrize("value", ["9999", "2", "1", "0", "-1", "abc", ""])
@pytest.mark.parametrize("path", ["companies/", "persons/", "deals/"])
def test_a_page_number_is_refused_clearly_not_answered_with_the_first_page(tenant, member_client, records, path, value):
    response = member_client.get(tenant.url(path), {"page": value, "q": "Company"})
    assert response.status_code == 400
    assert "This list has no page numbers" in response.text
    assert response.context["page"] is None
    # The way out keeps the filters and drops the page number.
    assert f'href="{tenant.url(path)}?q=Company"' in response.text


def test_a_page_number_is_refused_in_polish_too(tenant, member_client, records):
    member_client.cookies["django_language"] = "pl"
    response = member_client.get(tenant.url("companies/"), {"page": "9999"})
    assert response.status_code == 400
    assert "Ta lista nie ma numerów stron" in response.text


def test_a_refused_cursor_in_an_htmx_request_answers_the_table_with_the_reason(tenant, member_client, records):
    response = member_client.get(tenant.url("companies/"), {"cursor": "garbage"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "<html" not in response.text
    assert PAGE_REFUSED in response.text


def _api_refused(response: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["cursor"]


@pytest.mark.parametrize("case", API_ORDERINGS, ids=lambda c: f"{c[0]}-{c[2]}")
def test_the_api_refuses_hostile_cursor_values_signed_or_not(tenant, records, case):
    path, model, ordering, fields = case
    api = api_for(tenant)
    good = _valid_key(model, fields)
    # The member list is always by id and takes no `ordering`.
    for descending in (False, True) if path != "members" else (False,):
        params = {"ordering": ("-" if descending else "") + ordering} if path != "members" else {}
        signature = Ordering(fields, descending=descending).signature
        response = api.get(path, {**params, "cursor": page_cursor(model, signature, good)})
        assert response.status_code == 200, response.content[:300]
        for index, name in enumerate((*fields, "pk")):
            kind = column_kind(column(model, name))
            for value in _refused(column(model, name), kind):
                key = [*good[:index], value, *good[index + 1 :]]
                # Unsigned too, as anyone could write them before cursors were signed (these were the 500s).
                for signed in (True, False):
                    _api_refused(api.get(path, {**params, "cursor": page_cursor(model, signature, key, signed=signed)}))
            for value in _accepted(column(model, name), kind) if name != "pk" else []:
                key = [*good[:index], value, *good[index + 1 :]]
                response = api.get(path, {**params, "cursor": page_cursor(model, signature, key)})
                assert response.status_code == 200, (value, response.content[:300])


@pytest.mark.parametrize("ordering", ["id", "name", "-created_at"])
def test_the_api_refuses_its_cursors_of_before_the_lists_shared_one_format(tenant, records, ordering):
    """docs/api.md: a `next` kept from before answers 400 on `cursor`; the list starts again without one."""
    api = api_for(tenant)
    row = Company.unscoped.order_by("pk").first()
    value = {"id": row.pk, "name": row.name, "-created_at": row.created_at.isoformat()}[ordering]
    _api_refused(
        api.get("companies", {"ordering": ordering, "cursor": old_api_cursor(Company, ordering, value, row.pk)})
    )
    assert api.get("companies", {"ordering": ordering}).status_code == 200


# (list, the page's sort, the API's ordering of the same sort)
SAME_SORTS = [
    ("companies", "name", "name"),
    ("companies", "-created", "-created_at"),
    ("persons", "name", "last_name"),
    ("persons", "-created", "-created_at"),
    ("deals", "-value", "-value"),
    ("deals", "created", "created_at"),
]


@pytest.mark.parametrize("case", SAME_SORTS, ids=lambda c: f"{c[0]}-{c[2]}")
def test_a_page_and_its_api_list_read_the_same_rows_in_the_same_order_with_one_cursor(
    tenant, member_client, settings, case
):
    path, sort, ordering = case
    settings.LIST_PAGE_SIZE = 2
    company = CompanyFactory(account=tenant.account, name="Same")
    for i in range(5):
        # Equal sort values, so the id decides: both lists break ties alike.
        twin = CompanyFactory(account=tenant.account, name="Same")
        person = PersonFactory(account=tenant.account, company=twin, last_name="Same", first_name=f"{4 - i}")
        DealFactory(account=tenant.account, company=company, person=person, name=f"Deal {i}", value=10 * (i % 2))
    api = api_for(tenant)
    on_the_page: list[int] = []
    cursor = None
    while True:
        page = member_client.get(tenant.url(f"{path}/"), {"sort": sort, **({"cursor": cursor} if cursor else {})})
        on_the_page += [row.pk for row in page.context["page"].rows]
        cursor = page.context["page"].next_cursor
        if not cursor:
            break
    in_the_api: list[int] = []
    cursor = None
    while True:
        body = api.get(path, {"ordering": ordering, "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        in_the_api += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if not cursor:
            break
    assert on_the_page == in_the_api
    assert len(on_the_page) == len(set(on_the_page)) >= 5
    # One format: the page's cursor continues the API's list, and the API's `next` the page.
    first = member_client.get(tenant.url(f"{path}/"), {"sort": sort}).context["page"]
    assert [i["id"] for i in api.get(path, {"ordering": ordering, "cursor": first.next_cursor}).json()["items"]] == (
        in_the_api[2:]
    )
    api_next = api.get(path, {"ordering": ordering, "limit": 2}).json()["next"]
    following = member_client.get(tenant.url(f"{path}/"), {"sort": sort, "cursor": api_next}).context["page"]
    assert [row.pk for row in following.rows] == on_the_page[2:4]


def test_the_api_refuses_a_cursor_of_another_ordering_or_list(tenant, records):
    api = api_for(tenant)
    cursor = api.get("companies", {"ordering": "name", "limit": 2}).json()["next"]
    assert api.get("companies", {"ordering": "name", "limit": 2, "cursor": cursor}).status_code == 200
    _api_refused(api.get("companies", {"ordering": "-name", "cursor": cursor}))
    _api_refused(api.get("deals", {"ordering": "name", "cursor": cursor}))
    _api_refused(api.get("companies", {"ordering": "name", "cursor": cursor[:-2] + "zz"}))


def test_a_long_name_in_a_three_byte_script_pages_through_the_api(tenant):
    """Cursors of JSON-escaped names were up to 1,600 characters, beyond the 500 the API took: a 422 mid-list."""
    for i in range(3):
        CompanyFactory(account=tenant.account, name=f"{i}" + "漢" * 199)
    api = api_for(tenant)
    first = api.get("companies", {"ordering": "name", "limit": 1}).json()
    seen = [first["items"][0]["name"][0]]
    cursor = first["next"]
    while cursor:
        page = api.get("companies", {"ordering": "name", "limit": 1, "cursor": cursor})
        assert page.status_code == 200, page.content
        seen.append(page.json()["items"][0]["name"][0])
        cursor = page.json()["next"]
    assert seen == ["0", "1", "2"]


def test_a_cursor_is_signed_with_the_keys_of_the_moment():
    # The signer is kept per model and keys (core.cursors._signer): a key that changes is the one used at once.
    payload = {"s": "name", "k": ["Acme", 7], "b": False, "o": 26}
    with override_settings(SECRET_KEY="first-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        first = sign_cursor(payload, model=Company)
        assert first == signing.Signer(salt="headwater.cursor.companies.company").sign_object(
            payload, serializer=_Compact, compress=True
        )
        assert read_cursor(first, model=Company) == payload
    with override_settings(SECRET_KEY="second-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[]):
        assert sign_cursor(payload, model=Company) != first
        with pytest.raises(InvalidCursor):
            read_cursor(first, model=Company)
    with override_settings(SECRET_KEY="second-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["first-key-" + "x" * 50]):
        assert read_cursor(first, model=Company) == payload


class _Compact:
    """json.dumps's compact UTF-8 JSON, as cursors are written."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "key",
    [
        ["Acme", 7],
        ["2026-10-31T23:47:52.123456+00:00", 2**62],
        [None, 1],
        ['Zażółć "gęślą" jaźń \\ \n\t\u2028 \U0001f600', 3],
        ["a" * 300, 4],
        ["123.45", True, 5],
    ],
)
def test_a_cursor_is_djangos_signed_object_byte_for_byte(key):
    # core.cursors keeps the keyed HMAC and the JSON encoder instead of making them per cursor: the same tokens as
    # Django's Signer over json.dumps, compressed or not, and read back with a fallback key too.
    payload = {"s": "-created_at", "k": key, "b": False, "o": 26}
    with override_settings(SECRET_KEY="first-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        made = sign_cursor(payload, model=Person)
        assert made == signing.Signer(salt="headwater.cursor.persons.person").sign_object(
            payload, serializer=_Compact, compress=True
        )
        assert sign_cursor(payload, model=Person) == made  # the kept HMAC is copied, never updated itself
    with override_settings(SECRET_KEY="second-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["first-key-" + "x" * 50]):
        assert read_cursor(made, model=Person) == payload
