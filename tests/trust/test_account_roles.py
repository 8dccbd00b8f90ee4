"""Every URL of an account, walked with every role: who may read it, who may write through it.

The patterns come from the URL resolver (everything under /a/<account_slug>/), not from a list kept by hand, and each
must be in the catalogue's `ROUTES` with its `read` and `write` roles: a new page fails
`test_every_account_url_states_who_may_use_it` until someone writes down who may read and write it. Each pattern is
then requested with GET and with POST by an admin, a member and a viewer of the account, by an admin of another
account (404: the account is not theirs) and by an anonymous visitor (the login page), its parameters filled with
the tenant's own objects so a refusal can only come from the role. Besides `test_roles.py` (the role matrix of every
write, with valid bodies) this checks the methods a URL does not answer (405), other accounts and anonymous visitors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from headwater.capture.models import MappingRule
from headwater.channels.services import channel_create
from headwater.jobs.services import job_create, job_finish, job_new_file
from headwater.leadforms.models import LeadForm
from headwater.sources.services import source_alias_create
from headwater.spend.services import spend_create
from headwater.testing.factories import (
    CampaignFactory,
    CompanyFactory,
    DealFactory,
    InvitationFactory,
    PersonFactory,
    SourceFactory,
    make_import,
)
from headwater.users.models import Membership
from tests.trust.catalogue import RANK, ROUTES

pytestmark = pytest.mark.django_db

ADMIN, MEMBER, VIEWER = "admin", "member", "viewer"

# URL name: (the role needed to read it (GET), the role needed to write through it (POST)). None: the URL answers no
# such method (405): a page that only shows, or an action that only takes a form. The catalogue's table, which the
# rest of the trust suite reads too.
ACCESS: dict[str, tuple[str | None, str | None]] = {r.name: (r.read, r.write) for r in ROUTES if r.scope == "account"}

ACCOUNT_PREFIX = "a/<slug:account_slug>/"


def account_url_patterns() -> dict[str, list[str]]:
    """Every named URL under /a/<account_slug>/, with the names of its parameters besides the account."""
    account = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == ACCOUNT_PREFIX
    )
    found: dict[str, list[str]] = {}

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            else:
                assert isinstance(pattern, URLPattern)
                assert pattern.name, f"an account URL without a name: {pattern.pattern}"
                found[f"{namespace}{pattern.name}"] = sorted(pattern.pattern.converters)

    walk(account, "")
    return found


PATTERNS = account_url_patterns()
RECORD_KIND = {"companies": "company", "persons": "person", "deals": "deal"}


def test_every_account_url_states_who_may_use_it():
    missing = sorted(set(PATTERNS) - set(ACCESS))
    assert not missing, (
        f"account URLs missing from ROUTES in tests/trust/catalogue.py: {missing}. Add each with the role needed to "
        "read it and the role needed to write through it (read=..., write=...), as its view's account_view says."
    )
    gone = sorted(set(ACCESS) - set(PATTERNS))
    assert not gone, f"ROUTES in tests/trust/catalogue.py lists account URLs that no longer exist: {gone}"


@pytest.fixture
def objects(tenant: Any) -> dict[str, Any]:
    account = tenant.account
    # With the sources off their pages answer "off" (the CSV a 404) to everyone: on, only the role decides.
    account.sources_enabled = True
    account.save(update_fields=["sources_enabled"])
    company = CompanyFactory(account=account)
    person = PersonFactory(company=company)
    source = SourceFactory(account=account)
    # A finished job with its file: its page, its progress and its download answer every role of the account.
    job = job_create(account=account, kind="trust.job")
    job_new_file(job=job, file_name="roles.xlsx", suffix=".xlsx").write_bytes(b"PK roles")
    job_finish(job=job)
    return {
        "company": company,
        "person": person,
        "deal": DealFactory(company=company, person=person),
        "source": source,
        "campaign": CampaignFactory(source=source),
        "alias": source_alias_create(account=account, user=None, source=source, text="Role walk alias"),
        "invitation": InvitationFactory(account=account),
        "membership": Membership.objects.for_account(account).get(user=tenant.member),
        "job": job,
        "import": make_import(account, tenant.admin),
        "rule": MappingRule.unscoped.create(account=account, utm_source="role walk", target=source),
        "channel": channel_create(account=account, user=None, name="Role walk channel"),
        "form": LeadForm.unscoped.create(account=account, name="Role walk form", fields={"last_name": "required"}),
        "entry": spend_create(account=account, user=None, source=source, month=dt.date(2026, 1, 1), amount=1),
    }


def _kwargs(name: str, params: list[str], slug: str, objects: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"account_slug": slug}
    for param in params:
        if param == "pk":
            kwargs[param] = objects[RECORD_KIND[name.partition(":")[0]]].pk
        elif param == "record_id":  # touches:<kind>
            kwargs[param] = objects[name.partition(":")[2]].pk
        else:
            kwargs[param] = objects[param.removesuffix("_id")].pk
    return kwargs


def _expected(needed: str | None, role: str) -> str:
    if needed is None:
        return "405"
    return "allowed" if RANK[role] >= RANK[needed] else "403"


def _outcome(response: HttpResponse) -> str:
    """What the role got: 403, 404, 405, the login page, or the view's own answer (a page, a redirect after a
    write, a form's errors: anything the view itself chose)."""
    if response.status_code in (403, 404, 405):
        return str(response.status_code)
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return "login"
    assert response.status_code in (200, 302, 400), response.status_code
    return "allowed"


def _request(client: Client, method: str, url: str) -> Any:
    # Every request in a savepoint rolled back afterwards: an admin's POST to a delete URL must not leave the next
    # role without the record it is asked about.
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_role_gets_what_the_table_says(name, tenant, other_tenant, objects):
    if name not in ACCESS:
        pytest.fail(f"{name} is not in ROUTES (tests/trust/catalogue.py): add the roles that may read and write it")
    read, write = ACCESS[name]
    url = reverse(name, kwargs=_kwargs(name, PATTERNS[name], tenant.account.slug, objects))
    clients = {role: tenant.client_for(role) for role in (ADMIN, MEMBER, VIEWER)}
    clients["non-member"] = other_tenant.client_for(ADMIN)
    clients["anonymous"] = Client()
    got, want = {}, {}
    for who, client in clients.items():
        for method, needed in (("GET", read), ("POST", write)):
            got[who, method] = _outcome(_request(client, method, url))
            if who == "non-member":
                want[who, method] = "404"
            elif who == "anonymous":
                want[who, method] = "login"
            else:
                want[who, method] = _expected(needed, who)
    wrong = {" ".join(key): f"got {got[key]}, want {want[key]}" for key in want if got[key] != want[key]}
    assert not wrong, wrong
