"""axe-core over every kind of page, in English and Polish, on a desktop and a phone: no serious or critical
violation, and no doubled id or reference to a missing one (axe 4.12 no longer checks those by default).

The demo data (`make run`'s accounts) gives every page something real to show: long lists, a history, rates,
members and invitations. Each page kind is visited once per language and width (one browser page, logged in once
per pair), with the states a user reaches on it: a form sent back with its errors, the inline rename of a source, a
typeahead with its options open, a new API token's secret. `test_every_page_kind_is_checked` keeps the list whole:
a new named URL fails it until it is visited here or skipped with a reason.

axe is injected with `page.evaluate`, which the DevTools protocol runs outside the page's Content-Security-Policy,
so the pages are checked under the policy they are served with (no `bypass_csp`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from headwater.campaigns.services import campaign_create
from headwater.capture.models import MappingRule
from headwater.capture.services import capture_rules_seed_defaults, lead_capture
from headwater.channels.models import Channel
from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.demo.loader import DEMO_PASSWORD, demo_data_load
from headwater.leadforms.models import LeadForm
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.spend.services import spend_create
from headwater.users import links
from headwater.users.models import Membership, Role, User
from headwater.users.services import invitation_create
from tests.trust.test_guard import url_names

LANGUAGES = ("en", "pl")
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
# Pages whose look the fixes changed (colours, underlines, ids): saved in var/screenshots to be looked at.
SHOTS = {"log in", "deal, won", "add deal, errors", "API tokens, new secret", "sources", "statistics"}

# Named URLs no page kind of their own stands for, with the reason.
SKIPPED = {
    "core:healthz": "plain text for the load balancer",
    "users:logout": "POST only; answers with a redirect",
    "users:set_language": "POST only; answers with a redirect",
    "users:invitation_accept": "POST only; answers with a redirect",
    "users:invitation_decline": "POST only; answers with a redirect",
    "users:api_token_revoke": "POST only; re-renders the API tokens panel, checked on its page",
    "companies:quick_create": "POST only (the typeahead's “create”); answers with the picked option",
    "persons:quick_create": "POST only (the typeahead's “create”); answers with the picked option",
    "deals:status": "POST only (Won, Lost, Reopen); re-renders the status panel of the deal page",
    "sources:switches": "POST only; re-renders the catalogue, checked on the settings page",
    "sources:add": "POST only; re-renders the catalogue, checked on the settings page with an error",
    "sources:reorder": "POST only; re-renders the catalogue, checked on the settings page",
    "sources:move": "POST only; re-renders the catalogue, checked on the settings page",
    "sources:archive": "POST only; re-renders the catalogue, checked on the settings page",
    "sources:unarchive": "POST only; re-renders the catalogue, checked on the settings page",
    "sources:alias_add": "POST only; re-renders the aliases panel, checked on the settings page with an error",
    "sources:alias_delete": "POST only; re-renders the aliases panel, checked on the settings page",
    "sources:channel": "POST only; re-renders the catalogue, checked on the settings page",
    "channels:add": "POST only; answers with a redirect (its errors: the channels page, visited)",
    "channels:rename": "POST only; answers with a redirect (its errors: the channels page)",
    "channels:move": "POST only; answers with a redirect to the channels page",
    "campaigns:archive": "POST only; answers with a redirect to the source's campaigns",
    "account_settings:member_role": "POST only; answers with a redirect to the members page",
    "account_settings:invitation_renew": "POST only; answers with a redirect to the members page",
    "account_settings:invitation_revoke": "POST only; answers with a redirect to the members page",
    "stats:sources_csv": "a CSV file, not a page",
    "leadforms_public:submit": "the embedded form's JSON endpoint, not a page",
    "leadforms_public:description": "JSON for the embed script, not a page",
    "leadforms_public:embed_js": "a script, not a page",
    "capture:rule_move": "POST only; answers with a redirect to the rules page",
    "capture:rule_defaults": "POST only; answers with a redirect to the rules page",
    "capture:reapply": "POST only; answers with a redirect to the rules page",
    "touches:company": "the same page as a person's touches (touches:person), for a company",
    "touches:deal": "the same page as a person's touches (touches:person), for a deal",
    "stats:recompute": "POST only; answers with a redirect to the statistics page",
    "jobs:progress": "an htmx fragment polled inside a page; the demo has no job (jobs/tests/test_browser.py)",
    "jobs:detail": "the demo has no job: a big list's export opens it (records/tests/test_export_browser.py)",
    "jobs:download": "an XLSX file, not a page",
    "imports:template": "a CSV file, not a page",
    "imports:mapping": "POST only; answers with a redirect to the import page (its errors: that page)",
    "imports:rejected": "a CSV file, not a page",
    "stats:sources_xlsx": "an XLSX file, not a page",
    "stats:cohorts_csv": "a CSV file, not a page",
    "stats:cohorts_xlsx": "an XLSX file, not a page",
    "companies:export_csv": "a CSV file, not a page",
    "companies:export_xlsx": "an XLSX file, not a page",
    "companies:bulk_change": "POST only; answers with a redirect to the list (its errors: the list page, visited)",
    "persons:export_csv": "a CSV file, not a page",
    "persons:export_xlsx": "an XLSX file, not a page",
    "persons:bulk_change": "POST only; answers with a redirect to the list (its errors: the list page, visited)",
    "deals:export_csv": "a CSV file, not a page",
    "deals:export_xlsx": "an XLSX file, not a page",
    "deals:bulk_change": "POST only; answers with a redirect to the list (its errors: the list page, visited)",
}


# What axe 4.12 no longer checks by default (its duplicate-id rules are deprecated), but a label or an ARIA
# reference pointing at a doubled or missing id silently names the wrong field or nothing.
ID_CHECK = """() => {
  const problems = [];
  const count = {};
  for (const element of document.querySelectorAll("[id]")) count[element.id] = (count[element.id] || 0) + 1;
  for (const [id, n] of Object.entries(count)) if (n > 1) problems.push(`duplicate-id (serious, ${n}x): #${id}`);
  const refs = [["label", "for"], ["[aria-labelledby]", "aria-labelledby"], ["[aria-describedby]", "aria-describedby"],
                ["[aria-controls]", "aria-controls"], ["[aria-activedescendant]", "aria-activedescendant"]];
  for (const [selector, attribute] of refs) {
    for (const element of document.querySelectorAll(selector)) {
      for (const id of (element.getAttribute(attribute) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`missing-id (serious): ${attribute}="${id}"`);
      }
    }
  }
  return problems;
}"""


@dataclass(frozen=True)
class World:
    """What the visits point at: the demo account and one record or object of each kind."""

    account: str
    other_account: str
    company: int
    person: int
    open_deal: int
    won_deal: int
    source: int
    channel: int
    campaign: int
    spend: int
    membership: int
    signup_token: str
    confirm_token: str
    invitation_token: str
    rule: int
    lead_form: int
    form_key: str


Act = Callable[[Page], None]
_TOKENS = itertools.count(1)


@dataclass(frozen=True)
class Visit:
    """One page kind in one state. `path` is formatted with the World; `act` brings the page into the state."""

    label: str
    names: tuple[str, ...]
    path: str
    who: str = "admin"
    status: int = 200
    act: Act | None = field(default=None, compare=False)


def _submit_empty(page: Page) -> None:
    page.locator("form.record-form button[type=submit].button--primary").click()
    expect(page.locator(".field__error").first).to_be_visible()


def _clear_and_submit(page: Page) -> None:
    page.locator("form.record-form input[name$=name]:visible").first.fill("")
    _submit_empty(page)


def _open_typeahead(page: Page, *, field: str = "company") -> None:
    page.locator(f"#id_{field}[role=combobox]").fill("a")
    expect(page.locator("[role=listbox]:visible")).to_have_count(1)


def _open_person_typeahead(page: Page) -> None:
    _open_typeahead(page, field="person")


def _open_stats_parts(page: Page) -> None:
    """Open the Statistics page's drill-downs that load when opened: the first source's campaigns, both trend
    charts' figures; wait for their tables."""
    page.locator("details.stats-campaigns > summary").first.click()
    expect(page.locator("details.stats-campaigns table").first).to_be_visible()
    for figures in ("contacts", "won"):
        page.locator(f"#stats-trend-{figures}-figures > summary").click()
        expect(page.locator(f"#stats-trend-{figures}")).to_be_visible()


