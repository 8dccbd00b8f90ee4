"""A captured lead's campaign: the campaign of the touch's source its utm_campaign names, set on the new records
through the record services (history: set from the tracked visit), through the API and a web form."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client

from headwater.campaigns.models import Campaign, CampaignChange
from headwater.campaigns.selectors import campaign_for_utm
from headwater.capture import services
from headwater.capture.models import Touch
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.leadforms.tests.helpers import answers, make_form
from headwater.persons.models import Person
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.stats.filters import StatsFilters
from headwater.stats.selectors import source_stats
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


@pytest.fixture
def ready(tenant):
    """The default rules: utm_medium "email" gives the source "E-mail campaign", which has the campaign
    "Spring sale 2026"."""
    enable_sources(tenant.account)
    services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    tenant.email = Source.objects.for_account(tenant.account).get(name="E-mail campaign")
    tenant.spring = CampaignFactory(source=tenant.email, name="Spring sale 2026")
    return tenant


def _lead(tenant, utm_campaign, *, email="ola@example.pl", role="member", **extra):
    body = {
        "person": {"first_name": "Ola", "last_name": "Nowak", "email": email},
        "touch": {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": utm_campaign},
        **extra,
    }
    response = api_for(tenant, role).post("leads", body)
    assert response.status_code in (200, 201), response.content
    return response.json()


def _history(account, record):
    return list(
        CampaignChange.objects.for_account(account)
        .filter(record_type=record._meta.model_name, record_id=record.pk)
        .values_list("old_campaign_id", "new_campaign_id", "how", "user_id")
    )


# --- The intake API ---------------------------------------------------------------------------------------------


def test_a_lead_from_the_api_takes_the_campaign_its_landing_url_names(ready):
    landing = "https://shop.example.pl/offer?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2026"
    response = api_for(ready, "member").post(
        "leads",
        {
            "person": {"last_name": "Nowak", "email": "ola@example.pl"},
            "company": {"name": "Acme"},
            "deal": {"value": "1200.00"},
            "touch": {"landing_url": landing},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source_id"], body["campaign_id"]) == (ready.email.pk, ready.spring.pk)
    person = Person.objects.for_account(ready.account).get(pk=body["person_id"])
    company = Company.objects.for_account(ready.account).get(pk=body["company_id"])
    deal = Deal.objects.for_account(ready.account).get(pk=body["deal_id"])
    for record in (person, company, deal):
        assert (record.source_id, record.campaign_id) == (ready.email.pk, ready.spring.pk)
        # The same service as a campaign picked by hand: one history row, saying it came from the visit.
        assert _history(ready.account, record) == [(None, ready.spring.pk, HowChanged.CAPTURE, ready.member.pk)]
    touch = Touch.objects.for_account(ready.account).get(pk=body["touch_id"])
    assert touch.utm_campaign == "spring_sale_2026"  # the value as it came, beside the campaign


@pytest.mark.parametrize(
    "value",
    ["Spring sale 2026", "spring_sale_2026", "SPRING-SALE-2026", "  spring   sale_2026 ", "spring - sale - 2026"],
)
def test_case_spacing_and_separators_do_not_matter(ready, value):
    body = _lead(ready, value)
    assert body["campaign_id"] == ready.spring.pk
    assert Person.objects.for_account(ready.account).get().campaign_id == ready.spring.pk


@pytest.mark.parametrize("value", ["wiosna_lodz", "WIOSNA-ŁÓDŹ", "Wiosna Lódz", "wiosna\u2013łódź"])
def test_accents_do_not_matter(ready, value):
    spring_in_lodz = CampaignFactory(source=ready.email, name="Wiosna Łódź")
    assert _lead(ready, value)["campaign_id"] == spring_in_lodz.pk
    assert Person.objects.for_account(ready.account).get().campaign == spring_in_lodz


@pytest.mark.parametrize("value", ["spring sale", "spring_sale_2025", "spring sale 2026 extra", "springsale2026"])
def test_another_name_is_no_campaign_and_the_value_stays_on_the_touch(ready, value):
    body = _lead(ready, value)
    assert body["campaign_id"] is None
    person = Person.objects.for_account(ready.account).get()
    assert (person.source_id, person.campaign_id) == (ready.email.pk, None)
    assert Touch.objects.for_account(ready.account).get().utm_campaign == value.strip()
    assert not CampaignChange.objects.for_account(ready.account).exists()


def test_an_archived_campaign_is_not_matched(ready):
    ready.spring.archived = True
    ready.spring.save()
    assert _lead(ready, "spring_sale_2026", deal={})["campaign_id"] is None
    assert not Person.objects.for_account(ready.account).exclude(campaign=None).exists()
    assert not Deal.objects.for_account(ready.account).exclude(campaign=None).exists()


def test_another_sources_campaign_is_not_matched(ready):
    ready.spring.delete()
    fair = SourceFactory(account=ready.account, name="Trade fair")
    CampaignFactory(source=fair, name="Spring sale 2026")
    body = _lead(ready, "spring_sale_2026")
    assert (body["source_id"], body["campaign_id"]) == (ready.email.pk, None)
    assert Person.objects.for_account(ready.account).get().campaign_id is None


@pytest.mark.parametrize("under", ["their source", "our source"])
def test_another_accounts_campaign_is_not_matched(ready, other_tenant, under):
    ready.spring.delete()
    if under == "their source":
        theirs = SourceFactory(account=other_tenant.account, name="E-mail campaign")
        CampaignFactory(source=theirs, name="Spring sale 2026")
    else:
        # A row naming our source but belonging to another account (the services never make one): still not ours.
        Campaign.unscoped.create(
            account=other_tenant.account,
            source=ready.email,
            name="Spring sale 2026",
            name_key="spring sale 2o26",
            start_date=ready.spring.start_date,
        )
    assert _lead(ready, "spring_sale_2026")["campaign_id"] is None
    assert Person.objects.for_account(ready.account).get().campaign_id is None


def test_names_that_meet_only_through_separators(ready):
    """ "Spring-sale" and "Spring sale" are two campaign names; "spring_sale" could be either: never a guess."""
    hyphen = CampaignFactory(source=ready.email, name="Spring-sale")
    space = CampaignFactory(source=ready.email, name="Spring sale")
    assert campaign_for_utm(account=ready.account, source=ready.email, value="spring_sale") is None
    assert campaign_for_utm(account=ready.account, source=ready.email, value="SPRING-SALE") == hyphen
    assert campaign_for_utm(account=ready.account, source=ready.email, value="spring  sale") == space
    assert campaign_for_utm(account=ready.account, source=ready.email.pk, value="spring_sale_2026") == ready.spring
    assert campaign_for_utm(account=ready.account, source=ready.email, value="   ") is None


def test_no_source_means_no_campaign(ready):
    # No rule, alias or source name knows this visit: the touch is unmatched and the person gets no source.
    body = (
        api_for(ready)
        .post(
            "leads",
            {
                "person": {"last_name": "Nowak", "email": "ola@example.pl"},
                "touch": {"utm_source": "mystery", "utm_campaign": "spring_sale_2026"},
            },
        )
        .json()
    )
    assert (body["resolution"], body["source_id"], body["campaign_id"]) == ("unmatched", None, None)
    person = Person.objects.for_account(ready.account).get()
    assert (person.source_id, person.campaign_id) == (None, None)
    assert Touch.objects.for_account(ready.account).get().utm_campaign == "spring_sale_2026"


def test_sources_switched_off_mean_no_campaign(ready):
    ready.account.sources_enabled = False
    ready.account.save()
    body = _lead(ready, "spring_sale_2026", deal={})
    assert body["campaign_id"] is None
    assert not Person.objects.for_account(ready.account).exclude(campaign=None).exists()


def test_a_source_chosen_in_the_body(ready):
    fair = SourceFactory(account=ready.account, name="Trade fair")
    CampaignFactory(source=fair, name="Spring sale 2026")
    # Another source than the visit's: the visit's campaign is another attribution; the record gets none.
    other = _lead(ready, "spring_sale_2026", source_id=fair.pk)
    assert other["campaign_id"] is None
    person = Person.objects.for_account(ready.account).get(pk=other["person_id"])
    assert (person.source_id, person.campaign_id) == (fair.pk, None)
    # The visit's own source, chosen: its campaign.
    same = _lead(ready, "spring_sale_2026", email="ewa@example.pl", source_id=ready.email.pk)
    assert same["campaign_id"] == ready.spring.pk
    person = Person.objects.for_account(ready.account).get(pk=same["person_id"])
    assert (person.source_id, person.campaign_id) == (ready.email.pk, ready.spring.pk)


def test_an_existing_record_keeps_its_campaign_and_a_new_deal_takes_the_visits(ready):
    autumn = CampaignFactory(source=ready.email, name="Autumn")
    first = _lead(ready, "autumn", company={"name": "Acme"})
    assert first["campaign_id"] == autumn.pk
    plain = PersonFactory(account=ready.account, email="ewa@example.pl", last_name="Kowalska")

    again = _lead(ready, "spring_sale_2026", deal={}, company={"name": "ACME"})
    assert (again["person_created"], again["company_id"]) == (False, first["company_id"])
    assert again["campaign_id"] == ready.spring.pk  # the new deal took it
    person = Person.objects.for_account(ready.account).get(pk=first["person_id"])
    company = Company.objects.for_account(ready.account).get(pk=first["company_id"])
    assert person.campaign_id == company.campaign_id == autumn.pk
    assert len(_history(ready.account, person)) == len(_history(ready.account, company)) == 1
    assert Deal.objects.for_account(ready.account).get(pk=again["deal_id"]).campaign_id == ready.spring.pk

    # A returning person without a campaign stays without one; nothing new took the campaign.
    later = _lead(ready, "spring_sale_2026", email="EWA@example.pl")
    assert (later["person_id"], later["person_created"], later["campaign_id"]) == (plain.pk, False, None)
    plain.refresh_from_db()
    assert plain.campaign_id is None
    assert not _history(ready.account, plain)


def test_a_campaign_archived_since_it_was_matched_leaves_the_lead_without_one(ready, monkeypatch):
    """The match is read, then locked and read again: a campaign archived in between does not refuse the lead."""

    def matched_then_archived(**kwargs):
        found = campaign_for_utm(**kwargs)
        Campaign.objects.for_account(ready.account).filter(pk=found.pk).update(archived=True)
        return found

    monkeypatch.setattr(services, "campaign_for_utm", matched_then_archived)
    body = _lead(ready, "spring_sale_2026", deal={})
    assert body["campaign_id"] is None
    assert Person.objects.for_account(ready.account).get().campaign_id is None


def test_the_campaign_statistics_count_the_captured_records(ready):
    before = source_stats(account=ready.account, filters=StatsFilters())
    assert ready.email.pk not in before.campaigns or all(
        row.contacts == row.deals == 0 for row in before.campaigns[ready.email.pk]
    )
    _lead(ready, "spring_sale_2026", company={"name": "Acme"}, deal={"value": "100.00"})
    _lead(ready, "no such campaign", email="ewa@example.pl", deal={})
    stats = source_stats(account=ready.account, filters=StatsFilters())
    rows = {row.campaign.id: row for row in stats.campaigns[ready.email.pk]}
    spring = rows[ready.spring.pk]
    assert (spring.contacts, spring.deals) == (2, 1)  # the person and the company; the deal
    assert (rows[None].contacts, rows[None].deals) == (1, 1)  # the lead whose campaign matched none


# --- A web form -------------------------------------------------------------------------------------------------


def test_a_web_form_submission_takes_the_campaign(ready):
    form = make_form(ready.account, opens_deal=True)
    landing = "https://www.shop.example.pl/offer?utm_source=newsletter&utm_medium=email&utm_campaign=" + quote(
        "spring-sale-2026"
    )
    response = Client().post(
        f"/f/{form.public_key}?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale-2026",
        answers(
            form, landing_url=landing, utm_source="newsletter", utm_medium="email", utm_campaign="spring-sale-2026"
        ),
    )
    assert response.status_code == 303
    person = Person.objects.for_account(ready.account).get()
    deal = Deal.objects.for_account(ready.account).get()
    for record in (person, deal):
        assert (record.source_id, record.campaign_id) == (ready.email.pk, ready.spring.pk)
        assert _history(ready.account, record) == [(None, ready.spring.pk, HowChanged.CAPTURE, None)]
    # The person's page: the campaign, and its history says it came from the visit (a visitor is nobody we know,
    # not "someone no longer here").
    page = ready.client_for("viewer").get(ready.url(f"persons/{person.pk}/")).content.decode()
    assert "Spring sale 2026" in page
    assert "set from the tracked visit" in page
    assert "someone no longer here" not in page
    assert SourceChange.objects.for_account(ready.account).filter(how=HowChanged.CAPTURE).count() == 2


def test_a_web_form_submission_naming_no_campaign_keeps_the_value_on_the_touch(ready):
    form = make_form(ready.account)
    response = Client().post(
        f"/f/{form.public_key}", answers(form, utm_source="newsletter", utm_medium="email", utm_campaign="Winter")
    )
    assert response.status_code == 303
    person = Person.objects.for_account(ready.account).get()
    assert (person.source_id, person.campaign_id) == (ready.email.pk, None)
    assert Touch.objects.for_account(ready.account).get().utm_campaign == "Winter"


# --- The record's touches page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "matched", "unmatched"),
    [
        ("en", "campaign <bdi>Spring sale 2026</bdi>", "no campaign of <bdi>E-mail campaign</bdi> has this name"),
        (
            "pl",
            "kampania <bdi>Spring sale 2026</bdi>",
            "żadna kampania źródła <bdi>E-mail campaign</bdi> nie ma tej nazwy",
        ),
    ],
)
def test_the_touches_page_shows_which_campaign_a_value_names(ready, language, matched, unmatched):
    first = _lead(ready, "spring_sale_2026")
    _lead(ready, "winter_2026")
    client = ready.client_for("viewer")
    client.cookies["django_language"] = language
    page = client.get(
        ready.url(f"touches/person/{first['person_id']}/"), {"lang": language}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert matched in html
    assert unmatched in html
    assert "winter_2026" in html
