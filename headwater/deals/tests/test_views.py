from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.core.dates import account_today
from headwater.deals.models import Deal
from headwater.records.tests.view_contract import RecordViewContract, sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory
from headwater.testing.forms import form_values

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {"name": "Licence", "value": "1000", "currency": "PLN", "status": "open", "expected_close_date": ""}
    data |= {"closed_at": "", "lost_reason": "", "company": "", "person": "", "owner": "", "notes": ""}
    return data | overrides


class TestDealPages(RecordViewContract):
    app, model, factory = "deals", Deal, DealFactory

    def form_data(self, **overrides):
        return form_data(**overrides)


class TestList:
    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_every_role_reads_with_money_formatting(self, tenant, role):
        DealFactory(account=tenant.account, name="Big licence", value=Decimal("1234567.50"), currency="EUR")
        response = tenant.client_for(role).get(tenant.url("deals/"))
        assert response.status_code == 200
        assert "Big licence" in response.text
        assert "1,234,567.50 EUR" in response.text

    def test_polish_formatting(self, tenant, member_client):
        DealFactory(account=tenant.account, value=Decimal("1234567.50"), currency="PLN")
        member_client.cookies["django_language"] = "pl"
        text = member_client.get(tenant.url("deals/")).text
        assert "1\xa0234\xa0567,50 PLN" in text

    def test_filters_status_company_person_and_search(self, tenant, member_client):
        acme = CompanyFactory(account=tenant.account, name="Acme")
        anna = PersonFactory(account=tenant.account, first_name="Anna", last_name="Nowak")
        DealFactory(company=acme, name="Open at Acme")
        DealFactory(account=tenant.account, person=anna, name="Won with Anna", status="won")
        DealFactory(account=tenant.account, name="Lost elsewhere", status="lost")

        def names(**params):
            return {d.name for d in member_client.get(tenant.url("deals/"), params).context["page"].rows}

        assert names(status="won") == {"Won with Anna"}
        assert names(company=acme.pk) == {"Open at Acme"}
        assert names(person=anna.pk) == {"Won with Anna"}
        assert names(q="nowak") == {"Won with Anna"}
        assert names(q="acme") == {"Open at Acme"}
        bad = member_client.get(tenant.url("deals/"), {"status": "maybe"})
        assert bad.context["page"] is None
        assert "field__error" in bad.text

    def test_sort_by_value(self, tenant, member_client):
        for value in ("10", "9000", "500"):
            DealFactory(account=tenant.account, name=f"Deal {value}", value=Decimal(value))
        rows = member_client.get(tenant.url("deals/"), {"sort": "-value"}).context["page"].rows
        assert [d.name for d in rows] == ["Deal 9000", "Deal 500", "Deal 10"]


