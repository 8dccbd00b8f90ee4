"""Steps 3 to 6 as a user drives them, by posting the pages: source values (remembered as aliases), duplicates,
the preview with its errors and the rejected-rows file, the run and the import list; viewers and other accounts
kept out."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports.models import Import, ImportState
from headwater.persons.models import Person
from headwater.sources.models import Source, SourceAlias
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import CompanyFactory, SourceFactory, make_import

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;NIP;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość;Źródło\n"
    "Acme sp. z o.o.;5260001246;Anna;Nowak;anna@acme.pl;Licencje;1 234,50 zł;FB\n"
    "Beta;;Jan;Kowalski;jan@beta.pl;Serwis;100;facebook\n"
    "Gamma;;;;;Wdrożenie;abc;Targi\n"
    "Delta;;Ewa;Lis;ewa@delta;;;\n"
).encode()


def url(name, import_):
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


@pytest.fixture
def facebook(tenant):
    return SourceFactory(account=tenant.account, name="Facebook")


def test_source_values_are_listed_with_counts_and_matches(tenant, facebook):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    response = tenant.client_for("member").get(url("sources", import_))
    assert response.status_code == 200
    page = response.content.decode()
    assert "“FB” (1 row)" in page
    form = response.context["form"]
    values = form.values
    assert set(values) == {"FB", "facebook", "Targi"}
    index = values.index("facebook")
    assert form.fields[f"value_{index}"].initial == str(facebook.pk)  # the same name, folded
    assert form.fields[f"value_{values.index('Targi')}"].initial == "none"


def test_confirmed_choices_become_aliases_and_a_new_source_is_created(tenant, facebook):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    client = tenant.client_for("member")
    form = client.get(url("sources", import_)).context["form"]
    data = {}
    for index, value in enumerate(form.values):
        data[f"value_{index}"] = {"FB": str(facebook.pk), "facebook": str(facebook.pk), "Targi": "new"}[value]
        data[f"new_{index}"] = "Targi branżowe" if value == "Targi" else ""
    response = client.post(url("sources", import_), data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == url("duplicates", import_)
    trade = Source.objects.for_account(tenant.account).get(name="Targi branżowe")
    aliases = dict(SourceAlias.objects.for_account(tenant.account).values_list("text", "source_id"))
    # "facebook" spells the source's own name: no alias for it.
    assert aliases == {"FB": facebook.pk, "Targi": trade.pk}
    import_.refresh_from_db()
    assert import_.source_choices["FB"] == {"source": facebook.pk}


def test_a_bad_source_choice_is_refused_with_nothing_saved(tenant, other_tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    foreign = SourceFactory(account=other_tenant.account, name="Obce")
    client = tenant.client_for("member")
    form = client.get(url("sources", import_)).context["form"]
    data = {f"value_{i}": str(foreign.pk) for i in range(len(form.values))}
    response = client.post(url("sources", import_), data)
    assert response.status_code == 400
    assert not SourceAlias.objects.for_account(tenant.account).exists()
    import_.refresh_from_db()
    assert import_.source_choices == {}


def test_duplicates_step_saves_the_choice(tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    client = tenant.client_for("member")
    response = client.post(url("duplicates", import_), {"duplicates": "overwrite", "update_existing_source": "on"})
    assert response.status_code == 302
    import_.refresh_from_db()
    assert (import_.duplicates, import_.update_existing_source) == ("overwrite", True)
    response = client.post(url("duplicates", import_), {"duplicates": "everything"})
    assert response.status_code == 400
    import_.refresh_from_db()
    assert import_.duplicates == "overwrite"


def test_preview_counts_and_lists_row_errors_without_writing(tenant):
    CompanyFactory(account=tenant.account, name="Beta")
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    response = tenant.client_for("member").get(url("preview", import_))
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.rows == 4
    assert outcome.errors == 2  # "abc" is no amount; "ewa@delta" no e-mail address
    assert outcome.skipped == 1  # Beta exists; the default is to skip
    assert outcome.created == {"company": 1, "person": 2, "deal": 2}
    page = response.content.decode()
    assert "Run with the valid rows" in page
    assert "“abc” is not an amount." in page
    assert Company.objects.for_account(tenant.account).count() == 1
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.UPLOADED


def test_rejected_rows_download_in_the_files_format_with_a_reason(tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    response = tenant.client_for("member").get(url("rejected", import_))
    assert response.status_code == 200
    text = response.content.decode(import_.settings["encoding"])
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][-1] == "Import error"
    assert [row[0] for row in rows[1:]] == ["Gamma", "Delta"]
    assert "not an amount" in rows[1][-1]


def test_run_from_the_preview_imports_and_the_list_shows_it(tenant, facebook):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    client = tenant.client_for("member")
    response = client.post(url("preview", import_))
    assert response.status_code == 302
    assert response["Location"] == url("detail", import_)
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    assert Deal.objects.for_account(tenant.account).count() == 2
    # "facebook" matched the source by its name (certain): its rows got it; "FB" (unconfirmed, no match) none.
    beta = Person.objects.for_account(tenant.account).get(last_name="Kowalski")
    assert beta.source_id == facebook.pk
    page = client.get(url("detail", import_)).content.decode()
    assert 'data-import-state="done"' in page
    listing = client.get(reverse("imports:start", kwargs={"account_slug": tenant.account.slug})).content.decode()
    assert 'data-import-state="done"' in listing
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    # Its steps are closed once it ran.
    assert client.get(url("sources", import_)).status_code == 302
    assert client.post(url("preview", import_)).status_code == 302
    assert Deal.objects.for_account(tenant.account).count() == 2


@pytest.mark.parametrize("name", ["sources", "duplicates", "preview"])
def test_viewers_cannot_post_and_other_accounts_get_404(tenant, other_tenant, name):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    assert tenant.client_for("viewer").post(url(name, import_), {"duplicates": "skip"}).status_code in (403, 404, 405)
    assert other_tenant.client_for("admin").get(url(name, import_)).status_code == 404
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.UPLOADED