def _inline_rename(page: Page) -> None:
    page.locator("#sources-catalogue tbody a[hx-get*='/rename/']").first.click()
    expect(page.locator(".source-rename input[type=text]")).to_be_focused()


def _inline_alias_edit(page: Page) -> None:
    page.locator("#sources-aliases tbody a[hx-get*='/aliases/']").first.click()
    expect(page.locator(".alias-edit input[type=text]")).to_be_focused()


def _alias_error(page: Page) -> None:
    page.locator(".alias-add button[type=submit]").click()
    expect(page.locator(".alias-add .field__error").first).to_be_visible()


def _duplicate_source(page: Page) -> None:
    page.locator(".source-add input[type=text]").fill(page.locator(".source-name").first.inner_text())
    page.locator(".source-add button[type=submit]").click()
    expect(page.locator(".source-add .field__error")).to_be_visible()


def _duplicate_channel(page: Page) -> None:
    page.locator(".channel-add input[type=text]").fill(page.locator(".channel-table tbody th").first.inner_text())
    page.locator(".channel-add button[type=submit]").click()
    expect(page.locator(".channel-add .field__error")).to_be_visible()


def _spend_error(page: Page) -> None:
    page.locator("#id_amount").fill("0")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".field__error").first).to_be_visible()


def _new_token(page: Page) -> None:
    # A name of its own in every context: a second token with the same name is refused.
    page.locator("#id_token-name").fill(f"Accessibility check {next(_TOKENS)}")
    page.locator("#api-tokens .button--primary").click()
    expect(page.locator("#new-api-token")).to_be_visible()


