"""Date columns' day order: decided from the column's unambiguous values ("13/04/2025": day first), else asked on
the columns step (a labelled choice whose default follows the user's language) and applied to every row."""

from __future__ import annotations

import datetime as dt
import json
from typing import get_args

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from headwater.deals.models import Deal
from headwater.imports.dates import date_columns, default_date_format
from headwater.imports.models import ImportState
from headwater.imports.schemas import DATE_FORMAT_NAMES
from headwater.imports.services import import_run
from headwater.imports.values import DATE_FORMATS
from headwater.testing.api import api_for
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db

AMBIGUOUS = "Nazwa szansy;Planowana data zamknięcia\nLicencje;03/04/2025\nSerwis;05/06/2025\n".encode()
MONTH_FIRST = "Nazwa szansy;Planowana data zamknięcia\nLicencje;03/04/2025\nSerwis;04/13/2025\n".encode()
DAY_FIRST = "Nazwa szansy;Planowana data zamknięcia\nLicencje;03/04/2025\nSerwis;13/04/2025\n".encode()
MAPPING = {"column_0": "deal.name", "column_1": "deal.expected_close_date"}


@pytest.fixture(autouse=True)
def _language_back():
    yield
    translation.deactivate()


def url(name, import_):
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


def closes(tenant):
    return dict(Deal.objects.for_account(tenant.account).values_list("name", "expected_close_date"))


@pytest.mark.parametrize(
    ("content", "decided", "licencje"),
    [(MONTH_FIRST, "MM/DD/YYYY", dt.date(2025, 3, 4)), (DAY_FIRST, "DD/MM/YYYY", dt.date(2025, 4, 3))],
)
def test_an_unambiguous_value_decides_the_whole_column(tenant, content, decided, licencje):
    import_ = make_import(tenant.account, tenant.member, content=content)
    assert [(c.decided, c.candidates) for c in date_columns(import_)] == [(decided, [])]
    client = tenant.client_for("member")
    page = client.get(url("detail", import_))
    assert "date_format_1" not in page.context["mapping_form"].fields  # nothing to ask
    assert client.post(url("mapping", import_), MAPPING).status_code == 302
    import_.refresh_from_db()
    assert import_.settings["date_formats"] == {"1": decided}
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    assert closes(tenant)["Licencje"] == licencje


def test_the_default_follows_the_language():
    both = ["DD/MM/YYYY", "MM/DD/YYYY"]
    assert default_date_format(both, "pl") == "DD/MM/YYYY"
    assert default_date_format(both, "en") == "MM/DD/YYYY"


@pytest.mark.parametrize(
    ("language", "default", "licencje"),
    [("pl", "DD/MM/YYYY", dt.date(2025, 4, 3)), ("en", "MM/DD/YYYY", dt.date(2025, 3, 4))],
)
def test_an_ambiguous_column_is_asked_with_the_languages_default_and_applied(tenant, language, default, licencje):
    tenant.member.language = language
    tenant.member.save()
    import_ = make_import(tenant.account, tenant.member, content=AMBIGUOUS)
    client = tenant.client_for("member")
    page = client.get(url("detail", import_))
    field = page.context["mapping_form"]["date_format_1"]
    assert field.initial == default
    html = page.content.decode()
    assert f'<label for="{field.id_for_label}">' in html  # a labelled choice
    assert "03/04/2025" in field.help_text
    # Posted without an answer (the column was just mapped): asked, nothing saved.
    refused = client.post(url("mapping", import_), {"column_0": "deal.name"})
    assert refused.status_code == 302  # no date column mapped: nothing to ask
    asked = client.post(url("mapping", import_), MAPPING)
    assert asked.status_code == 400
    assert "date_format_1" in asked.context["mapping_form"].errors
    import_.refresh_from_db()
    assert import_.mapping[1] is None
    # The default as the page offers it, then run: every row read that way.
    saved = client.post(url("mapping", import_), {**MAPPING, "date_format_1": default})
    assert saved.status_code == 302
    import_.refresh_from_db()
    assert import_.settings["date_formats"] == {"1": default}
    assert import_.settings["date_questions"] == {"1": ["DD/MM/YYYY", "MM/DD/YYYY"]}
    # The page shows the stored answer.
    assert client.get(url("detail", import_)).context["mapping_form"]["date_format_1"].initial == default
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    assert closes(tenant)["Licencje"] == licencje