class TestCloseDaySort:
    """`?sort=-closed`: newest close first, open deals (no close day) last; the Statistics' won and lost links of a
    period use it (docs/performance.md, "The close-day drill-downs")."""

    @pytest.fixture
    def deals(self, tenant):
        base = dt.date(2026, 1, 1)
        closed = [
            DealFactory(
                account=tenant.account,
                name=f"Closed {i:02}",
                status="won" if i % 3 else "lost",
                closed_at=base + dt.timedelta(days=i // 4),  # four deals a day: ties broken by id
            )
            for i in range(52)
        ]
        opened = [DealFactory(account=tenant.account, name=f"Open {i}") for i in range(6)]
        return closed, opened

    @staticmethod
    def expected(deals, descending=True):
        closed, opened = deals
        days = sorted(closed, key=lambda d: (d.closed_at, d.pk), reverse=descending)
        lowest = sorted(opened, key=lambda d: d.pk, reverse=descending)
        return [d.pk for d in (days + lowest if descending else lowest + days)]

    def walk(self, client, url, params):
        pages = [client.get(url, params)]
        while pages[-1].context["page"].next_cursor:
            pages.append(client.get(url, {**params, "cursor": pages[-1].context["page"].next_cursor}))
        assert all(p.status_code == 200 for p in pages)
        return pages

    @pytest.mark.parametrize("descending", [True, False])
    def test_every_deal_once_in_close_day_order_forward_and_back(self, tenant, member_client, deals, descending):
        url = tenant.url("deals/")
        sort = "-closed" if descending else "closed"
        pages = self.walk(member_client, url, {"sort": sort})
        assert [d.pk for p in pages for d in p.context["page"].rows] == self.expected(deals, descending)
        assert [p.context["page"].start for p in pages] == [1, 26, 51]
        # Back from the deepest page (it crosses from the open deals to the close days, or back).
        back = member_client.get(url, {"sort": sort, "cursor": pages[-1].context["page"].prev_cursor})
        assert [d.pk for d in back.context["page"].rows] == [d.pk for d in pages[1].context["page"].rows]

    def test_the_header_sorts_newest_close_first_at_the_first_click(self, tenant, member_client, deals):
        url = tenant.url("deals/")
        unsorted = member_client.get(url).text
        assert f'href="{url}?sort=-closed"' in unsorted
        sorted_page = member_client.get(url, {"sort": "-closed"}).text
        header = re.search(
            r'<th scope="col" aria-sort="descending">\s*<a [^>]*href="([^"]+)"[^>]*>([^<]+)', sorted_page
        )
        assert header is not None
        assert header.group(1) == f"{url}?sort=closed"
        assert header.group(2).strip() == "Closed on"
        member_client.cookies["django_language"] = "pl"
        assert "Data zamknięcia" in member_client.get(url, {"sort": "-closed"}).text

    def test_a_drill_down_of_a_period_is_exact_and_newest_close_first(self, tenant, member_client, deals):
        closed, _opened = deals
        params = {"status": "won", "closed_from": "2026-01-03", "closed_to": "2026-01-10", "sort": "-closed"}
        response = member_client.get(tenant.url("deals/"), params)
        wanted = [d for d in closed if d.status == "won" and dt.date(2026, 1, 3) <= d.closed_at <= dt.date(2026, 1, 10)]
        page = response.context["page"]
        assert [d.pk for d in page.rows] == [
            d.pk for d in sorted(wanted, key=lambda d: (d.closed_at, d.pk), reverse=True)
        ]
        assert page.total == len(wanted)
        assert '<time datetime="2026-01-10">' in response.text

    def test_a_bad_or_foreign_cursor_is_a_400_not_a_500(self, tenant, member_client, deals):
        url = tenant.url("deals/")
        by_created = member_client.get(url, {"sort": "-created"}).context["page"].next_cursor
        for cursor in (by_created, "garbage", by_created[:-3] + "abc"):
            response = member_client.get(url, {"sort": "-closed", "cursor": cursor})
            assert response.status_code == 400
            assert "This link to a page of the list is not valid" in response.text


class TestCreate:
    def test_create_with_defaults(self, tenant, member_client):
        response = member_client.post(tenant.url("deals/new/"), form_data(value="1 250,50"))
        assert response.status_code == 302
        deal = Deal.objects.for_account(tenant.account).get()
        assert (deal.value, deal.currency, deal.status, deal.owner) == (Decimal("1250.50"), "PLN", "open", None)

    def test_imprecise_value_is_an_error_on_the_field(self, tenant, member_client):
        response = member_client.post(tenant.url("deals/new/"), form_data(value="10.555"))
        assert response.status_code == 200
        assert "at most 2 decimal places" in response.text
        assert not Deal.objects.for_account(tenant.account).exists()

    def test_won_sets_closed_today_and_lost_reason_rules(self, tenant, member_client):
        member_client.post(tenant.url("deals/new/"), form_data(status="won"))
        assert Deal.objects.for_account(tenant.account).get().closed_at == account_today(tenant.account)
        response = member_client.post(tenant.url("deals/new/"), form_data(status="open", lost_reason="Price"))
        assert "Only a lost deal has a lost reason" in response.text
        assert Deal.objects.for_account(tenant.account).count() == 1

    def test_from_person_prefills_person_company_and_person_source(self, tenant, member_client):
        sources_on(tenant.account)
        web, fair = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
        acme = CompanyFactory(account=tenant.account, source=web)
        anna = PersonFactory(company=acme, source=fair)
        initial = member_client.get(tenant.url("deals/new/"), {"person": anna.pk}).context["form"].initial
        assert (initial["person"], initial["company"], initial["source"]) == (anna.pk, acme.pk, fair.pk)

    def test_from_company_prefills_company_source(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account)
        acme = CompanyFactory(account=tenant.account, source=web)
        initial = member_client.get(tenant.url("deals/new/"), {"company": acme.pk}).context["form"].initial
        assert (initial["company"], initial["source"]) == (acme.pk, web.pk)

    @pytest.mark.parametrize("param", ["company", "person"])
    def test_foreign_contact_param_or_form_value_is_404(self, tenant, other_tenant, member_client, param):
        foreign = (CompanyFactory if param == "company" else PersonFactory)(account=other_tenant.account)
        assert member_client.get(tenant.url("deals/new/"), {param: foreign.pk}).status_code == 404
        assert member_client.post(tenant.url("deals/new/"), form_data(**{param: foreign.pk})).status_code == 404
        assert not Deal.objects.for_account(tenant.account).exists()

    def test_kept_default_recorded_as_default(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account)
        acme = CompanyFactory(account=tenant.account)
        anna = PersonFactory(company=acme, source=web)
        member_client.post(
            tenant.url("deals/new/"), form_data(company=acme.pk, person=anna.pk, source=web.pk, source_touched="False")
        )
        deal = Deal.objects.for_account(tenant.account).get()
        assert deal.source == web
        hows = SourceChange.objects.for_account(tenant.account).filter(record_type="deal").values_list("how", flat=True)
        assert list(hows) == [HowChanged.DEFAULT]


class TestEditDelete:
    def test_reopen_clears_closing(self, tenant, member_client):
        deal = DealFactory(
            account=tenant.account, status="lost", closed_at=account_today(tenant.account), lost_reason="x"
        )
        form = member_client.get(tenant.url(f"deals/{deal.pk}/edit/")).context["form"]
        assert form.initial["value"] == "1000.00"
        response = member_client.post(tenant.url(f"deals/{deal.pk}/edit/"), form_data(status="open", version=1))
        assert response.status_code == 302
        deal.refresh_from_db()
        assert (deal.status, deal.closed_at, deal.lost_reason) == ("open", None, "")

    def test_closing_date_before_creation_is_refused(self, tenant, member_client):
        deal = DealFactory(account=tenant.account)
        day_before = (account_today(tenant.account) - dt.timedelta(days=1)).isoformat()
        response = member_client.post(
            tenant.url(f"deals/{deal.pk}/edit/"), form_data(status="won", closed_at=day_before, version=1)
        )
        assert response.status_code == 200
        assert "cannot be before the day the deal was created" in response.text
        deal.refresh_from_db()
        assert deal.status == "open"

    @pytest.mark.parametrize("field", ["person", "company", "owner"])
    def test_a_link_that_is_no_id_is_refused_not_a_500(self, tenant, member_client, field):
        # "¹" is a digit to str.isdigit() but not to int(): the trust fuzzer found it crashing the person picker.
        deal = DealFactory(account=tenant.account, name="Old")
        response = member_client.post(tenant.url(f"deals/{deal.pk}/edit/"), form_data(**{field: "¹"}, version=1))
        assert response.status_code == 200
        deal.refresh_from_db()
        assert (deal.name, deal.version) == ("Old", 1)


class TestSearchAndPickers:
    def test_searched_list_query_count_does_not_grow_with_rows(self, tenant, member_client):
        acme = CompanyFactory(account=tenant.account, name="Acme")
        DealFactory(company=acme, name="Licencja")

        def queries(q):
            with CaptureQueriesContext(connection) as ctx:
                response = member_client.get(tenant.url("deals/"), {"q": q})
            assert response.status_code == 200
            return len(ctx.captured_queries)

        # A rare search (the page is read among the matching ids), a short one, and one matching nothing.
        few = [queries(q) for q in ("ACME licencja", "ac", "zzzz")]
        for _ in range(30):
            DealFactory(company=acme, person=PersonFactory(account=tenant.account), name="Licencja")
        assert [queries(q) for q in ("ACME licencja", "ac", "zzzz")] == few

    def test_unicode_search_in_the_list(self, tenant, member_client):
        anna = PersonFactory(account=tenant.account, first_name="Anna", last_name="Wiśniewska")
        DealFactory(person=anna, name="Serwis")
        rows = member_client.get(tenant.url("deals/"), {"q": "WIŚNIEWSKA"}).context["page"].rows
        assert [d.name for d in rows] == ["Serwis"]

    def test_person_options_name_their_company(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        acme = CompanyFactory(account=tenant.account, name="Acme", source=web)
        anna = PersonFactory(company=acme, first_name="Anna", last_name="Nowak")
        form = member_client.get(tenant.url("deals/new/")).text
        assert "data-person-fills-company" in form
        option = f'<option value="{anna.pk}" data-name="Anna Nowak" data-company="{acme.pk}" data-company-label="Acme" '
        option += f'data-company-source="{web.pk}"'
        assert option in form
        looked_up = member_client.get(tenant.url("persons/lookup/"), {"person_search": "nowak"}).text
        assert f'data-company="{acme.pk}"' in looked_up
        assert 'data-company-label="Acme"' in looked_up

    def test_help_text_is_what_aria_describedby_names(self, tenant, member_client):
        form = member_client.get(tenant.url("deals/new/")).text
        assert 'aria-describedby="id_closed_at_helptext"' in form
        assert 'id="id_closed_at_helptext"' in form


class TestDealDates:
    """A close day is never in the future (the account's today); expected close dates stay within 1900-2100."""

    def test_a_deal_won_in_the_future_is_refused_and_not_won_lately(self, tenant, member_client):
        tomorrow = account_today(tenant.account) + dt.timedelta(days=1)
        for closed_at in ("2030-01-01", tomorrow.isoformat()):
            response = member_client.post(tenant.url("deals/new/"), form_data(status="won", closed_at=closed_at))
            assert response.status_code == 200
            assert "The closing date cannot be in the future" in response.text
        assert not Deal.objects.for_account(tenant.account).exists()
        today = account_today(tenant.account)
        response = member_client.post(tenant.url("deals/new/"), form_data(status="won", closed_at=today.isoformat()))
        assert response.status_code == 302
        assert Deal.objects.for_account(tenant.account).get().closed_at == today

    def test_the_account_time_zone_decides_what_today_is(self, tenant, member_client):
        tenant.account.time_zone = "Pacific/Kiritimati"  # UTC+14: its today is a day ahead of UTC's most hours
        tenant.account.save()
        today = account_today(tenant.account)
        response = member_client.post(tenant.url("deals/new/"), form_data(status="won", closed_at=today.isoformat()))
        assert response.status_code == 302
        assert Deal.objects.for_account(tenant.account).get().closed_at == today

    def test_a_future_close_day_stored_earlier_is_not_won_lately(self, tenant, member_client):
        DealFactory(
            account=tenant.account, name="Dated 2030", status="won", closed_at=dt.date(2030, 1, 1), value=Decimal("777")
        )
        dashboard = member_client.get(tenant.url(""))
        assert dashboard.context["dashboard"].won.count == 0

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
    def test_an_expected_close_date_outside_the_window_is_refused(self, tenant, member_client, day):
        response = member_client.post(tenant.url("deals/new/"), form_data(expected_close_date=day))
        assert response.status_code == 200
        assert "Enter an expected close date between 1 Jan 1900 and 31 Dec 2100." in response.text
        assert not Deal.objects.for_account(tenant.account).exists()

    @pytest.mark.parametrize("day", ["1900-01-01", "2100-12-31"])
    def test_the_window_includes_its_ends(self, tenant, member_client, day):
        response = member_client.post(tenant.url("deals/new/"), form_data(expected_close_date=day))
        assert response.status_code == 302
        assert Deal.objects.for_account(tenant.account).get().expected_close_date == dt.date.fromisoformat(day)

    def test_the_error_names_the_window_in_polish(self, tenant, member_client):
        member_client.cookies["django_language"] = "pl"
        response = member_client.post(tenant.url("deals/new/"), form_data(expected_close_date="9999-12-31"))
        assert "01.01.1900" in response.text
        assert "31.12.2100" in response.text

    def test_a_deal_stored_before_the_rules_stays_editable(self, tenant, member_client):
        deal = DealFactory(
            account=tenant.account, status="won", closed_at=dt.date(2030, 1, 1), expected_close_date=dt.date(1, 1, 1)
        )
        page = member_client.get(tenant.url(f"deals/{deal.pk}/edit/"))
        data = form_values(page.content.decode()) | {"name": "Renamed only"}
        assert member_client.post(tenant.url(f"deals/{deal.pk}/edit/"), data).status_code == 302
        deal.refresh_from_db()
        assert (deal.name, deal.closed_at, deal.expected_close_date) == (
            "Renamed only",
            dt.date(2030, 1, 1),
            dt.date(1, 1, 1),
        )
        # Changing such a date is checked like any new one.
        data |= {"version": "2", "closed_at": "2031-01-01"}
        response = member_client.post(tenant.url(f"deals/{deal.pk}/edit/"), data)
        assert "The closing date cannot be in the future" in response.text


def _field_wrapper(html, name):
    start = html.index(f'id="field-{name}"')
    return html[start : html.index(">", start)]


class TestStatusButtons:
    """The deal page's Mark as won / Mark as lost (with its reason) / Reopen, through the edit form's service."""

    def test_an_open_deal_offers_won_and_lost_to_members_only(self, tenant):
        deal = DealFactory(account=tenant.account)
        for role in ("admin", "member"):
            page = tenant.client_for(role).get(tenant.url(f"deals/{deal.pk}/")).content.decode()
            assert "Mark as won" in page
            assert "Mark as lost" in page
            assert "Why was it lost?" in page
            assert "Reopen" not in page
            assert "Closed on" not in page
            assert "Lost reason" not in page
        viewer = tenant.client_for("viewer").get(tenant.url(f"deals/{deal.pk}/")).content.decode()
        assert "Mark as won" not in viewer
        assert "Why was it lost?" not in viewer

    def test_won_then_lost_with_a_reason_then_reopened(self, tenant, member_client):
        deal = DealFactory(account=tenant.account, name="Pilot")
        url = tenant.url(f"deals/{deal.pk}/status/")
        response = member_client.post(url, {"status": "won", "version": "1"}, follow=True)
        assert "Deal “Pilot” marked as won." in response.content.decode()
        deal.refresh_from_db()
        assert (deal.status, deal.closed_at, deal.version) == ("won", account_today(tenant.account), 2)
        page = response.content.decode()
        assert "Mark as won" not in page
        assert "Reopen" in page
        response = member_client.post(url, {"status": "lost", "version": "2", "lost_reason": " Too expensive "})
        assert response.status_code == 302
        deal.refresh_from_db()
        assert (deal.status, deal.lost_reason, deal.closed_at) == (
            "lost",
            "Too expensive",
            account_today(tenant.account),
        )
        detail = member_client.get(tenant.url(f"deals/{deal.pk}/")).content.decode()
        assert "Too expensive" in detail
        response = member_client.post(url, {"status": "open", "version": "3"})
        assert response.status_code == 302
        deal.refresh_from_db()
        assert (deal.status, deal.lost_reason, deal.closed_at) == ("open", "", None)
        history = SourceChange.objects.for_account(tenant.account).filter(record_id=deal.pk)
        assert not history.exists()

    def test_a_stale_page_is_refused_and_changes_nothing(self, tenant, member_client):
        deal = DealFactory(account=tenant.account, name="Pilot")
        member_client.post(tenant.url(f"deals/{deal.pk}/edit/"), form_data(name="Renamed", version=1))
        response = member_client.post(tenant.url(f"deals/{deal.pk}/status/"), {"status": "lost", "version": "1"})
        assert response.status_code == 200
        assert "Someone else changed this record in the meantime" in response.content.decode()
        deal.refresh_from_db()
        assert (deal.status, deal.version) == ("open", 2)

    def test_a_long_reason_is_refused_on_the_lost_form(self, tenant, member_client):
        deal = DealFactory(account=tenant.account)
        response = member_client.post(
            tenant.url(f"deals/{deal.pk}/status/"), {"status": "lost", "version": "1", "lost_reason": "x" * 301}
        )
        text = response.content.decode()
        assert "At most 300 characters; you typed 301." in text
        assert "data-open" in text  # the lost panel stays open on its error
        deal.refresh_from_db()
        assert deal.status == "open"

    def test_viewers_other_accounts_and_gets_are_refused(self, tenant, other_tenant, viewer_client, member_client):
        deal = DealFactory(account=tenant.account)
        assert (
            viewer_client.post(tenant.url(f"deals/{deal.pk}/status/"), {"status": "won", "version": "1"}).status_code
            == 403
        )
        theirs = DealFactory(account=other_tenant.account)
        assert (
            member_client.post(tenant.url(f"deals/{theirs.pk}/status/"), {"status": "won", "version": "1"}).status_code
            == 404
        )
        assert member_client.get(tenant.url(f"deals/{deal.pk}/status/")).status_code == 405
        for bad in ({"status": "maybe", "version": "1"}, {"status": "won", "version": "x"}, {}):
            assert member_client.post(tenant.url(f"deals/{deal.pk}/status/"), bad).status_code == 200
        deal.refresh_from_db()
        theirs.refresh_from_db()
        assert deal.status == theirs.status == "open"


class TestClosingFieldsFollowTheStatus:
    def test_a_new_deal_hides_closed_on_and_lost_reason(self, tenant, member_client):
        html = member_client.get(tenant.url("deals/new/")).content.decode()
        assert " hidden" in _field_wrapper(html, "closed_at")
        assert " hidden" in _field_wrapper(html, "lost_reason")
        assert 'data-shown-for="won lost"' in _field_wrapper(html, "closed_at")
        assert 'data-shown-for="lost"' in _field_wrapper(html, "lost_reason")

    def test_a_won_deal_shows_closed_on_and_a_lost_one_its_reason_too(self, tenant, member_client):
        won = DealFactory(account=tenant.account, status="won", closed_at=account_today(tenant.account))
        html = member_client.get(tenant.url(f"deals/{won.pk}/edit/")).content.decode()
        assert " hidden" not in _field_wrapper(html, "closed_at")
        assert " hidden" in _field_wrapper(html, "lost_reason")
        lost = DealFactory(account=tenant.account, status="lost", closed_at=account_today(tenant.account))
        html = member_client.get(tenant.url(f"deals/{lost.pk}/edit/")).content.decode()
        assert " hidden" not in _field_wrapper(html, "closed_at")
        assert " hidden" not in _field_wrapper(html, "lost_reason")

    def test_a_field_with_an_error_is_shown_whatever_the_status(self, tenant, member_client):
        response = member_client.post(tenant.url("deals/new/"), form_data(status="open", closed_at="2026-01-01"))
        html = response.content.decode()
        assert "An open deal has no closing date" in html
        assert " hidden" not in _field_wrapper(html, "closed_at")


class TestIds:
    """What a screen reader follows: a label's `for` and a field's aria-describedby name one element each."""

    @staticmethod
    def assert_ids_sound(html):
        ids = re.findall(r'\sid="([^"]+)"', html)
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        assert not doubled, f"ids used twice: {doubled}"
        named = re.findall(r'\s(?:for|aria-describedby|aria-labelledby|aria-controls)="([^"]+)"', html)
        missing = sorted({ref for refs in named for ref in refs.split() if ref not in ids})
        assert not missing, f"named but not on the page: {missing}"

    def test_the_deal_page_with_its_status_forms(self, tenant, member_client):
        # Won, Lost and Reopen are a form each: they had one id_status and id_version each.
        deal = DealFactory(account=tenant.account, status="won", closed_at=dt.date(2026, 1, 5))
        self.assert_ids_sound(member_client.get(tenant.url(f"deals/{deal.pk}/")).text)
        lost = member_client.post(tenant.url(f"deals/{deal.pk}/status/"), {"status": "lost", "lost_reason": "x" * 301})
        assert lost.status_code == 200
        assert 'id="id_lost_lost_reason_error"' in lost.text
        self.assert_ids_sound(lost.text)

    def test_a_form_sent_back_with_errors(self, tenant, member_client):
        # Django names the errors id_name_error in the field's aria-describedby: the page must carry that id.
        response = member_client.post(tenant.url("deals/new/"), form_data(name=""))
        assert 'aria-describedby="id_name_error"' in response.text
        self.assert_ids_sound(response.text)
