"""Two fully populated accounts: ours ("alpha") and theirs ("bravo"), theirs with a marker in every text it holds.

Every object kind a URL or an API operation can name exists on both sides, so a walker can put the other account's
id of the right kind wherever an id goes (path, query string, form field, JSON body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from headwater.campaigns.services import campaign_create
from headwater.capture.services import capture_rules_seed_defaults, lead_capture
from headwater.channels.services import channel_create
from headwater.companies.services import company_create
from headwater.core.models import Account
from headwater.deals.models import DealStatus
from headwater.deals.services import deal_create
from headwater.imports.models import Import, ImportState
from headwater.jobs.services import job_create, job_finish, job_new_file
from headwater.leadforms.models import LeadForm
from headwater.persons.services import person_create
from headwater.sources.services import (
    source_alias_create,
    source_archive,
    source_create,
    source_rename,
    source_set_channel,
    source_settings_update,
)
from headwater.spend.services import spend_create
from headwater.stats.services import exchange_rate_create
from headwater.testing.factories import make_import
from headwater.users.models import ApiToken, Invitation, Membership, Role, User
from headwater.users.services import invitation_create
from headwater.users.token_services import api_token_create

MARKER = "zqxleak"  # lower case: responses are searched case-insensitively


# Every planted text continues after the marker ("zqxleak company", "zqxleak-co@..."); a search box echoing the
# bare marker back ends it with a quote, "&" or "<". With `echoed=True` only the planted kind counts.
_PLANTED = re.compile(re.escape(MARKER) + r"[\s\-!@._a-z0-9]")


def leaked(text: str | bytes, *, echoed: bool = False) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.lower()
    return bool(_PLANTED.search(text)) if echoed else MARKER in text


@dataclass
class Side:
    """One account and one object of every kind in it, with the API token of each role."""

    tenant: Any
    objects: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def account(self) -> Account:
        account: Account = self.tenant.account
        return account

    def id(self, kind: str) -> int:
        obj = self.objects[kind]
        return int(obj.pk)

    def user(self, role: str) -> User:
        user: User = getattr(self.tenant, role)
        return user


@dataclass
class World:
    ours: Side
    theirs: Side


def _populate(tenant: Any, label: str) -> Side:
    """`label` goes into every text; for the other account it carries the marker."""
    account, admin = tenant.account, tenant.admin
    source_settings_update(account=account, user=admin, enabled=True, default_from_contact=True)
    side = Side(tenant=tenant)
    source = source_create(account=account, user=admin, name=f"{label} source")
    spare = source_create(account=account, user=admin, name=f"{label} spare source")
    archived = source_create(account=account, user=admin, name=f"{label} archived source")
    source_archive(account=account, user=admin, source=archived)
    channel = channel_create(account=account, user=admin, name=f"{label} channel")
    spare_channel = channel_create(account=account, user=admin, name=f"{label} spare channel")
    # A rename leaves the old name in the history: history pages must not show it to others either.
    source = source_rename(account=account, user=admin, source=source, name=f"{label} source!", version=source.version)
    company = company_create(
        account=account,
        user=admin,
        name=f"{label} company",
        notes=f"{label} notes",
        city=f"{label} city",
        email=f"{label}-co@{label}.example",
        owner=tenant.member,
        source=source,
    )
    person = person_create(
        account=account,
        user=admin,
        first_name=f"{label} first",
        last_name=f"{label} person",
        email=f"{label}-p@{label}.example",
        company=company,
        owner=tenant.member,
        source=source,
    )
    deal = deal_create(
        account=account,
        user=admin,
        name=f"{label} deal",
        value=Decimal("123.45"),
        currency="EUR",
        company=company,
        person=person,
        owner=tenant.member,
        notes=f"{label} deal notes",
        source=source,
    )
    won = deal_create(
        account=account,
        user=admin,
        name=f"{label} won deal",
        value=Decimal("999.00"),
        status=DealStatus.WON,
        person=person,
        owner=tenant.member,
        source=source,
    )
    invitation = invitation_create(
        account=account,
        user=admin,
        email=f"{label}-invited@{label}.example",
        role=Role.MEMBER,
        site_url="http://testserver",
    )
    source = source_set_channel(account=account, user=admin, source=source, channel_id=channel.pk)
    rate = exchange_rate_create(account=account, user=admin, currency="EUR", rate=Decimal("4.25"))
    job = job_create(account=account, kind="trust.job", label=f"{label} job", user=admin)
    alias = source_alias_create(account=account, user=admin, source=source, text=f"{label} alias")
    rules = capture_rules_seed_defaults(account=account, user=admin)
    # Without its last default rule, so "Add the default rules" (idempotent) has one to add when an admin posts it.
    rules.pop().delete()
    # A returning lead: the person gets a touch, whose utm_source no rule knows (the unmatched list shows it).
    lead_capture(
        account=account,
        user=admin,
        channel=f"{label} channel",
        person={"last_name": f"{label} person", "email": person.email},
        touch={"utm_source": f"{label} campaign", "landing_url": f"https://{label}.example/?utm_medium=x"},
        self_reported=f"{label} answer",
    )
    campaign = campaign_create(
        account=account, user=admin, source=source, name=f"{label} campaign", start_date=date(2026, 1, 1), budget="10"
    )
    spare_campaign = campaign_create(
        account=account, user=admin, source=source, name=f"{label} spare campaign", start_date=date(2026, 1, 1)
    )
    spend = spend_create(
        account=account, user=admin, source=source, campaign=campaign, month=date(2026, 1, 1), amount="100", note=label
    )
    spare_spend = spend_create(account=account, user=admin, source=source, month=date(2026, 2, 1), amount="5")
    side.objects = {
        "account": account,
        "company": company,
        "person": person,
        "deal": deal,
        "won_deal": won,
        "source": source,
        "spare_source": spare,
        "archived_source": archived,
        "membership": Membership.objects.for_account(account).get(user=tenant.member),
        "viewer_membership": Membership.objects.for_account(account).get(user=tenant.viewer),
        "invitation": invitation,
        "user": tenant.member,
        "rate": rate,
        "job": job,
        "alias": alias,
        "rule": rules[0],
        "spare_rule": rules[1],
        "channel": channel,
        "spare_channel": spare_channel,
        "campaign": campaign,
        "spare_campaign": spare_campaign,
        "spend": spend,
        "spare_spend": spare_spend,
        "import": make_import(
            account,
            admin,
            name=f"{label}.csv",
            content=f"Firma;NIP;E-mail;Źródło\n{label} firma;;{label}@x.example;Targi\n".encode(),
        ),
    }
    for kind, name in (("lead_form", f"{label} form"), ("spare_lead_form", f"{label} spare form")):
        side.objects[kind] = LeadForm.unscoped.create(
            account=account,
            name=name,
            fields={"last_name": "required", "email": "required"},
            consent_text=f"{label} consent",
            allowed_origins=[f"https://{label}.example"],
        )
    # An import that has run (nothing in it to write): what an undo takes.
    run_import = make_import(account, admin, name=f"{label}-run.csv", content=f"Firma\n{label} run\n".encode())
    Import.unscoped.filter(pk=run_import.pk).update(state=ImportState.DONE, finished_at=timezone.now())
    side.objects["run_import"] = run_import
    # A finished job with its file (a big list's export): what a download serves.
    export_job = job_create(account=account, kind="records.export_xlsx", label=f"{label}.xlsx", user=admin)
    job_new_file(job=export_job, file_name=f"{label}.xlsx", suffix=".xlsx").write_bytes(b"PK export")
    job_finish(job=export_job)
    side.objects["export_job"] = export_job
    for role in ("admin", "member", "viewer"):
        token, secret = api_token_create(account=account, user=getattr(tenant, role), name=f"{label} {role} token")
        side.tokens[role] = secret
        side.objects[f"{role}_token"] = token
    side.objects["token"] = side.objects["member_token"]
    return side


def _invite_each_user(inviting: Any, side: Side) -> None:
    """An invitation from a third account to each of the side's users: what their personal pages may accept or
    decline (`{role}_invitation`). A third account, because an invitation shows its account's name to the invitee,
    and the other side's name carries the marker."""
    for role in ("admin", "member", "viewer"):
        side.objects[f"{role}_invitation"] = invitation_create(
            account=inviting.account,
            user=inviting.admin,
            email=side.user(role).email,
            role=Role.VIEWER,
            site_url="http://testserver",
        )


def build_world(tenant: Any, other_tenant: Any, third_tenant: Any) -> World:
    theirs_account = other_tenant.account
    theirs_account.name = f"{MARKER.title()} Account"
    theirs_account.save()
    for role in ("admin", "member", "viewer"):
        user = getattr(other_tenant, role)
        user.full_name = f"{MARKER} {role}"
        user.save()
    ours = _populate(tenant, "Ours")
    theirs = _populate(other_tenant, MARKER)
    _invite_each_user(third_tenant, ours)
    _invite_each_user(third_tenant, theirs)
    assert ApiToken.objects.for_account(theirs.account).count() == 3
    assert Invitation.objects.for_account(theirs.account).count() == 1
    return World(ours=ours, theirs=theirs)
