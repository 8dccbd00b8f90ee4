"""Every URL of the record apps, walked as a member of another account: 404 or absence, never the data.

The test lists the URL names it covers; adding a URL to companies, persons or deals without covering it here
fails `test_every_record_url_is_covered`.
"""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = pytest.mark.django_db

MARKER = "Alpha-secret-7f3a"
APPS = ("companies", "persons", "deals")
WITH_PK = {f"{app}:{name}" for app in APPS for name in ("detail", "edit", "delete")} | {"deals:status"}
WITHOUT_PK = {f"{app}:{name}" for app in APPS for name in ("list", "create")} | {"companies:lookup", "persons:lookup"}
QUICK_CREATE = {"companies:quick_create", "persons:quick_create"}
EXPORTS = {f"{app}:{name}" for app in APPS for name in ("export_csv", "export_xlsx")}
BULK = {f"{app}:bulk_change" for app in APPS}
POST_ONLY = {"deals:status"}
GET_ONLY = {f"{app}:detail" for app in APPS}


def leaked(text):
    """A record's name in the page (the searched marker alone may be echoed back in the search box)."""
    return any(f"{MARKER} {kind}" in text for kind in ("company", "person", "deal"))


@pytest.fixture
def alpha_records(tenant):
    company = CompanyFactory(account=tenant.account, name=f"{MARKER} company")
    person = PersonFactory(company=company, last_name=f"{MARKER} person")
    deal = DealFactory(company=company, person=person, name=f"{MARKER} deal")
    return {"companies": company, "persons": person, "deals": deal}


def test_every_record_url_is_covered():
    names = set()
    for app in APPS:
        module = importlib.import_module(f"headwater.{app}.urls")
        names |= {f"{module.app_name}:{p.name}" for p in module.urlpatterns}
    assert names == WITH_PK | WITHOUT_PK | QUICK_CREATE | EXPORTS | BULK


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_never_hold_another_accounts_records(name, tenant, other_tenant, alpha_records):
    outsider = other_tenant.client_for("admin")
    own = reverse(name, kwargs={"account_slug": other_tenant.account.slug})
    company, person = alpha_records["companies"], alpha_records["persons"]
    for params in ({}, {"q": MARKER}):
        response = outsider.get(own, params)
        assert response.status_code == 200
        if name.endswith("_csv"):
            assert not leaked(b"".join(response.streaming_content).decode("utf-8-sig"))
    response = outsider.get(own, {"company": company.pk, "person": person.pk})
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200 and name.endswith("_csv"):
        assert not leaked(b"".join(response.streaming_content).decode("utf-8-sig"))
    theirs = reverse(name, kwargs={"account_slug": tenant.account.slug})
    assert outsider.get(theirs).status_code == 404


@pytest.mark.parametrize("name", sorted(BULK))
def test_a_bulk_change_of_another_accounts_records_is_404(name, tenant, other_tenant, alpha_records):
    record = alpha_records[name.split(":")[0]]
    outsider = other_tenant.client_for("admin")
    body = {"ids": [record.pk], "owner": str(other_tenant.admin.pk)}
    for slug in (other_tenant.account.slug, tenant.account.slug):
        assert outsider.post(reverse(name, kwargs={"account_slug": slug}), body).status_code == 404
    record.refresh_from_db()
    assert record.owner_id is None
    assert record.version == 1


@pytest.mark.parametrize("name", sorted(WITH_PK))
def test_records_of_another_account_are_404_on_both_addresses(name, tenant, other_tenant, alpha_records):
    record = alpha_records[name.split(":")[0]]
    outsider = other_tenant.client_for("admin")
    for slug in (other_tenant.account.slug, tenant.account.slug):
        url = reverse(name, kwargs={"account_slug": slug, "pk": record.pk})
        # A route that takes POST only refuses GET before anything is looked up (404 on an account not theirs).
        assert outsider.get(url).status_code in ((404, 405) if name in POST_ONLY else (404,))
        data = {"name": "x", "last_name": "x", "version": 1, "status": "won"}
        # And a page that takes no writes refuses POST the same way (users.access.account_view(write=None)).
        assert outsider.post(url, data).status_code in ((404, 405) if name in GET_ONLY else (404,))
    assert Company.objects.for_account(tenant.account).filter(name=f"{MARKER} company").exists()
    assert Person.objects.for_account(tenant.account).filter(last_name=f"{MARKER} person").exists()
    assert Deal.objects.for_account(tenant.account).filter(name=f"{MARKER} deal", version=1).exists()


@pytest.mark.parametrize("name", sorted(WITHOUT_PK))
def test_account_wide_pages_never_show_another_accounts_records(name, tenant, other_tenant, alpha_records):
    outsider = other_tenant.client_for("admin")
    own = reverse(name, kwargs={"account_slug": other_tenant.account.slug})
    company, person = alpha_records["companies"], alpha_records["persons"]
    for params in ({}, {"q": MARKER}, {"company_search": MARKER, "person_search": MARKER}):
        response = outsider.get(own, params)
        assert response.status_code == 200
        assert not leaked(response.text)
    # Naming the other account's ids is a 404 (forms, filters) or simply not shown (a picker's current value).
    response = outsider.get(own, {"company": company.pk, "person": person.pk})
    assert response.status_code == 404 or not leaked(response.text)
    theirs = reverse(name, kwargs={"account_slug": tenant.account.slug})
    assert outsider.get(theirs).status_code == 404


@pytest.mark.parametrize("name", sorted(QUICK_CREATE))
def test_the_typeahead_creates_only_in_its_own_account(name, tenant, other_tenant, alpha_records):
    outsider = other_tenant.client_for("admin")
    theirs = reverse(name, kwargs={"account_slug": tenant.account.slug})
    assert outsider.post(theirs, {"name": "Intruder Ltd"}).status_code == 404
    assert not Company.objects.for_account(tenant.account).filter(name="Intruder Ltd").exists()
    if name == "persons:quick_create":
        # Linking the new person to the other account's company is refused like any unknown company.
        own = reverse(name, kwargs={"account_slug": other_tenant.account.slug})
        answer = outsider.post(own, {"name": "Jan Intruder", "company": alpha_records["companies"].pk})
        assert answer.status_code == 400
        assert not leaked(answer.text)
        assert not Person.unscoped.filter(last_name="Intruder").exists()
