from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from headwater.core.dates import account_today
from headwater.core.errors import Conflict, FeatureDisabled, NotFound, ValidationFailed
from headwater.deals.models import Deal, DealStatus
from headwater.deals.services import clean_deal_value, deal_create, deal_delete, deal_update
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


def switch(account, *, enabled=True, default=True):
    account.sources_enabled = enabled
    account.source_default_from_contact = default
    account.save()
    return account


def hows(account, deal):
    return list(
        SourceChange.objects.for_account(account)
        .filter(record_type="deal", record_id=deal.pk)
        .order_by("at", "id")
        .values_list("new_source_id", "how")
    )


def make(tenant, **kwargs):
    kwargs.setdefault("name", "Big deal")
    return deal_create(account=tenant.account, user=tenant.member, **kwargs)


class TestCreate:
    def test_defaults(self, tenant):
        deal = make(tenant)
        deal.refresh_from_db()
        assert deal.value == Decimal("0.00")
        assert deal.currency == tenant.account.currency
        assert deal.status == DealStatus.OPEN
        assert deal.closed_at is None

    def test_currency_is_three_letters_upper_cased(self, tenant):
        assert make(tenant, currency=" eur ").currency == "EUR"
        for bad in ("EURO", "E1R", "", "zł"):
            with pytest.raises(ValidationFailed) as exc:
                make(tenant, currency=bad)
            assert "currency" in exc.value.fields

    @pytest.mark.parametrize("value", ["12.345", Decimal("0.001"), "-1", "abc", 1.5, "NaN", "Infinity", "1e12"])
    def test_bad_values_are_refused_not_rounded(self, tenant, value):
        with pytest.raises(ValidationFailed) as exc:
            make(tenant, value=value)
        assert "value" in exc.value.fields
        assert not Deal.objects.for_account(tenant.account).exists()

    @pytest.mark.parametrize(
        ("given", "stored"),
        [("1250.5", Decimal("1250.50")), (Decimal("1.500"), Decimal("1.50")), (7, Decimal("7.00"))],
    )
    def test_exact_values_are_kept(self, tenant, given, stored):
        deal = make(tenant, value=given)
        deal.refresh_from_db()
        assert deal.value == stored

    @given(cents=st.integers(min_value=0, max_value=10**14 - 1))
    @settings(max_examples=50, deadline=None)
    def test_every_amount_with_cents_round_trips(self, cents):
        amount = Decimal(cents) / 100
        assert clean_deal_value(str(amount)) == amount

    def test_won_deal_closes_today_in_the_account_time_zone(self, tenant):
        deal = make(tenant, status="won")
        assert deal.closed_at == account_today(tenant.account)

    def test_lost_deal_keeps_its_reason(self, tenant):
        deal = make(tenant, status="lost", lost_reason=" Too expensive ")
        assert (deal.lost_reason, deal.closed_at) == ("Too expensive", account_today(tenant.account))

    def test_lost_reason_on_open_deal_is_an_error(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            make(tenant, status="open", lost_reason="Price")
        assert "lost_reason" in exc.value.fields

    def test_closed_at_on_open_deal_is_an_error(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            make(tenant, closed_at=account_today(tenant.account))
        assert "closed_at" in exc.value.fields

    def test_closed_before_creation_is_an_error(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            make(tenant, status="won", closed_at=account_today(tenant.account) - dt.timedelta(days=1))
        assert "closed_at" in exc.value.fields

    def test_bad_status_is_refused(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            make(tenant, status="maybe")
        assert "status" in exc.value.fields

    def test_links_of_another_account_are_refused(self, tenant, other_tenant):
        for field, obj in (
            ("company", CompanyFactory(account=other_tenant.account)),
            ("person", PersonFactory(account=other_tenant.account)),
            ("owner", other_tenant.admin),
        ):
            with pytest.raises(ValidationFailed) as exc:
                make(tenant, **{field: obj})
            assert list(exc.value.fields) == [field]
        assert not Deal.objects.for_account(tenant.account).exists()


class TestDefaulting:
    def test_person_source_first(self, tenant):
        account = switch(tenant.account)
        web, fair = SourceFactory(account=account), SourceFactory(account=account)
        company = CompanyFactory(account=account, source=web)
        person = PersonFactory(company=company, source=fair)
        deal = make(tenant, company=company, person=person)
        assert deal.source == fair
        assert hows(account, deal) == [(fair.pk, HowChanged.DEFAULT)]

    def test_person_without_source_falls_back_to_company(self, tenant):
        account = switch(tenant.account)
        web = SourceFactory(account=account)
        company = CompanyFactory(account=account, source=web)
        deal = make(tenant, company=company, person=PersonFactory(company=company))
        assert deal.source == web

    def test_no_person_uses_company(self, tenant):
        account = switch(tenant.account)
        web = SourceFactory(account=account)
        assert make(tenant, company=CompanyFactory(account=account, source=web)).source == web

    def test_archived_person_source_falls_back_to_company(self, tenant):
        account = switch(tenant.account)
        web = SourceFactory(account=account)
        company = CompanyFactory(account=account, source=web)
        person = PersonFactory(company=company, source=SourceFactory(account=account, archived=True))
        assert make(tenant, company=company, person=person).source == web

    def test_archived_contact_source_gives_none(self, tenant):
        account = switch(tenant.account)
        old = SourceFactory(account=account, archived=True)
        person = PersonFactory(account=account, source=old)
        assert make(tenant, person=person).source is None

    def test_option_off(self, tenant):
        account = switch(tenant.account, default=False)
        person = PersonFactory(account=account, source=SourceFactory(account=account))
        deal = make(tenant, person=person)
        assert deal.source is None
        assert hows(account, deal) == []

    def test_feature_off_refuses_an_explicit_source(self, tenant):
        account = switch(tenant.account, enabled=False)
        with pytest.raises(FeatureDisabled):
            make(tenant, source=SourceFactory(account=account))

    def test_explicit_values(self, tenant):
        account = switch(tenant.account)
        web, fair = SourceFactory(account=account), SourceFactory(account=account)
        person = PersonFactory(account=account, source=web)
        assert make(tenant, person=person, source=None).source is None
        chosen = make(tenant, person=person, source=fair.pk, source_how=HowChanged.API)
        assert chosen.source == fair
        assert hows(account, chosen) == [(fair.pk, HowChanged.API)]


class TestStatusChanges:
    def test_win_then_reopen_then_lose(self, tenant):
        deal = make(tenant)
        won = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, status="won")
        assert won.closed_at == account_today(tenant.account)
        reopened = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=2, status="open")
        assert (reopened.closed_at, reopened.lost_reason) == (None, "")
        lost = deal_update(
            account=tenant.account, user=tenant.member, deal=deal, version=3, status="lost", lost_reason="Budget"
        )
        assert (lost.status, lost.lost_reason, lost.version) == ("lost", "Budget", 4)
        reopened = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=4, status="open")
        assert (reopened.closed_at, reopened.lost_reason) == (None, "")

    def test_reopening_with_a_reason_is_an_error(self, tenant):
        deal = make(tenant, status="lost", lost_reason="Budget")
        with pytest.raises(ValidationFailed):
            deal_update(
                account=tenant.account, user=tenant.member, deal=deal, version=1, status="open", lost_reason="Budget"
            )
        deal.refresh_from_db()
        assert (deal.status, deal.lost_reason) == ("lost", "Budget")

    def test_closed_deal_keeps_its_date_when_other_fields_change(self, tenant):
        today = account_today(tenant.account)
        deal = DealFactory(
            account=tenant.account,
            status="won",
            closed_at=today - dt.timedelta(days=5),
            created_at=timezone.now() - dt.timedelta(days=10),
        )
        later = today - dt.timedelta(days=3)
        moved = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, closed_at=later)
        renamed = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=2, name="Renamed")
        assert moved.closed_at == renamed.closed_at == later

    def test_clearing_the_date_of_a_closed_deal_is_an_error(self, tenant):
        deal = make(tenant, status="won")
        with pytest.raises(ValidationFailed) as exc:
            deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, closed_at=None)
        assert "closed_at" in exc.value.fields

    def test_value_change_is_exact(self, tenant):
        deal = make(tenant, value="10")
        with pytest.raises(ValidationFailed):
            deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, value="10.005")
        updated = deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, value="10.05")
        assert updated.value == Decimal("10.05")

    def test_conflict_and_cross_account(self, tenant, other_tenant):
        deal = make(tenant)
        deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, name="A")
        with pytest.raises(Conflict):
            deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, name="B")
        with pytest.raises(NotFound):
            deal_update(account=other_tenant.account, user=other_tenant.member, deal=deal, version=2, name="C")
        with pytest.raises(NotFound):
            deal_delete(account=other_tenant.account, user=other_tenant.member, deal=deal)
        deal.refresh_from_db()
        assert deal.name == "A"

    def test_delete(self, tenant):
        deal = make(tenant)
        deal_delete(account=tenant.account, user=tenant.member, deal=deal)
        assert not Deal.objects.for_account(tenant.account).exists()
