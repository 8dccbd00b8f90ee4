"""Campaign services and the campaign rules of the record services (one kind each way, the rules are shared)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from headwater.campaigns.models import Campaign
from headwater.campaigns.services import campaign_create, campaign_delete, campaign_update
from headwater.companies.services import company_create, company_update
from headwater.core.errors import Conflict, FeatureDisabled, NotFound, ValidationFailed
from headwater.deals.services import deal_create, deal_update
from headwater.persons.services import person_create
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import HowChanged, SourceChange
from headwater.sources.services import source_delete, source_merge
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 1)


@pytest.fixture
def google(tenant):
    enable_sources(tenant.account)
    return SourceFactory(account=tenant.account, name="Google")


def _fields(error):
    return {name: " ".join(messages) for name, messages in error.value.fields.items()}


def test_create_cleans_and_defaults_the_currency(tenant, google):
    campaign = campaign_create(
        account=tenant.account,
        user=tenant.admin,
        source=google,
        name="  Spring   sale ",
        start_date=DAY,
        budget="1500.5",
    )
    assert (campaign.name, campaign.budget, campaign.currency) == ("Spring sale", Decimal("1500.50"), "PLN")
    assert campaign.end_date is None
    assert not campaign.archived
    bare = campaign_create(account=tenant.account, user=None, source=google, name="No budget", start_date=DAY)
    assert (bare.budget, bare.currency) == (None, "")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"start_date": None}, "start_date"),
        ({"end_date": date(2026, 2, 28)}, "end_date"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "1.234"}, "budget"),
        ({"budget": 1.5}, "budget"),
        ({"budget": "  "}, "budget"),
        ({"budget": "10", "currency": "XYZ"}, "currency"),
        ({"start_date": date(1, 1, 1)}, "start_date"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(tenant, google, changes, field):
    values = {"name": "Spring", "start_date": DAY, **changes}
    with pytest.raises(ValidationFailed) as error:
        campaign_create(account=tenant.account, user=None, source=google, **values)
    assert field in error.value.fields
    assert not Campaign.objects.for_account(tenant.account).exists()


def test_names_are_unique_within_a_source_ignoring_case_and_accents(tenant, google):
    fair = SourceFactory(account=tenant.account, name="Fair")
    campaign_create(account=tenant.account, user=None, source=google, name="Wiosna Łódź", start_date=DAY)
    with pytest.raises(ValidationFailed) as error:
        campaign_create(account=tenant.account, user=None, source=google, name="WIOSNA lodz", start_date=DAY)
    assert "already has a campaign" in _fields(error)["name"]
    campaign_create(account=tenant.account, user=None, source=fair, name="Wiosna Łódź", start_date=DAY)
    other = campaign_create(account=tenant.account, user=None, source=google, name="Summer", start_date=DAY)
    with pytest.raises(ValidationFailed):
        campaign_update(account=tenant.account, user=None, campaign=other, version=other.version, name="wiosna łódź")


def test_another_accounts_or_an_archived_source_is_refused(tenant, other_tenant, google):
    theirs = SourceFactory(account=other_tenant.account)
    with pytest.raises(ValidationFailed) as error:
        campaign_create(account=tenant.account, user=None, source=theirs, name="X", start_date=DAY)
    assert "source" in error.value.fields
    archived = SourceFactory(account=tenant.account, archived=True)
    with pytest.raises(ValidationFailed):
        campaign_create(account=tenant.account, user=None, source=archived.pk, name="X", start_date=DAY)


def test_update_checks_the_version_and_the_period(tenant, google):
    campaign = CampaignFactory(source=google, start_date=DAY)
    with pytest.raises(Conflict):
        campaign_update(account=tenant.account, user=None, campaign=campaign, version=campaign.version + 1, name="Y")
    with pytest.raises(ValidationFailed) as error:
        campaign_update(account=tenant.account, user=None, campaign=campaign, version=None, start_date=date(2026, 5, 1),
                        end_date=date(2026, 4, 1))  # fmt: skip
    assert "end_date" in error.value.fields
    changed = campaign_update(
        account=tenant.account, user=None, campaign=campaign, version=campaign.version, budget="99", archived=True
    )
    assert (changed.budget, changed.currency, changed.archived, changed.version) == (Decimal("99.00"), "PLN", True, 2)


def test_delete_refuses_a_campaign_in_use_and_another_accounts(tenant, other_tenant, google):
    campaign = CampaignFactory(source=google)
    company_create(account=tenant.account, user=None, name="Acme", campaign=campaign)
    with pytest.raises(ValidationFailed) as error:
        campaign_delete(account=tenant.account, user=None, campaign=campaign)
    assert "1 companies" in error.value.message
    theirs = CampaignFactory(source=SourceFactory(account=other_tenant.account))
    with pytest.raises(NotFound):
        campaign_delete(account=tenant.account, user=None, campaign=theirs)
    unused = CampaignFactory(source=google)
    campaign_delete(account=tenant.account, user=None, campaign=unused)
    assert not Campaign.objects.for_account(tenant.account).filter(pk=unused.pk).exists()


def test_a_record_without_a_source_takes_the_campaigns(tenant, google):
    campaign = CampaignFactory(source=google)
    deal = deal_create(account=tenant.account, user=tenant.member, name="Big", campaign=campaign.pk, source=None)
    assert (deal.campaign_id, deal.source_id) == (campaign.pk, google.pk)
    change = SourceChange.objects.for_account(tenant.account).get(record_id=deal.pk, record_type="deal")
    assert (change.new_source_id, change.how) == (google.pk, HowChanged.TYPED)


def test_a_campaign_of_another_source_is_refused(tenant, google):
    fair = SourceFactory(account=tenant.account, name="Fair")
    campaign = CampaignFactory(source=google, name="Spring")
    with pytest.raises(ValidationFailed) as error:
        person_create(account=tenant.account, user=None, last_name="Nowak", source=fair, campaign=campaign)
    assert "belongs to the source “Google”, not “Fair”" in _fields(error)["campaign"]
    company = company_create(account=tenant.account, user=None, name="Acme", source=fair)
    with pytest.raises(ValidationFailed):
        company_update(account=tenant.account, user=None, company=company, version=1, campaign=campaign)
    company.refresh_from_db()
    assert (company.campaign_id, company.version) == (None, 1)


def test_the_default_rule_gives_way_to_a_picked_campaign(tenant, google):
    enable_sources(tenant.account, default_from_contact=True)
    fair = SourceFactory(account=tenant.account, name="Fair")
    company = company_create(account=tenant.account, user=None, name="Acme", source=fair)
    campaign = CampaignFactory(source=google)
    deal = deal_create(account=tenant.account, user=None, name="D", company=company, campaign=campaign)
    assert deal.source_id == google.pk


def test_changing_the_source_away_from_the_campaign_is_refused(tenant, google):
    fair = SourceFactory(account=tenant.account, name="Fair")
    campaign = CampaignFactory(source=google)
    deal = deal_create(account=tenant.account, user=None, name="D", campaign=campaign)
    with pytest.raises(ValidationFailed) as error:
        deal_update(account=tenant.account, user=None, deal=deal, version=deal.version, source=fair)
    assert "source" in error.value.fields
    moved = deal_update(account=tenant.account, user=None, deal=deal, version=deal.version, source=fair, campaign=None)
    assert (moved.source_id, moved.campaign_id) == (fair.pk, None)


def test_archived_campaigns_stay_on_their_records_but_are_not_picked_again(tenant, google):
    campaign = CampaignFactory(source=google)
    deal = deal_create(account=tenant.account, user=None, name="D", campaign=campaign)
    campaign_update(account=tenant.account, user=None, campaign=campaign, version=None, archived=True)
    kept = deal_update(account=tenant.account, user=None, deal=deal, version=deal.version, campaign=campaign.pk)
    assert kept.campaign_id == campaign.pk
    with pytest.raises(ValidationFailed) as error:
        deal_create(account=tenant.account, user=None, name="E", campaign=campaign)
    assert "archived" in _fields(error)["campaign"]


def test_another_accounts_campaign_is_refused_on_a_record(tenant, other_tenant, google):
    theirs = CampaignFactory(source=SourceFactory(account=other_tenant.account))
    with pytest.raises(ValidationFailed) as error:
        company_create(account=tenant.account, user=None, name="Acme", campaign=theirs.pk)
    assert _fields(error)["campaign"] == "Choose a campaign of this account."


def test_campaigns_need_the_sources_on(tenant, google):
    campaign = CampaignFactory(source=google)
    tenant.account.sources_enabled = False
    tenant.account.save()
    with pytest.raises(FeatureDisabled):
        company_create(account=tenant.account, user=None, name="Acme", campaign=campaign)


def test_a_source_with_campaigns_is_not_deleted_and_a_merge_moves_them(tenant, google):
    fair = SourceFactory(account=tenant.account, name="Fair")
    campaign = CampaignFactory(source=google, name="Spring")
    deal = deal_create(account=tenant.account, user=None, name="D", campaign=campaign)
    with pytest.raises(ValidationFailed) as error:
        source_delete(account=tenant.account, user=None, source=google, mode="clear", expected_count=1)
    assert "has 1 campaign" in error.value.message
    clash = CampaignFactory(source=fair, name="SPRING")
    with pytest.raises(ValidationFailed) as error:
        source_merge(account=tenant.account, user=None, source=google, into=fair)
    assert "into" in error.value.fields
    clash.delete()
    source_merge(account=tenant.account, user=None, source=google, into=fair)
    campaign.refresh_from_db()
    deal.refresh_from_db()
    assert (campaign.source_id, deal.source_id, deal.campaign_id) == (fair.pk, fair.pk, campaign.pk)