def test_the_user_may_choose_the_other_order_and_a_foreign_format_is_refused(tenant):
    import_ = make_import(tenant.account, tenant.member, content=AMBIGUOUS)
    client = tenant.client_for("member")
    bad = client.post(url("mapping", import_), {**MAPPING, "date_format_1": "YYYY-MM-DD"})
    assert bad.status_code == 400
    client.post(url("mapping", import_), {**MAPPING, "date_format_1": "MM/DD/YYYY"})
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    assert closes(tenant) == {"Licencje": dt.date(2025, 3, 4), "Serwis": dt.date(2025, 5, 6)}


@pytest.mark.parametrize(("language", "licencje"), [("pl", dt.date(2025, 4, 3)), ("en", dt.date(2025, 3, 4))])
def test_the_api_applies_its_languages_order(tenant, language, licencje):
    api = api_for(tenant, "member")
    mapping = {"columns": {"Nazwa szansy": "deal.name", "Planowana data zamknięcia": "deal.expected_close_date"}}
    response = api.client.post(
        api.url("/imports"),
        {"file": SimpleUploadedFile("d.csv", AMBIGUOUS, content_type="text/csv"), "mapping": json.dumps(mapping)},
        headers={**api._headers(), "Accept-Language": language},
    )
    assert response.status_code == 202, response.content
    assert closes(tenant)["Licencje"] == licencje


def test_the_guessed_mapping_never_saved_takes_the_order_the_page_offered(tenant):
    tenant.member.language = "en"
    tenant.member.save()
    import_ = make_import(tenant.account, tenant.member, content=AMBIGUOUS)
    client = tenant.client_for("member")
    assert import_.mapping == ["deal.name", "deal.expected_close_date"]
    assert client.get(url("preview", import_)).status_code == 200
    import_.refresh_from_db()
    assert "date_formats" not in import_.settings  # showing the preview writes nothing
    client.post(url("preview", import_))
    import_.refresh_from_db()
    assert import_.settings["date_formats"] == {"1": "MM/DD/YYYY"}
    assert closes(tenant)["Licencje"] == dt.date(2025, 3, 4)


def _api_import(tenant, content, date_formats, language="pl"):
    api = api_for(tenant, "member")
    mapping = {
        "columns": {"Nazwa szansy": "deal.name", "Planowana data zamknięcia": "deal.expected_close_date"},
        "date_formats": date_formats,
    }
    return api.client.post(
        api.url("/imports"),
        {"file": SimpleUploadedFile("d.csv", content, content_type="text/csv"), "mapping": json.dumps(mapping)},
        headers={**api._headers(), "Accept-Language": language},
    )


def test_the_api_may_choose_the_day_order_of_an_ambiguous_column(tenant):
    response = _api_import(tenant, AMBIGUOUS, {"Planowana data zamknięcia": "MM/DD/YYYY"})
    assert response.status_code == 202, response.content
    # Polish would have read day first (3 April); the order sent wins.
    assert closes(tenant) == {"Licencje": dt.date(2025, 3, 4), "Serwis": dt.date(2025, 5, 6)}


@pytest.mark.parametrize(
    ("content", "date_formats", "field", "says"),
    [
        (DAY_FIRST, {"Planowana data zamknięcia": "MM/DD/YYYY"}, "Planowana data zamknięcia", "read as DD/MM/YYYY"),
        (AMBIGUOUS, {"Planowana data zamknięcia": "YYYY-MM-DD"}, "Planowana data zamknięcia", "DD/MM/YYYY / MM/DD"),
        (AMBIGUOUS, {"Nazwa szansy": "DD/MM/YYYY"}, "Nazwa szansy", "not a column mapped to a date field"),
        (AMBIGUOUS, {"Kiedy": "DD/MM/YYYY"}, "Kiedy", "not a column mapped to a date field"),
    ],
)
def test_a_day_order_that_does_not_fit_the_column_is_refused_by_name_and_nothing_is_kept(
    tenant, content, date_formats, field, says
):
    response = _api_import(tenant, content, date_formats, language="en")
    assert response.status_code == 400, response.content
    [message] = response.json()["error"]["fields"][f"mapping.date_formats.{field}"]
    assert says in message
    assert not closes(tenant)
    polish = _api_import(tenant, content, date_formats).json()["error"]["fields"][f"mapping.date_formats.{field}"]
    assert "nie jest kolumną" in polish[0] or "da się odczytać" in polish[0]


def test_a_format_name_the_importer_does_not_know_is_a_422(tenant):
    response = _api_import(tenant, AMBIGUOUS, {"Planowana data zamknięcia": "DD MMM YYYY"})
    assert response.status_code in (400, 422)
    assert not closes(tenant)


def test_the_api_names_the_same_formats_as_the_reader():
    assert list(get_args(DATE_FORMAT_NAMES)) == list(DATE_FORMATS)
