from __future__ import annotations

import pytest

from headwater.companies.models import Company
from headwater.core.validation import parse_id
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.testing.api import api_for


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (5, 5),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),  # past a 64-bit id
        ("¹", None),  # superscript one: str.isdigit() says yes, int() refuses
        ("٣", None),  # Arabic-Indic three: int() would take it, an id is ASCII
        ("-1", None),
        ("1.0", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id_takes_ascii_digits_only(raw, expected):
    assert parse_id(raw) == expected


LONG_NAMES = [
    ("companies/new/", {"name": "N" * 500}, "name", 200),
    ("persons/new/", {"last_name": "N" * 500}, "last_name", 100),
    ("deals/new/", {"name": "N" * 500, "value": "0", "currency": "PLN", "status": "open"}, "name", 200),
    (
        "deals/new/",
        {"name": "Fine", "value": "0", "currency": "PLN", "status": "lost", "lost_reason": "R" * 301},
        "lost_reason",
        300,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", LONG_NAMES)
def test_a_long_text_is_refused_with_both_numbers_never_cut(tenant, member_client, case):
    """No `maxlength` on the page (a browser would cut a paste silently), and the error names the limit and the
    length typed; nothing is saved."""
    path, data, field, limit = case
    page = member_client.get(tenant.url(path)).content.decode()
    assert "maxlength" not in page.split('class="form')[1].split("</form>")[0]
    response = member_client.post(tenant.url(path), data)
    assert response.status_code == 200
    typed = len(data[field])
    assert f"At most {limit} characters; you typed {typed}." in response.content.decode()
    assert response.context["form"].errors[field]
    member_client.cookies["django_language"] = "pl"
    polish = member_client.post(tenant.url(path), data).content.decode()
    assert f"Maksymalna liczba znaków: {limit}; wpisano {typed}." in polish
    assert "At most" not in polish
    for model in (Company, Person, Deal):
        assert not model.objects.for_account(tenant.account).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "field", "limit"), [("companies", "name", 200), ("persons", "last_name", 100), ("deals", "name", 200)]
)
def test_the_api_refuses_a_long_text_with_both_numbers(tenant, kind, field, limit):
    response = api_for(tenant, "member").post(kind, {field: "N" * 500})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][field] == [f"At most {limit} characters; you sent 500."]
