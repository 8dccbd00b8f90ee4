"""Every HTML route and every API operation, with what each takes and who may use it.

The isolation walker, the role matrix, mass assignment, the hostile corpus and the fuzzers all read these tables;
`test_guard.py` fails when a route or operation exists that is not described here.

Kinds name an object of a `Side` (see world.py): the walker puts the other account's object of that kind wherever
the kind appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headwater.capture.models import Touch
from headwater.channels.models import Channel
from headwater.core.models import Account
from headwater.sources.models import Source
from tests.trust.world import Side

RANK = {"viewer": 0, "member": 1, "admin": 2}
ROLES = ("viewer", "member", "admin")


def allowed(role: str, needed: str) -> bool:
    return RANK[role] >= RANK[needed]


Body = Callable[[Side], dict[str, Any]]


def _empty(side: Side) -> dict[str, Any]:
    return {}


def _v(side: Side, kind: str) -> int:
    side.objects[kind].refresh_from_db()
    return int(side.objects[kind].version)


@dataclass(frozen=True)
class Route:
    """An HTML route. `read`/`write`: the lowest role for GET/POST (None: the method is refused with 405, or a
    user or public route has no write; an account route's are its `account_view(read=, write=)`, and
    test_account_roles.py checks they agree). `scope`: "account" (under /a/<slug>/), "user" (logged in, any
    account) or "public"."""

    name: str
    scope: str = "account"
    path: dict[str, str] = field(default_factory=dict)
    read: str | None = "viewer"
    write: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    body: Body = _empty
    # Text fields a user types (the hostile corpus and hypothesis go through these).
    texts: tuple[str, ...] = ()
    changes: bool = True

    def url(self, side: Side, *, slug_side: Side | None = None, path_side: Side | None = None, role: str = "") -> str:
        kwargs: dict[str, Any] = {}
        if self.scope == "account":
            kwargs["account_slug"] = (slug_side or side).account.slug
        for name, kind in self.path.items():
            target = path_side or side
            named = kind.replace("{role}", role or "admin")
            # A lead form's public page is addressed by its public key, not its id.
            kwargs[name] = target.objects[named].public_key if name == "key" else target.id(named)
        return reverse(self.name, kwargs=kwargs)


def _company(side: Side) -> dict[str, Any]:
    return {"name": "Trust company", "city": "Gdańsk", "owner": side.id("user")}


def _company_edit(side: Side) -> dict[str, Any]:
    return {**_company(side), "name": "Trust company renamed", "version": _v(side, "company")}


def _person(side: Side) -> dict[str, Any]:
    return {"first_name": "Ala", "last_name": "Trust", "company": side.id("company")}


def _person_edit(side: Side) -> dict[str, Any]:
    return {**_person(side), "last_name": "Trust renamed", "version": _v(side, "person")}


def _deal(side: Side) -> dict[str, Any]:
    return {"name": "Trust deal", "value": "10.50", "currency": "PLN", "status": "open", "company": side.id("company")}


def _deal_edit(side: Side) -> dict[str, Any]:
    return {**_deal(side), "name": "Trust deal renamed", "version": _v(side, "deal")}


def _reorder(side: Side) -> dict[str, Any]:
    ids = list(Source.objects.for_account(side.account).order_by("position", "id").values_list("id", flat=True))
    return {"ordered_ids": [str(i) for i in reversed(ids)]}


def _rename(side: Side) -> dict[str, Any]:
    pk = side.id("source")
    return {f"rename-{pk}-name": "Trust renamed source", f"rename-{pk}-version": _v(side, "source")}


def _channel_reorder(side: Side) -> dict[str, Any]:
    ids = list(Channel.objects.for_account(side.account).order_by("position", "id").values_list("id", flat=True))
    return {"ids": list(reversed(ids))}


def _merge(side: Side) -> dict[str, Any]:
    return {"merge-into": side.id("source"), "merge-version": _v(side, "spare_source")}


def _delete_source(side: Side) -> dict[str, Any]:
    # The merge choice of the delete page: the one that takes an id (delete/archive take none).
    return {"action": "merge", "merge-into": side.id("source"), "merge-version": _v(side, "spare_source")}


def _rule(side: Side) -> dict[str, Any]:
    return {"utm_source": "trust", "click_id": "", "target": side.id("source"), "confirmed": "1"}


def _map_value(side: Side) -> dict[str, Any]:
    touch = Touch.objects.for_account(side.account).exclude(unmatched_value="").order_by("pk").first()
    value = touch.unmatched_value if touch is not None else ""
    return {"kind": "utm_source", "value": value, "action": "source", "source": side.id("source")}


def _lead_form(side: Side) -> dict[str, Any]:
    return {
        "name": "Trust form",
        "field_last_name": "required",
        "field_email": "required",
        "consent_text": "I agree",
        "thank_you": "Thanks",
        "allowed_origins": "https://trust.example",
        "deal_owner": side.id("user"),
        "active": "on",
    }


def _account_settings(side: Side) -> dict[str, Any]:
    side.account.refresh_from_db()
    return {
        "name": "Trust account renamed",
        "currency": "EUR",
        "language": "en",
        "time_zone": "Europe/Warsaw",
        "version": side.account.settings_version,
    }


def _upload(side: Side) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("trust.csv", "Firma;NIP\nTrust;5260001246\n".encode("cp1250"))}


def _spend_upload(side: Side) -> dict[str, Any]:
    name = side.objects["source"].name
    content = f"Miesiąc;Źródło;Kwota\n2026-05;{name};12,50\n".encode("cp1250", errors="replace")
    return {"file": SimpleUploadedFile("trust-spend.csv", content)}


ROUTES: list[Route] = [
    # --- public and per-user pages --------------------------------------------------------------------------
    Route("core:healthz", scope="public"),
    Route("users:login", scope="public", write="viewer", changes=False),
    Route("users:signup", scope="public", write="viewer", texts=("full_name", "email")),
    # Links with a secret or signed token, not an object id: walked with made-up tokens in test_isolation.
    Route("users:signup_confirm", scope="public", write="viewer"),
    Route("users:email_confirm", scope="public", write="viewer"),
    Route("users:invitation", scope="public", write="viewer"),
    Route(
        "users:set_language",
        scope="public",
        read=None,
        write="viewer",
        body=lambda s: {"language": "pl"},
        changes=False,
    ),
    # A lead form's public side: the public key is the capability (walked with made-up keys in test_isolation).
    Route("leadforms_public:embed_js", scope="public"),
    Route("leadforms_public:hosted", scope="public", path={"key": "lead_form"}, write="viewer"),
    Route("leadforms_public:thanks", scope="public", path={"key": "lead_form"}),
    Route("leadforms_public:submit", scope="public", path={"key": "lead_form"}, read=None, write="viewer"),
    Route("leadforms_public:description", scope="public", path={"key": "lead_form"}),
    Route("core:home", scope="user"),
    Route("users:logout", scope="user", read=None, write="viewer", changes=False),
    Route(
        "users:profile",
        scope="user",
        write="viewer",
        body=lambda s: {"action": "name", "full_name": "Trust name"},
        texts=("full_name",),
    ),
    Route(
        "users:api_tokens",
        scope="user",
        write="viewer",
        form={"token-account": "account"},
        body=lambda s: {"token-name": "Trust token", "token-account": s.id("account")},
        texts=("token-name",),
    ),
    Route("users:api_token_revoke", scope="user", path={"pk": "{role}_token"}, read=None, write="viewer"),
    Route(
        "users:invitation_accept", scope="user", path={"invitation_id": "{role}_invitation"}, read=None, write="viewer"
    ),
    Route(
        "users:invitation_decline", scope="user", path={"invitation_id": "{role}_invitation"}, read=None, write="viewer"
    ),
    Route(
        "users:account_new",
        scope="user",
        write="viewer",
        body=lambda s: {"account_name": "Trust new", "slug": "trust-new", "currency": "PLN", "language": "en"},
        texts=("account_name",),
    ),
    # --- one account's pages ---------------------------------------------------------------------------------
    Route("account:dashboard"),
    Route("companies:list", query={"owner": "user", "source": "source"}),
    Route(
        "companies:create",
        read="member",
        write="member",
        form={"owner": "user", "source": "source"},
        body=_company,
        texts=("name", "tax_id", "website", "phone", "street", "postal_code", "city", "country", "notes"),
    ),
    Route("companies:export_csv", query={"owner": "user", "source": "source"}),
    Route("companies:export_xlsx", query={"owner": "user", "source": "source"}),
    Route(
        "companies:bulk_change",
        read=None,
        write="member",
        form={"ids": "company", "source": "source", "owner": "user"},
        body=lambda s: {"ids": [s.id("company")], "source": s.id("source"), "owner": ""},
    ),
    Route("companies:lookup", query={"company": "company"}),
    Route(
        "companies:quick_create",
        read=None,
        write="member",
        body=lambda s: {"name": "Trust typeahead company"},
        texts=("name",),
    ),
    Route("companies:detail", path={"pk": "company"}),
    Route(
        "companies:edit",
        path={"pk": "company"},
        read="member",
        write="member",
        form={"owner": "user", "source": "source"},
        body=_company_edit,
        texts=("name", "city", "notes"),
    ),
    Route("companies:delete", path={"pk": "company"}, read="member", write="member"),
    Route("persons:list", query={"owner": "user", "source": "source", "company": "company"}),
    Route(
        "persons:create",
        read="member",
        write="member",
        query={"company": "company"},
        form={"company": "company", "owner": "user", "source": "source"},
        body=_person,
        texts=("first_name", "last_name", "phone", "position", "notes"),
    ),
    Route("persons:export_csv", query={"owner": "user", "source": "source", "company": "company"}),
    Route("persons:export_xlsx", query={"owner": "user", "source": "source", "company": "company"}),
    Route(
        "persons:bulk_change",
        read=None,
        write="member",
        form={"ids": "person", "source": "source", "owner": "user"},
        body=lambda s: {"ids": [s.id("person")], "source": s.id("source"), "owner": ""},
    ),
    Route("persons:lookup", query={"person": "person"}),
    Route(
        "persons:quick_create",
        read=None,
        write="member",
        form={"company": "company"},
        body=lambda s: {"name": "Ala Typeahead", "company": s.id("company")},
        texts=("name",),
    ),
    Route("persons:detail", path={"pk": "person"}),
    Route(
        "persons:edit",
        path={"pk": "person"},
        read="member",
        write="member",
        form={"company": "company", "owner": "user", "source": "source"},
        body=_person_edit,
        texts=("first_name", "last_name", "notes"),
    ),
    Route("persons:delete", path={"pk": "person"}, read="member", write="member"),
    Route("deals:list", query={"owner": "user", "source": "source", "company": "company", "person": "person"}),
    Route(
        "deals:create",
        read="member",
        write="member",
        query={"company": "company", "person": "person"},
        form={"company": "company", "person": "person", "owner": "user", "source": "source"},
        body=_deal,
        texts=("name", "value", "lost_reason", "notes"),
    ),
    Route("deals:export_csv", query={"owner": "user", "source": "source", "company": "company", "person": "person"}),
    Route("deals:export_xlsx", query={"owner": "user", "source": "source", "company": "company", "person": "person"}),
    Route(
        "deals:bulk_change",
        read=None,
        write="member",
        form={"ids": "deal", "source": "source", "owner": "user"},
        body=lambda s: {"ids": [s.id("deal")], "source": s.id("source"), "owner": ""},
    ),
    Route("deals:detail", path={"pk": "deal"}),
    Route(
        "deals:edit",
        path={"pk": "deal"},
        read="member",
        write="member",
        form={"company": "company", "person": "person", "owner": "user", "source": "source"},
        body=_deal_edit,
        texts=("name", "value", "notes"),
    ),
    Route("deals:delete", path={"pk": "deal"}, read="member", write="member"),
    Route(
        "deals:status",
        path={"pk": "deal"},
        read=None,
        write="member",
        body=lambda s: {"status": "lost", "lost_reason": "Trust reason", "version": _v(s, "deal")},
        texts=("lost_reason",),
    ),
    Route("sources:settings", read="admin"),
    Route(
        "sources:channel",
        path={"source_id": "source"},
        read=None,
        write="admin",
        form={"channel": "spare_channel"},
        body=lambda s: {"channel": s.id("spare_channel"), "version": _v(s, "source")},
    ),
    Route("channels:settings", read="admin"),
    Route("channels:add", read=None, write="admin", body=lambda s: {"name": "Trust new channel"}, texts=("name",)),
    Route(
        "channels:rename",
        path={"channel_id": "channel"},
        read=None,
        write="admin",
        body=lambda s: {f"rename-{s.id('channel')}-name": "Trust renamed channel"},
    ),
    Route(
        "channels:move", path={"channel_id": "channel"}, read=None, write="admin", body=lambda s: {"direction": "down"}
    ),
    Route(
        "channels:delete",
        path={"channel_id": "spare_channel"},
        read="admin",
        write="admin",
        form={"target": "channel"},
        body=lambda s: {"target": s.id("channel")},
    ),
    Route("sources:switches", read=None, write="admin", body=lambda s: {"enabled": "on"}),
    Route("sources:add", read=None, write="admin", body=lambda s: {"name": "Trust new source"}, texts=("name",)),
    Route("sources:reorder", read=None, write="admin", form={"ordered_ids": "source"}, body=_reorder),
    Route("sources:history", read="admin"),
    Route("sources:rename", path={"source_id": "source"}, read="admin", write="admin", body=_rename),
    Route("sources:move", path={"source_id": "source"}, read=None, write="admin", body=lambda s: {"direction": "down"}),
    Route(
        "sources:archive",
        path={"source_id": "source"},
        read=None,
        write="admin",
        body=lambda s: {"version": _v(s, "source")},
    ),
    Route(
        "sources:unarchive",
        path={"source_id": "archived_source"},
        read=None,
        write="admin",
        body=lambda s: {"version": _v(s, "archived_source")},
    ),
    Route(
        "sources:delete",
        path={"source_id": "spare_source"},
        read="admin",
        write="admin",
        form={"merge-into": "source"},
        body=_delete_source,
    ),
    Route(
        "sources:merge",
        path={"source_id": "spare_source"},
        read="admin",
        write="admin",
        form={"merge-into": "source"},
        body=_merge,
    ),
    Route(
        "sources:alias_add",
        read=None,
        write="admin",
        form={"alias-source": "source"},
        body=lambda s: {"alias-text": "Trust new alias", "alias-source": s.id("source")},
        texts=("alias-text",),
    ),
    Route(
        "sources:alias_edit",
        path={"alias_id": "alias"},
        read="admin",
        write="admin",
        form={"alias-edit-source": "source"},
        body=lambda s: {"alias-edit-text": "Trust changed alias", "alias-edit-source": s.id("source")},
        texts=("alias-edit-text",),
    ),
    Route("sources:alias_delete", path={"alias_id": "alias"}, read=None, write="admin"),
    Route(
        "campaigns:of_source",
        path={"source_id": "source"},
        read="admin",
        write="admin",
        body=lambda s: {"name": "Trust campaign", "start_date": "2026-02-01", "budget": "100,50", "currency": "PLN"},
        texts=("name", "budget"),
    ),
    Route(
        "campaigns:edit",
        path={"campaign_id": "campaign"},
        read="admin",
        write="admin",
        body=lambda s: {"name": "Trust campaign renamed", "start_date": "2026-02-01", "version": _v(s, "campaign")},
        texts=("name", "budget"),
    ),
    Route(
        "campaigns:archive",
        path={"campaign_id": "campaign"},
        read=None,
        write="admin",
        body=lambda s: {"archived": "1", "version": _v(s, "campaign")},
    ),
    Route(
        "campaigns:delete",
        path={"campaign_id": "spare_campaign"},
        read="admin",
        write="admin",
        body=lambda s: {"version": _v(s, "spare_campaign")},
    ),
    Route("spend:ledger", read="admin", write=None, query={"source": "source", "campaign": "campaign"}),
    Route(
        "spend:add",
        read="admin",
        write="admin",
        form={"source": "source", "campaign": "campaign"},
        body=lambda s: {
            "source": s.id("source"),
            "campaign": s.id("campaign"),
            "month": "2026-03",
            "amount": "10,50",
            "currency": "PLN",
            "note": "Trust spend",
        },
        texts=("note", "amount"),
    ),
    Route(
        "spend:edit",
        path={"entry_id": "spend"},
        read="admin",
        write="admin",
        form={"source": "source", "campaign": "campaign"},
        body=lambda s: {
            "source": s.id("source"),
            "month": "2026-04",
            "amount": "11",
            "currency": "PLN",
            "note": "Trust spend changed",
            "version": _v(s, "spend"),
        },
        texts=("note", "amount"),
    ),
    Route(
        "spend:delete",
        path={"entry_id": "spare_spend"},
        read="admin",
        write="admin",
        body=lambda s: {"version": _v(s, "spare_spend")},
    ),
    Route(
        "rates:settings",
        read="admin",
        write="admin",
        form={"rate_id": "rate"},
        body=lambda s: {"action": "delete", "rate_id": s.id("rate")},
    ),
    Route("account_settings:general", read="admin", write="admin", body=_account_settings, texts=("name",)),
    Route(
        "account_settings:members",
        read="admin",
        write="admin",
        body=lambda s: {"email": "trust-new@alpha.example", "role": "member"},
        texts=("email",),
    ),
    Route(
        "account_settings:member_role",
        path={"membership_id": "membership"},
        read=None,
        write="admin",
        body=lambda s: {f"m{s.id('membership')}-role": "viewer"},
    ),
    Route(
        "account_settings:member_remove",
        path={"membership_id": "membership"},
        read="admin",
        write="admin",
        form={"reassign_to": "user"},
        body=lambda s: {"reassign_to": s.user("admin").pk},
    ),
    Route("account_settings:invitation_renew", path={"invitation_id": "invitation"}, read=None, write="admin"),
    Route("account_settings:invitation_revoke", path={"invitation_id": "invitation"}, read=None, write="admin"),
    # `owner` is the old name of `owner_id`, still accepted: both are walked.
    Route("imports:start", read="member", write="member", body=_upload),
    Route("imports:template", read="member"),
    Route("imports:spend", read="admin", write="admin", body=_spend_upload),
    Route(
        "imports:detail",
        path={"import_id": "import"},
        read="member",
        write="member",
        body=lambda s: {"encoding": "cp1250", "delimiter": "tab", "header_row": "1"},
    ),
    Route(
        "imports:mapping",
        path={"import_id": "import"},
        read=None,
        write="member",
        body=lambda s: {"column_0": "company.name", "column_1": "", "column_2": "person.email"},
    ),
    Route(
        "imports:sources",
        path={"import_id": "import"},
        read="member",
        write="member",
        # The new source's name goes through sources.services.source_create, whose rules the catalogue's own form
        # ("sources:settings") is fuzzed with; this page goes on to the next step, which does not show it.
        body=lambda s: {"value_0": "new", "new_0": "Trust import source"},
    ),
    Route(
        "imports:duplicates",
        path={"import_id": "import"},
        read="member",
        write="member",
        body=lambda s: {"duplicates": "fill"},
    ),
    Route("imports:preview", path={"import_id": "import"}, read="member", write="member"),
    Route("imports:rejected", path={"import_id": "import"}, read="member"),
    Route(
        "imports:undo",
        path={"import_id": "import"},
        read="member",
        write="member",
        body=lambda s: {"touched": "keep"},
        changes=False,  # the world's import has not run: nothing to undo (the page says so)
    ),
    Route("capture:rules", read="admin"),
    Route(
        "capture:rule_add",
        read="admin",
        write="admin",
        form={"target": "source"},
        body=_rule,
        texts=("utm_source", "utm_medium", "utm_campaign", "landing_path"),
    ),
    Route("capture:rule_defaults", read=None, write="admin"),
    Route(
        "capture:rule_edit",
        path={"rule_id": "rule"},
        read="admin",
        write="admin",
        form={"target": "source"},
        body=_rule,
        texts=("utm_source", "utm_medium", "utm_campaign", "landing_path"),
    ),
    Route(
        "capture:rule_move", path={"rule_id": "rule"}, read=None, write="admin", body=lambda s: {"direction": "down"}
    ),
    Route("capture:rule_delete", path={"rule_id": "spare_rule"}, read="admin", write="admin"),
    Route("capture:reapply", read=None, write="admin"),
    Route("capture:link_test", read="admin", changes=False),
    Route("leadforms:forms", read="admin"),
    Route(
        "leadforms:add",
        read="admin",
        write="admin",
        form={"deal_owner": "user"},
        body=_lead_form,
        texts=("name", "consent_text", "thank_you"),
    ),
    Route(
        "leadforms:edit",
        path={"form_id": "lead_form"},
        read="admin",
        write="admin",
        form={"deal_owner": "user"},
        body=_lead_form,
        texts=("name", "consent_text", "thank_you"),
    ),
    Route(
        "leadforms:delete",
        path={"form_id": "spare_lead_form"},
        read="admin",
        write="admin",
        body=lambda s: {"confirm": "on"},
    ),
    Route("leadforms:snippet", path={"form_id": "lead_form"}, read="admin"),
    Route("capture:unmatched", read="admin", write="admin", form={"source": "source"}, body=_map_value),
    *(
        Route(
            f"touches:{kind}",
            path={"record_id": kind},
            read="viewer",
            write="admin",
            form={"source": "source"},
            body=lambda s: {"source": s.id("source")},
            # The world's deal was made by hand: no tracked visit to correct (the page says so).
            changes=kind != "deal",
        )
        for kind in ("company", "person", "deal")
    ),
    Route("stats:sources", query={"owner_id": "user", "owner": "user"}),
    Route("stats:sources_csv", query={"owner_id": "user", "owner": "user"}),
    # The page's parts that load when opened (stats/part_views.py).
    Route("stats:sources_campaigns", query={"source": "source", "owner_id": "user", "owner": "user"}),
    Route("stats:sources_trend_figures", query={"owner_id": "user", "owner": "user"}),
    Route("stats:recompute", read=None, write="admin"),
    Route("jobs:progress", path={"job_id": "job"}),
    Route("jobs:detail", path={"job_id": "job"}),
    Route("jobs:download", path={"job_id": "export_job"}),
    Route("stats:sources_xlsx", query={"owner_id": "user", "owner": "user"}),
    Route("stats:cohorts", query={"source_id": "source"}),
    Route("stats:cohorts_csv", query={"source_id": "source"}),
    Route("stats:cohorts_xlsx", query={"source_id": "source"}),
]

# Routes whose path holds a secret or signed token instead of an object id.
TOKEN_ROUTES = {"users:signup_confirm", "users:email_confirm", "users:invitation"}
# Public routes whose path holds a lead form's public key: anyone may open them; a made-up key is 404.
FORM_KEY_ROUTES = {
    "leadforms_public:hosted",
    "leadforms_public:thanks",
    "leadforms_public:submit",
    "leadforms_public:description",
}

# The API's own pages: the operations are walked from the OpenAPI document (API_OPERATIONS below).
API_DOCUMENT_ROUTES = {"api:openapi-json", "api:openapi-view", "api:api-root"}

ROUTE_BY_NAME = {r.name: r for r in ROUTES}


# --- The REST API ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """An API operation (by OpenAPI operationId). `role`: the lowest role that may call it. `body_ids`: where ids go
    in the JSON body (a dotted path; a list field takes a list with the other account's id in it)."""

    op_id: str
    role: str = "viewer"
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body_ids: dict[str, str] = field(default_factory=dict)
    body: Body | None = None
    params: Body = _empty
    texts: tuple[str, ...] = ()
    changes: bool = True
    # A multipart request's fields (an upload), sent instead of a JSON body.
    upload: Body | None = None


def _import_upload(side: Side) -> dict[str, Any]:
    content = b"Firma;E-mail\nAPI firma;api@x.example\n"
    return {"file": SimpleUploadedFile("api.csv", content, content_type="text/csv"), "mapping": "{}"}


def _company_in(side: Side) -> dict[str, Any]:
    return {"name": "API company", "owner_id": side.id("user"), "source_id": side.id("source")}


def _person_in(side: Side) -> dict[str, Any]:
    return {"last_name": "API person", "company_id": side.id("company"), "owner_id": side.id("user")}


def _deal_in(side: Side) -> dict[str, Any]:
    return {"name": "API deal", "value": "12.30", "company_id": side.id("company"), "person_id": side.id("person")}


def _settings_version(side: Side) -> int:
    return int(Account.objects.get(pk=side.account.pk).settings_version)


def _bulk(one: Body) -> Body:
    return lambda side: {"items": [one(side)]}


def _patch(kind: str, **changes: Any) -> Body:
    return lambda side: {"version": _v(side, kind), **changes}


RECORD_IDS = {
    "company": {"owner_id": "user", "source_id": "source", "campaign_id": "campaign"},
    "person": {"company_id": "company", "owner_id": "user", "source_id": "source", "campaign_id": "campaign"},
    "deal": {
        "company_id": "company",
        "person_id": "person",
        "owner_id": "user",
        "source_id": "source",
        "campaign_id": "campaign",
    },
}
RECORD_TEXTS = {
    "company": ("name", "tax_id", "website", "phone", "street", "postal_code", "city", "country", "notes"),
    "person": ("first_name", "last_name", "phone", "position", "notes"),
    "deal": ("name", "value", "currency", "lost_reason", "notes"),
}
RECORD_BODIES = {"company": _company_in, "person": _person_in, "deal": _deal_in}


def _record_operations(kind: str) -> list[Operation]:
    ids = RECORD_IDS[kind]
    texts = RECORD_TEXTS[kind]
    path = {f"{kind}_id": kind}
    body = RECORD_BODIES[kind]
    label = "name" if kind != "person" else "last_name"
    return [
        Operation(f"{kind}_list", query=ids),
        Operation(f"{kind}_create", role="member", body_ids=ids, body=body, texts=texts),
        Operation(
            f"{kind}_bulk_create",
            role="member",
            body_ids={f"items.0.{k}": v for k, v in ids.items()},
            body=_bulk(body),
            texts=tuple(f"items.0.{t}" for t in texts),
        ),
        Operation(
            f"{kind}_bulk_change",
            role="member",
            body_ids={
                "ids": kind,
                "changes.source_id": "source",
                "changes.owner_id": "user",
                "changes.campaign_id": "campaign",
            },
            body=lambda side: {"ids": [side.id(kind)], "changes": {"source_id": side.id("source")}},
        ),
        Operation(f"{kind}_get", path=path),
        Operation(
            f"{kind}_update",
            role="member",
            path=path,
            body_ids=ids,
            body=_patch(kind, **{label: "API renamed"}),
            texts=texts,
        ),
        Operation(f"{kind}_delete", role="member", path=path),
    ]


def _lead_in(side: Side) -> dict[str, Any]:
    return {
        "person": {"last_name": "API lead", "email": "api-lead@x.example"},
        "touch": {"utm_source": "api", "landing_url": "https://x.example/"},
        "source_id": side.id("source"),
    }


API_OPERATIONS: list[Operation] = [
    Operation("me_get", changes=False),
    Operation(
        "lead_create",
        role="member",
        body_ids={"source_id": "source"},
        body=_lead_in,
        # The person's names go through person_create, walked as person_create's; the touch's texts are kept as sent.
        texts=("touch.utm_source", "touch.utm_campaign", "touch.utm_term", "touch.channel", "self_reported"),
    ),
    *_record_operations("company"),
    *_record_operations("person"),
    *_record_operations("deal"),
    Operation("source_list"),
    Operation("source_create", role="admin", body=lambda s: {"name": "API source"}, texts=("name",)),
    Operation(
        "source_reorder",
        role="admin",
        body_ids={"ordered_ids": "source"},
        body=lambda s: {"ordered_ids": [int(i) for i in _reorder(s)["ordered_ids"]]},
    ),
    Operation("source_get", path={"source_id": "source"}),
    Operation(
        "source_update",
        role="admin",
        path={"source_id": "source"},
        body=_patch("source", name="API renamed source"),
        texts=("name",),
    ),
    Operation(
        "source_delete", role="admin", path={"source_id": "spare_source"}, params=lambda s: {"mode": "only_if_unused"}
    ),
    Operation(
        "source_archive", role="admin", path={"source_id": "source"}, body=lambda s: {"version": _v(s, "source")}
    ),
    Operation(
        "source_unarchive",
        role="admin",
        path={"source_id": "archived_source"},
        body=lambda s: {"version": _v(s, "archived_source")},
    ),
    Operation(
        "source_merge",
        role="admin",
        path={"source_id": "spare_source"},
        body_ids={"into_id": "source"},
        body=lambda s: {"into_id": s.id("source"), "version": _v(s, "spare_source")},
    ),
    Operation("source_alias_list", query={"source_id": "source"}),
    Operation(
        "source_alias_create",
        role="admin",
        body_ids={"source_id": "source"},
        body=lambda s: {"source_id": s.id("source"), "text": "API alias"},
        texts=("text",),
    ),
    Operation("source_alias_get", path={"alias_id": "alias"}),
    Operation(
        "source_alias_update",
        role="admin",
        path={"alias_id": "alias"},
        body_ids={"source_id": "source"},
        body=lambda s: {"version": _v(s, "alias"), "source_id": s.id("source"), "text": "API alias respelt"},
        texts=("text",),
    ),
    Operation("source_alias_delete", role="admin", path={"alias_id": "alias"}),
    Operation("channel_list"),
    Operation("channel_create", role="admin", body=lambda s: {"name": "API channel"}, texts=("name",)),
    Operation("channel_reorder", role="admin", body_ids={"ids": "channel"}, body=_channel_reorder),
    Operation("channel_get", path={"channel_id": "channel"}),
    Operation(
        "channel_update",
        role="admin",
        path={"channel_id": "channel"},
        body=lambda s: {"name": "API renamed channel"},
        texts=("name",),
    ),
    Operation(
        "channel_delete",
        role="admin",
        path={"channel_id": "spare_channel"},
        query={"target_id": "channel"},
        params=lambda s: {"target_id": s.id("channel")},
    ),
    Operation("campaign_list", query={"source_id": "source"}),
    Operation(
        "campaign_create",
        role="admin",
        body_ids={"source_id": "source"},
        body=lambda s: {"source_id": s.id("source"), "name": "API campaign", "start_date": "2026-03-01", "budget": "5"},
        texts=("name", "budget", "currency"),
    ),
    Operation("campaign_get", path={"campaign_id": "campaign"}),
    Operation(
        "campaign_update",
        role="admin",
        path={"campaign_id": "campaign"},
        body=_patch("campaign", name="API renamed campaign"),
        texts=("name", "budget"),
    ),
    Operation("campaign_delete", role="admin", path={"campaign_id": "spare_campaign"}),
    Operation("spend_list", query={"source_id": "source", "campaign_id": "campaign"}),
    Operation(
        "spend_create",
        role="admin",
        body_ids={"source_id": "source", "campaign_id": "campaign"},
        body=lambda s: {
            "source_id": s.id("source"),
            "campaign_id": s.id("campaign"),
            "month": "2026-03",
            "amount": "5",
            "note": "API spend",
        },
        texts=("note", "amount", "currency"),
    ),
    Operation("spend_get", path={"entry_id": "spend"}),
    Operation(
        "spend_update",
        role="admin",
        path={"entry_id": "spend"},
        body_ids={"campaign_id": "campaign"},
        body=_patch("spend", note="API changed spend"),
        texts=("note", "amount"),
    ),
    Operation("spend_delete", role="admin", path={"entry_id": "spare_spend"}),
    Operation("source_settings_get"),
    Operation("source_settings_update", role="admin", body=lambda s: {"default_from_contact": False}),
    Operation("member_list"),
    Operation("member_add", role="admin", body=lambda s: {"email": "api-new@alpha.example", "role": "viewer"}),
    Operation("member_get", path={"member_id": "membership"}),
    Operation("member_change_role", role="admin", path={"member_id": "membership"}, body=lambda s: {"role": "viewer"}),
    Operation(
        "member_remove",
        role="admin",
        path={"member_id": "membership"},
        query={"reassign_to_id": "user"},
        params=lambda s: {"reassign_to_id": s.user("admin").pk},
    ),
    Operation("invitation_list", role="admin"),
    Operation("invitation_get", role="admin", path={"invitation_id": "invitation"}),
    Operation(
        "invitation_renew", role="admin", path={"invitation_id": "invitation"}, body=lambda s: {"role": "viewer"}
    ),
    Operation("invitation_delete", role="admin", path={"invitation_id": "invitation"}),
    Operation("source_statistics", query={"owner_id": "user", "owner": "user"}),
    Operation("source_statistics_csv", query={"owner_id": "user", "owner": "user"}),
    Operation("cohort_statistics", query={"source_id": "source"}),
    Operation("trend_statistics", query={"owner_id": "user", "channel": "channel"}),
    Operation("account_get"),
    Operation(
        "account_update",
        role="admin",
        body=lambda s: {"name": "Ours renamed", "version": _settings_version(s)},
        texts=("name",),
    ),
    Operation("rate_list"),
    Operation(
        "rate_create", role="admin", body=lambda s: {"currency": "USD", "rate": "3.95"}, texts=("currency", "rate")
    ),
    Operation("rate_get", path={"rate_id": "rate"}),
    Operation(
        "rate_update", role="admin", path={"rate_id": "rate"}, body=_patch("rate", rate="4.3012"), texts=("rate",)
    ),
    Operation("rate_delete", role="admin", path={"rate_id": "rate"}),
    Operation("import_list", role="member"),
    Operation("import_get", role="member", path={"import_id": "import"}),
    Operation("import_template", role="member", params=lambda s: {"language": "pl"}),
    Operation("import_create", role="member", upload=_import_upload),
    Operation("import_undo_get", role="member", path={"import_id": "import"}),
    Operation("import_undo_start", role="member", path={"import_id": "run_import"}, body=lambda s: {"touched": "keep"}),
]

OPERATION_BY_ID = {o.op_id: o for o in API_OPERATIONS}