SAMPLE_FILE = Path(__file__).resolve().parent.parent / "docs" / "samples" / "import-sample.csv"


def _upload_sample(page: Page) -> None:
    page.locator("input[type=file]").set_input_files(str(SAMPLE_FILE))
    page.locator("form button[type=submit].button--primary").click()
    expect(page.locator("#import-workspace table")).to_be_visible()


def _import_sources(page: Page) -> None:
    _upload_sample(page)
    page.locator("a.button--primary[href$='/sources/']").click()
    expect(page.locator("#sources-title")).to_be_visible()


def _import_duplicates(page: Page) -> None:
    _import_sources(page)
    page.locator("form button[type=submit].button--primary").click()
    expect(page.locator("#duplicates-title")).to_be_visible()


def _import_preview(page: Page) -> None:
    _import_duplicates(page)
    page.locator("form button[type=submit].button--primary").click()
    expect(page.locator("#counts-title")).to_be_visible()


def _rule_preview(page: Page) -> None:
    page.locator("input[name=utm_source]").fill("newsletter")
    page.locator("select[name=target]").select_option(index=1)
    page.locator("form button[type=submit].button--primary").click()
    expect(page.locator("#rule-preview")).to_be_visible()


def _send_empty(page: Page) -> None:
    page.locator("form button[type=submit]").click()
    expect(page.locator(".field__error").first).to_be_visible()


def _bad_origins(page: Page) -> None:
    page.locator("textarea[name=allowed_origins]").fill("shop.example.pl/contact")
    page.locator("form button[type=submit].button--primary").click()
    expect(page.locator("#id_allowed_origins_error")).to_be_visible()


def _import_undo(page: Page) -> None:
    _import_preview(page)
    page.locator("form button[type=submit].button--primary").click()
    page.locator("a[href$='/undo/']").click()
    expect(page.locator("#undo-title")).to_be_visible()


def _signup_sent(page: Page) -> None:
    page.locator("input[name=full_name]").fill("Ada Check")
    page.locator("input[name=email]").fill("ada@check.test")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def _login_error(page: Page) -> None:
    page.locator("input[name=username]").fill("nobody@check.test")
    page.locator("input[name=password]").fill("wrong password")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".form__errors, [role=alert]").first).to_be_visible()


