"""Lists, search, filters, ordering, pagination, autocomplete, statistics and exports, checked apart from detail
pages: the other account holds rows with a unique marker in every text, and no answer may ever contain it. And the
answers about an e-mail address (inviting it, signing up with it) never tell whether it has a login.

Pages are walked to the end (small page sizes), in every sort order, so a leak on a deep page or in one ordering
cannot hide; our own rows are all found, so the walk is not vacuous.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from headwater.companies.selectors import COMPANY_SORTS
from headwater.companies.services import company_create
from headwater.deals.selectors import DEAL_SORTS
from headwater.deals.services import deal_create
from headwater.persons.selectors import PERSON_SORTS
from headwater.persons.services import person_create
from headwater.stats.filters import Period
from headwater.testing.factories import InvitationFactory, UserFactory
from headwater.testing.leaks import run_measured, timing_ratio
from tests.trust.http import api_call, send
from tests.trust.world import MARKER, Side, World, leaked

pytestmark = pytest.mark.django_db

EXTRA = 7  # rows of each kind added on both sides, so every list spans several pages
QUERIES = ("", MARKER, "zqx", "LEAK", "%", "_", "'", "Ours")


def _crowd(side: Side, label: str) -> None:
    account, admin = side.account, side.user("admin")
    for i in range(EXTRA):
        company = company_create(account=account, user=admin, name=f"{label} company {i}", city=f"{label} city {i}")
        person = person_create(account=account, user=admin, last_name=f"{label} person {i}", company=company)
        deal_create(
            account=account,
            user=admin,
            name=f"{label} deal {i}",
            value=Decimal(i * 10),
            person=person,
            company=company,
            source=side.objects["source"] if i % 2 else None,
        )


@pytest.fixture
def crowded(world: World, settings: Any) -> World:
    settings.LIST_PAGE_SIZE = 3
    _crowd(world.ours, "Ours")
    _crowd(world.theirs, MARKER)
    return world


def _clean(response: Any, where: str, *, echoed: bool = False) -> None:
    assert response.status_code < 500, where
    assert not leaked(response.content, echoed=echoed), f"{where}: the other account's data is in the answer"


LISTS = {
    "companies": (COMPANY_SORTS, "Ours company"),
    "persons": (PERSON_SORTS, "Ours person"),
    "deals": (DEAL_SORTS, "Ours deal"),
}


def _walk_html(client: Any, url: str, params: dict[str, Any], *, htmx: bool = False) -> str:
    """Every page of a list, following next cursors; returns the pages' text joined."""
    seen = []
    cursor = None
    headers = {"HX-Request": "true", "HX-Target": "record-table"} if htmx else {}
    for _ in range(50):
        response = send(client, "get", url, {**params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert response.status_code in (200, 400), f"{url} {params}: {response.status_code}"
        _clean(response, f"{url} {params} cursor={cursor}", echoed=MARKER in str(params.get("q", "")))
        seen.append(response.content.decode())
        page = response.context.get("page") if response.context else None
        if not page or not page.next_cursor:
            break
        cursor = page.next_cursor
    else:
        pytest.fail(f"{url} never reached its last page")
    return "\n".join(seen)


@pytest.mark.parametrize("app", sorted(LISTS))
def test_html_lists_in_every_order_filter_and_page(app, crowded):
    ours, theirs = crowded.ours, crowded.theirs
    sorts, own_label = LISTS[app]
    client = ours.tenant.client_for("viewer")
    url = f"/a/{ours.account.slug}/{app}/"
    for key in sorts:
        for sort in (key, f"-{key}"):
            text = _walk_html(client, url, {"sort": sort})
            for i in range(EXTRA):
                assert f"{own_label} {i}" in text, f"{app} sorted by {sort} lost our row {i}"
    for q in QUERIES:
        _walk_html(client, url, {"q": q})
        _walk_html(client, url, {"q": q}, htmx=True)
    filters = [{"owner": "none"}, {"owner": ours.id("user")}, {"source": "none"}, {"source": ours.id("source")}]
    if app == "deals":
        filters += [{"status": s} for s in ("open", "won", "lost")]
        filters += [{"company": ours.id("company")}, {"person": ours.id("person")}]
    for params in filters:
        _walk_html(client, url, params)
    # A cursor made in the other account's list is only a position: in ours it shows our rows.
    their_page = theirs.tenant.client_for("viewer").get(f"/a/{theirs.account.slug}/{app}/")
    _walk_html(client, url, {"cursor": their_page.context["page"].next_cursor})


def test_autocomplete_never_offers_the_other_accounts_records(crowded):
    ours = crowded.ours
    client = ours.tenant.client_for("member")
    for app, param in (("companies", "company"), ("persons", "person")):
        for q in QUERIES:
            response = send(client, "get", f"/a/{ours.account.slug}/{app}/lookup/", {f"{param}_search": q})
            _clean(response, f"{app} lookup q={q!r}", echoed=True)
        own = send(client, "get", f"/a/{ours.account.slug}/{app}/lookup/", {f"{param}_search": "Ours"})
        assert b"Ours" in own.content
    for page in ("companies/new/", "persons/new/", "deals/new/"):
        _clean(send(client, "get", f"/a/{ours.account.slug}/{page}"), page)


def test_statistics_and_csv_export_in_every_period(crowded):
    ours = crowded.ours
    client = ours.tenant.client_for("viewer")
    base = f"/a/{ours.account.slug}/stats/sources/"
    variants: list[dict[str, Any]] = [{"period": p} for p in Period.values if p != "custom"]
    variants += [
        {"period": "custom", "start": "2000-01-01", "end": "2100-12-31", "compare": "on"},
        {"period": "all", "owner": ours.id("user")},
        {"period": "all", "owner": "none"},
        {"period": "all", "sort_contacts": "-companies", "sort_open": "value", "sort_closed": "-won_value"},
    ]
    for params in variants:
        page = send(client, "get", base, params)
        _clean(page, f"stats {params}")
        export = send(client, "get", base + "export.csv", params)
        _clean(export, f"csv {params}")
        # The page's parts that load when opened, every source's and both charts' at once (stats/part_views.py).
        for part in ("campaigns/", "trend-figures/"):
            _clean(send(client, "get", base + part, params), f"stats {part} {params}")
    page = send(client, "get", base, {"period": "all"})
    assert b"Ours source" in page.content
    export = send(client, "get", base + "export.csv", {"period": "all"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert any("Ours source!" in cell for row in rows for cell in row)


def test_dashboard_settings_history_and_members_pages(crowded):
    ours = crowded.ours
    client = ours.tenant.client_for("admin")
    slug = ours.account.slug
    pages = [
        ("", {}),
        ("settings/", {}),
        ("settings/members/", {}),
        ("settings/rates/", {}),
        ("settings/sources/", {"events": 1000}),
        ("settings/sources/history/", {"offset": 0}),
        ("settings/sources/history/", {"offset": 20}),
        (f"settings/sources/{ours.id('spare_source')}/delete/", {}),
        (f"settings/sources/{ours.id('spare_source')}/merge/", {}),
        (f"settings/members/{ours.id('membership')}/remove/", {}),
        (f"companies/{ours.id('company')}/", {}),
        (f"persons/{ours.id('person')}/", {}),
        (f"deals/{ours.id('deal')}/", {}),
        (f"companies/{ours.id('company')}/delete/", {}),
    ]
    for path, params in pages:
        response = send(client, "get", f"/a/{slug}/{path}", params)
        assert response.status_code == 200, path
        _clean(response, path)
    for path in ("/", "/me/", "/me/api-tokens/", "/accounts/new/"):
        _clean(send(client, "get", path), path)


API_LISTS = {
    "/api/v1/companies": ("id", "name", "created_at"),
    "/api/v1/persons": ("id", "last_name", "created_at"),
    "/api/v1/deals": ("id", "name", "value", "created_at"),
}


def _walk_api(token: str, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(60):
        response = api_call(token, "get", url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code in (200, 400, 422), f"{url} {params}: {response.status_code}"
        _clean(response, f"{url} {params}")
        if response.status_code != 200:
            return items
        body = response.json()
        items += body.get("items", [])
        cursor = body.get("next")
        if not cursor:
            return items
    pytest.fail(f"{url} never reached its last page")


def test_api_lists_in_every_order_filter_and_page(crowded):
    ours = crowded.ours
    token = ours.tokens["viewer"]
    for url, orderings in API_LISTS.items():
        totals = set()
        for key in orderings:
            for ordering in (key, f"-{key}"):
                totals.add(len(_walk_api(token, url, {"ordering": ordering, "limit": 2})))
        assert len(totals) == 1, f"{url}: a different number of rows in some order"
        assert totals.pop() >= EXTRA
        for q in QUERIES:
            _walk_api(token, url, {"q": q, "limit": 2})
        for params in ({"owner_id": ours.id("user")}, {"source_id": "none"}, {"source_id": ours.id("source")}):
            _walk_api(token, url, {**params, "limit": 2})
    for url, params in (
        ("/api/v1/sources", {}),
        ("/api/v1/sources", {"archived": "true"}),
        ("/api/v1/sources", {"archived": "false"}),
        ("/api/v1/members", {"limit": 1}),
        ("/api/v1/me", {}),
        ("/api/v1/settings/sources", {}),
        ("/api/v1/stats/sources", {"period": "all", "compare": "true"}),
        ("/api/v1/stats/sources", {"period": "custom", "start": "2000-01-01", "end": "2100-01-01"}),
        ("/api/v1/stats/sources", {"owner_id": "none"}),
    ):
        _walk_api(token, url, params)


# --- Addresses: inviting and signing up answer alike for registered, invited and free addresses ----------------

# A registered address (a user of the other account), one with a pending invitation elsewhere, and a free one.
ADDRESS_KINDS = ("registered", "invited", "free")
TIMING_ROUNDS = 7
# Same statements and same work: the medians may differ by noise, never by a class (a hash, a user lookup, a mail).
TIMING_RATIO_LIMIT = 3.0


def _address(world: World, kind: str, n: int) -> str:
    if kind == "registered":
        return str(world.theirs.user("member").email if n == 0 else UserFactory(email=f"known-{n}@bravo.test").email)
    if kind == "invited":
        email = f"invited-elsewhere-{n}@example.test"
        InvitationFactory(account=world.theirs.account, email=email)
        return email
    return f"free-{n}@example.test"


def _normalise(text: str, email: str) -> str:
    text = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", text)
    text = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", text)
    text = re.sub(r"/invitations/\d+/", "/invitations/N/", text)
    text = re.sub(r"https?://\S+", "<link>", text)
    return text.replace(email, "<email>")


def _answers(call: Any, world: World) -> dict[str, Any]:
    """For each kind of address: what `call(email)` answered (one round, rolled back), and its wall times."""
    answers: dict[str, Any] = {}
    times: dict[str, list[float]] = {kind: [] for kind in ADDRESS_KINDS}
    for n in range(TIMING_ROUNDS):
        for kind in ADDRESS_KINDS:
            with transaction.atomic():
                email = _address(world, kind, n)
                mail.outbox.clear()
                answer, shapes, elapsed = run_measured(lambda e=email: call(e))
                times[kind].append(elapsed)
                if n == 0:
                    answers[kind] = {
                        "answer": answer,
                        "statements": shapes,
                        "mails": [(m.to == [email], _normalise(m.subject, email)) for m in mail.outbox],
                        "email": email,
                    }
                transaction.set_rollback(True)
    for kind in ADDRESS_KINDS:
        answers[kind]["times"] = times[kind]
    return answers


def _assert_alike(answers: dict[str, Any], *, same_mail_subject: bool = True) -> None:
    first = answers["registered"]
    for kind in ("invited", "free"):
        other = answers[kind]
        assert other["answer"] == first["answer"], f"{kind} answers differently from registered"
        assert other["statements"] == first["statements"], f"{kind} runs other statements than registered"
        # Each gets exactly one e-mail, to the address typed (what it says is for the address's owner only).
        assert [to for to, _ in other["mails"]] == [to for to, _ in first["mails"]] == [True]
        if same_mail_subject:
            assert other["mails"] == first["mails"]
        ratio = timing_ratio(first["times"], other["times"])
        assert ratio < TIMING_RATIO_LIMIT, f"{kind} vs registered: medians differ {ratio:.1f}x"


def test_inviting_answers_the_same_for_registered_invited_and_free_addresses(world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    url = f"/a/{ours.account.slug}/settings/members/"

    def invite(email: str) -> tuple[int, str, int, str]:
        posted = send(client, "post", url, {"email": email.upper(), "role": "member"})
        shown = send(client, "get", posted["Location"]) if posted.status_code == 302 else posted
        assert not leaked(shown.content), "the members page shows something of the other account's user"
        return (posted.status_code, posted.get("Location", ""), shown.status_code, _normalise(shown.text, email))

    answers = _answers(invite, world)
    assert answers["free"]["answer"][0] == 302
    _assert_alike(answers)


def test_the_members_api_answers_the_same_for_registered_invited_and_free_addresses(world):
    token = world.ours.tokens["admin"]

    def invite(email: str) -> tuple[int, dict[str, Any]]:
        response = api_call(token, "post", "/api/v1/members", body={"email": email, "role": "viewer"})
        body = response.json()
        assert body.pop("email") == email
        for key in ("id", "created_at", "sent_at", "expires_at"):
            body.pop(key)
        return response.status_code, body

    answers = _answers(invite, world)
    assert answers["free"]["answer"][0] == 201
    _assert_alike(answers)


def test_sign_up_answers_the_same_for_registered_invited_and_free_addresses(world, settings):
    settings.SIGNUP_THROTTLE_PER_IP = settings.SIGNUP_THROTTLE_PER_EMAIL = 10_000

    def sign_up(email: str) -> tuple[int, str]:
        response = send(Client(), "post", "/signup/", {"full_name": "Someone", "email": email})
        return response.status_code, _normalise(response.text, email)

    answers = _answers(sign_up, world)
    assert answers["free"]["answer"][0] == 200
    # The e-mail itself differs (a registered address is told it has a login): only its owner reads it.
    _assert_alike(answers, same_mail_subject=False)


def test_the_address_checks_would_see_a_difference():
    """Not vacuous: two answers that differ in a word, a statement or a class of time are told apart."""
    base = {"answer": (200, "a"), "statements": ["SELECT ?"], "mails": [(True, "s")], "times": [0.01] * 3}
    changes: list[dict[str, Any]] = [
        {"answer": (200, "b")},
        {"statements": ["SELECT ?", "INSERT ?"]},
        {"mails": []},
        {"times": [0.05] * 3},
    ]
    for change in changes:
        with pytest.raises(AssertionError):
            _assert_alike({"registered": base, "invited": base, "free": {**base, **change}})