A = "/a/{w.account}"
VISITS = [
    # Logged out.
    Visit("log in", ("users:login",), "/login/", who="anonymous"),
    Visit("log in, wrong password", ("users:login",), "/login/", who="anonymous", act=_login_error),
    Visit("sign up", ("users:signup",), "/signup/", who="anonymous"),
    Visit("sign up, link sent", ("users:signup",), "/signup/", who="anonymous", act=_signup_sent),
    Visit("sign up, choose a password", ("users:signup_confirm",), "/signup/confirm/{w.signup_token}/", "anonymous"),
    Visit("confirm an address", ("users:email_confirm",), "/confirm/{w.confirm_token}/", who="anonymous"),
    Visit("invitation, new login", ("users:invitation",), "/invitation/{w.invitation_token}/", who="anonymous"),
    Visit("link not valid", ("users:invitation",), "/invitation/not-a-token/", who="anonymous", status=400),
    Visit("a lead form's page", ("leadforms_public:hosted",), "/f/{w.form_key}?utm_source=x", who="anonymous"),
    Visit("a lead form's page, errors", ("leadforms_public:hosted",), "/f/{w.form_key}", "anonymous", act=_send_empty),
    Visit("a lead form's thanks", ("leadforms_public:thanks",), "/f/{w.form_key}/thanks", who="anonymous"),
    # The admin of the demo account.
    Visit("home", ("core:home",), "/"),
    Visit("new account", ("users:account_new",), "/accounts/new/"),
    Visit("profile", ("users:profile",), "/me/"),
    Visit("API tokens", ("users:api_tokens",), "/me/api-tokens/"),
    Visit("API tokens, new secret", ("users:api_tokens",), "/me/api-tokens/", act=_new_token),
    Visit("dashboard", ("account:dashboard",), A + "/"),
    Visit("companies", ("companies:list",), A + "/companies/"),
    Visit("companies, filtered", ("companies:list",), A + "/companies/?q=pol&source={w.source}&sort=-created_at"),
    Visit("company", ("companies:detail",), A + "/companies/{w.company}/"),
    Visit("add company", ("companies:create",), A + "/companies/new/"),
    Visit("add company, errors", ("companies:create",), A + "/companies/new/", act=_submit_empty),
    Visit("edit company", ("companies:edit",), A + "/companies/{w.company}/edit/"),
    Visit("edit company, errors", ("companies:edit",), A + "/companies/{w.company}/edit/", act=_clear_and_submit),
    Visit("delete company", ("companies:delete",), A + "/companies/{w.company}/delete/"),
    Visit("persons", ("persons:list",), A + "/persons/"),
    Visit("persons, filtered", ("persons:list",), A + "/persons/?q=an&company={w.company}"),
    Visit("person", ("persons:detail",), A + "/persons/{w.person}/"),
    Visit("add person", ("persons:create",), A + "/persons/new/"),
    Visit("add person, errors", ("persons:create",), A + "/persons/new/", act=_submit_empty),
    Visit(
        "add person, company typeahead open",
        ("persons:create", "companies:lookup"),
        A + "/persons/new/",
        act=_open_typeahead,
    ),
    Visit("edit person", ("persons:edit",), A + "/persons/{w.person}/edit/"),
    Visit("delete person", ("persons:delete",), A + "/persons/{w.person}/delete/"),
    Visit("deals", ("deals:list",), A + "/deals/"),
    Visit("deals, filtered", ("deals:list",), A + "/deals/?status=won&created_from=2020-01-01&sort=-value"),
    Visit("deals, a day out of range", ("deals:list",), A + "/deals/?created_from=0001-01-01"),
    Visit("deals, bad page number", ("deals:list",), A + "/deals/?page=9999", status=400),
    Visit("deal, open", ("deals:detail",), A + "/deals/{w.open_deal}/"),
    Visit("deal, won", ("deals:detail",), A + "/deals/{w.won_deal}/"),
    Visit("add deal", ("deals:create",), A + "/deals/new/"),
    Visit("add deal, errors", ("deals:create",), A + "/deals/new/", act=_submit_empty),
    Visit(
        "add deal, person typeahead open",
        ("deals:create", "persons:lookup"),
        A + "/deals/new/",
        act=_open_person_typeahead,
    ),
    Visit("edit deal", ("deals:edit",), A + "/deals/{w.won_deal}/edit/"),
    Visit("delete deal", ("deals:delete",), A + "/deals/{w.open_deal}/delete/"),
    Visit("statistics", ("stats:sources",), A + "/stats/sources/"),
    Visit("statistics, compared", ("stats:sources",), A + "/stats/sources/?period=this_year&compare=on"),
    Visit("statistics, sources off", ("stats:sources",), "/a/{w.other_account}/stats/sources/"),
    Visit("statistics, drill-downs opened", ("stats:sources",), A + "/stats/sources/", act=_open_stats_parts),
    Visit(
        "statistics, a source's campaigns apart",
        ("stats:sources_campaigns",),
        A + "/stats/sources/campaigns/?source={w.source}",
    ),
    Visit(
        "statistics, a source's campaigns, bad source",
        ("stats:sources_campaigns",),
        A + "/stats/sources/campaigns/?source=x",
        status=400,
    ),
    Visit(
        "statistics, trend figures apart",
        ("stats:sources_trend_figures",),
        A + "/stats/sources/trend-figures/?figures=won",
    ),
    Visit("statistics, cohorts", ("stats:cohorts",), A + "/stats/cohorts/"),
    Visit("statistics, cohorts, a bad month", ("stats:cohorts",), A + "/stats/cohorts/?start=2025-13", status=400),
    Visit("account settings", ("account_settings:general",), A + "/settings/"),
    Visit("members", ("account_settings:members",), A + "/settings/members/"),
    Visit("remove a member", ("account_settings:member_remove",), A + "/settings/members/{w.membership}/remove/"),
    Visit("sources", ("sources:settings",), A + "/settings/sources/"),
    Visit("sources, add error", ("sources:settings",), A + "/settings/sources/", act=_duplicate_source),
    Visit(
        "sources, inline rename", ("sources:settings", "sources:rename"), A + "/settings/sources/", act=_inline_rename
    ),
    Visit(
        "sources, inline alias edit",
        ("sources:settings", "sources:alias_edit"),
        A + "/settings/sources/",
        act=_inline_alias_edit,
    ),
    Visit("sources, alias error", ("sources:settings",), A + "/settings/sources/", act=_alias_error),
    Visit("delete a source", ("sources:delete",), A + "/settings/sources/{w.source}/delete/"),
    Visit("merge a source", ("sources:merge",), A + "/settings/sources/{w.source}/merge/"),
    Visit("source history", ("sources:history",), A + "/settings/sources/history/"),
    Visit("channels", ("channels:settings",), A + "/settings/channels/"),
    Visit("channels, add error", ("channels:settings",), A + "/settings/channels/", act=_duplicate_channel),
    Visit("delete a channel", ("channels:delete",), A + "/settings/channels/{w.channel}/delete/"),
    Visit("campaigns", ("campaigns:of_source",), A + "/settings/campaigns/source/{w.source}/"),
    Visit("edit campaign", ("campaigns:edit",), A + "/settings/campaigns/{w.campaign}/edit/"),
    Visit("delete campaign", ("campaigns:delete",), A + "/settings/campaigns/{w.campaign}/delete/"),
    Visit("spend", ("spend:ledger",), A + "/settings/spend/"),
    Visit("add spend, error", ("spend:add",), A + "/settings/spend/add/", act=_spend_error),
    Visit("import spend", ("imports:spend",), A + "/import/spend/"),
    Visit("edit spend", ("spend:edit",), A + "/settings/spend/{w.spend}/edit/"),
    Visit("delete spend", ("spend:delete",), A + "/settings/spend/{w.spend}/delete/"),
    Visit("exchange rates", ("rates:settings",), A + "/settings/rates/"),
    Visit("import", ("imports:start",), A + "/import/"),
    Visit("import, a file read", ("imports:detail",), A + "/import/", act=_upload_sample),
    Visit("import, source values", ("imports:sources",), A + "/import/", act=_import_sources),
    Visit("import, duplicates", ("imports:duplicates",), A + "/import/", act=_import_duplicates),
    Visit("import, preview", ("imports:preview",), A + "/import/", act=_import_preview),
    Visit("import, undo", ("imports:undo",), A + "/import/", act=_import_undo),
    Visit("lead capture rules", ("capture:rules",), A + "/settings/capture/"),
    Visit("add a rule", ("capture:rule_add",), A + "/settings/capture/rules/add/"),
    Visit("add a rule, preview", ("capture:rule_add",), A + "/settings/capture/rules/add/", act=_rule_preview),
    Visit("change a rule", ("capture:rule_edit",), A + "/settings/capture/rules/{w.rule}/edit/"),
    Visit("delete a rule", ("capture:rule_delete",), A + "/settings/capture/rules/{w.rule}/delete/"),
    Visit(
        "test a link",
        ("capture:link_test",),
        A + "/settings/capture/test/?landing_url=https%3A%2F%2Fx.pl%2F%3Fgclid%3D1&referrer=https%3A%2F%2Fgoogle.pl%2F",
    ),
    Visit("unmatched values", ("capture:unmatched",), A + "/settings/capture/unmatched/"),
    Visit("a person's touches", ("touches:person",), A + "/touches/person/{w.person}/"),
    Visit("lead forms", ("leadforms:forms",), A + "/settings/capture/forms/"),
    Visit("add a lead form", ("leadforms:add",), A + "/settings/capture/forms/add/"),
    Visit("add a lead form, errors", ("leadforms:add",), A + "/settings/capture/forms/add/", act=_bad_origins),
    Visit("change a lead form", ("leadforms:edit",), A + "/settings/capture/forms/{w.lead_form}/edit/"),
    Visit("embed a lead form", ("leadforms:snippet",), A + "/settings/capture/forms/{w.lead_form}/embed/"),
    Visit("delete a lead form", ("leadforms:delete",), A + "/settings/capture/forms/{w.lead_form}/delete/"),
    Visit("404", (), A + "/deals/987654321/", status=404),
    # A viewer of the demo account.
    Visit("403", (), A + "/settings/sources/", who="viewer", status=403),
]


def test_no_template_comment_spans_lines():
    """Django's {# #} ends at its line: one spread over two is printed on the page (it was, atop every page)."""
    root = Path(__file__).resolve().parent.parent / "headwater"
    spread = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert not spread, f"Use {{% comment %}} for a comment over several lines: {spread}"


def test_every_page_kind_is_checked():
    html = {name for name in url_names() if not name.startswith("api:")}
    visited = {name for visit in VISITS for name in visit.names}
    assert not html - visited - set(SKIPPED), f"Visit these in VISITS or skip them with a reason: {html - visited}"
    assert not (visited | set(SKIPPED)) - html, "VISITS or SKIPPED name a URL that no longer exists"
    assert not visited & set(SKIPPED), "a URL is both visited and skipped"


@pytest.fixture
def world(transactional_db: Any, live_server: Any) -> World:
    demo_data_load()
    account = Account.objects.get(slug="demo")
    deals = Deal.objects.for_account(account).order_by("pk")
    source = Source.objects.for_account(account).filter(archived=False).order_by("position").first()
    admin = User.objects.get(email="admin@demo.test")
    invitation_create(account=account, user=admin, email="new@check.test", role=Role.MEMBER, site_url="http://x")
    token = re.search(r"/invitation/([^/\s]+)/", mail.outbox[-1].body)
    assert token is not None
    # The demo account was created with the default rules; seeding again adds none (it is idempotent).
    capture_rules_seed_defaults(account=account, user=admin)
    rules = list(MappingRule.objects.for_account(account))
    person = Person.objects.for_account(account).order_by("pk").first()
    # The person returns through a tracked visit, and another lead's utm_source waits in the unmatched list.
    lead_capture(
        account=account,
        user=admin,
        channel="check",
        person={"last_name": "x", "email": person.email},
        touch={"landing_url": "https://x.pl/?utm_source=newsletter&utm_medium=email"},
    )
    lead_capture(
        account=account,
        user=admin,
        channel="check",
        person={"last_name": "Podcast", "email": "p@x.pl"},
        touch={"utm_source": "podcast-xyz"},
    )
    lead_form = LeadForm.unscoped.create(
        account=account,
        name="Kontakt",
        fields={"first_name": "optional", "last_name": "required", "email": "required", "phone": "optional"},
        how_heard=True,
        answers=[{"label": "Google", "source_id": None}, {"label": "A friend", "source_id": None}],
        consent_text="I agree to be contacted. / Zgadzam się na kontakt.",
        allowed_origins=["https://www.example.pl"],
    )
    campaign = campaign_create(
        account=account, user=admin, source=source, name="Wiosna 2026", start_date=dt.date(2026, 3, 1), budget="1500"
    )
    spend = spend_create(
        account=account,
        user=admin,
        source=source,
        campaign=campaign,
        month=dt.date(2026, 3, 1),
        amount="1200.50",
        currency="USD",
        note="Wyszukiwarka",
    )
    return World(
        account=account.slug,
        other_account="acme",
        company=Company.objects.for_account(account).order_by("pk").first().pk,
        person=Person.objects.for_account(account).order_by("pk").first().pk,
        open_deal=deals.filter(status=DealStatus.OPEN).first().pk,
        won_deal=deals.filter(status=DealStatus.WON).first().pk,
        source=source.pk,
        channel=Channel.objects.for_account(account).order_by("position").first().pk,
        campaign=campaign.pk,
        spend=spend.pk,
        membership=Membership.objects.for_account(account).get(user__email="member@demo.test").pk,
        signup_token=links.signup_token_make(email="ada@check.test", full_name="Ada Check", language="en"),
        confirm_token=links.confirm_token_make(user_id=admin.pk, email=admin.email),
        invitation_token=token.group(1),
        rule=rules[0].pk,
        lead_form=lead_form.pk,
        form_key=lead_form.public_key,
    )


def _where(violation: dict[str, Any]) -> str:
    """The first elements at fault, with the colours axe measured when it is about contrast."""
    shown = []
    for node in violation["nodes"][:6]:
        target = ", ".join(map(str, node["target"]))
        data = next((check.get("data") for check in node["any"] if isinstance(check.get("data"), dict)), None)
        if data and "contrastRatio" in data:
            colours = [data.get(key) for key in ("fgColor", "bgColor", "nodeColor", "parentColor") if data.get(key)]
            needed = f", needs {data['expectedContrastRatio']}" if data.get("expectedContrastRatio") else ""
            target += f" ({' on '.join(colours)}: {data['contrastRatio']}{needed})"
        shown.append(target)
    return "; ".join(shown)


def _log_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"^(?!.*/login/)"))


@pytest.mark.browser
def test_no_serious_or_critical_violation_on_any_page(
    page: Page, live_server: Any, world: World, settings: Any, screenshot: Any
):
    # Every context signs up and fails a log-in with the same address: more than the throttles let through.
    settings.SIGNUP_THROTTLE_PER_EMAIL = settings.LOGIN_THROTTLE_FAILURES = 100
    cache.clear()
    axe = Axe()
    found: list[str] = []
    checked = 0
    started = time.monotonic()
    for language in LANGUAGES:
        for width_name, viewport in WIDTHS.items():
            # One page for all: each language and width starts logged out, with its own language cookie.
            context = page.context
            context.clear_cookies()
            page.set_viewport_size(viewport)
            who = ""
            for visit in VISITS:
                if visit.who != who:
                    if visit.who == "anonymous":
                        context.clear_cookies()
                    else:
                        _log_in(page, live_server.url, f"{visit.who}@demo.test")
                    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
                    who = visit.who
                url = live_server.url + visit.path.format(w=world)
                response = page.goto(url)
                assert response is not None
                assert response.status == visit.status, f"{visit.label}: {url} answered {response.status}"
                expect(page.locator("html"), f"{visit.label}: {url}").to_have_attribute("lang", language)
                if visit.act:
                    visit.act(page)
                results = axe.run(page).response
                found += [
                    f"{problem} on {visit.label} [{page.url.removeprefix(live_server.url)}, {language}, {width_name}]"
                    for problem in page.evaluate(ID_CHECK)
                ]
                checked += 1
                if visit.label in SHOTS and (language, width_name) in (("en", "desktop"), ("pl", "phone")):
                    page.evaluate("window.scrollTo(0, 0)")
                    screenshot(f"a11y-{re.sub(r'[^a-z0-9]+', '-', visit.label.lower())}-{language}-{width_name}")
                for violation in results["violations"]:
                    if violation["impact"] not in BLOCKING:
                        continue
                    found.append(
                        f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}x) on {visit.label} "
                        f"[{page.url.removeprefix(live_server.url)}, {language}, {width_name}]: " + _where(violation)
                    )
    elapsed = time.monotonic() - started
    print(f"axe checked {checked} pages in {elapsed:.0f} s")  # noqa: T201 — the run's size and time, shown with -s
    assert not found, f"{len(found)} serious or critical axe violations:\n" + "\n".join(found)
