"""Account settings > Lead capture > Forms: admins add, change, delete and embed forms; others cannot; another
account's form is 404."""

from __future__ import annotations

import pytest

from headwater.leadforms.models import LeadForm
from headwater.leadforms.tests.helpers import make_form
from headwater.records.tests.api_contract import enable_sources
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db


def _data(**changes):
    return {
        "name": "Contact us",
        "field_first_name": "optional",
        "field_last_name": "required",
        "field_email": "required",
        "allowed_origins": "https://www.shop.example.pl\nhttp://localhost:8080/",
        "thank_you": "Thanks!",
        "active": "on",
        **changes,
    }


def test_an_admin_adds_a_form_and_sees_its_snippet(tenant):
    enable_sources(tenant.account)
    friend = SourceFactory(account=tenant.account, name="Referral")
    client = tenant.client_for("admin")
    assert client.get(tenant.url("settings/capture/forms/add/")).status_code == 200
    data = _data(
        how_heard="on",
        answers="A friend = referral\nSomewhere else",
        opens_deal="on",
        deal_owner=tenant.member.pk,
        deal_value="900",
    )
    response = client.post(tenant.url("settings/capture/forms/add/"), data)
    assert response.status_code == 302
    form = LeadForm.objects.for_account(tenant.account).get()
    assert form.allowed_origins == ["https://www.shop.example.pl", "http://localhost:8080"]
    assert form.answers == [
        {"label": "A friend", "source_id": friend.pk},
        {"label": "Somewhere else", "source_id": None},
    ]
    assert form.fields == {"first_name": "optional", "last_name": "required", "email": "required"}
    assert (form.deal_owner, str(form.deal_value)) == (tenant.member, "900.00")
    assert len(form.public_key) >= 32
    snippet = client.get(response["Location"]).content.decode()
    # Shown as text to copy: escaped, never live markup on our page.
    assert f"data-headwater-form=&quot;{form.public_key}&quot;" in snippet
    assert "/f/embed.js&quot; defer" in snippet
    assert "data-consent=&quot;required&quot;" in snippet
    listed = client.get(tenant.url("settings/capture/forms/")).content.decode()
    assert "Contact us" in listed


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allowed_origins": "https://shop.example.pl/contact"}, "allowed_origins", "is not a website&#x27;s address"),
        ({"allowed_origins": "javascript:alert(1)"}, "allowed_origins", "is not a website&#x27;s address"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url", "starting with http:// or https://"),
        ({"how_heard": "on", "answers": "A friend = No such source"}, "answers", "Line 1: no source is named"),
        ({"how_heard": "on", "answers": ""}, "answers", "Write at least one answer"),
        ({"field_last_name": "optional"}, "field_last_name", "A person needs a last name"),
        ({"field_email": ""}, "field_email", "Ask for an e-mail address or a phone number"),
        ({"field_message": "optional"}, "field_deal_name", "only when each submission opens a deal"),
        ({"name": "x" * 101}, "name", "At most 100 characters"),
        ({"deal_value": "-5"}, "deal_value", "greater than or equal to 0"),
    ],
)
def test_a_wrong_form_is_refused_beside_the_field(tenant, changes, field, message):
    response = tenant.client_for("admin").post(tenant.url("settings/capture/forms/add/"), _data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert not LeadForm.objects.for_account(tenant.account).exists()


def test_an_admin_changes_deactivates_and_deletes_a_form(tenant):
    form = make_form(tenant.account)
    client = tenant.client_for("admin")
    base = tenant.url(f"settings/capture/forms/{form.pk}/")
    assert client.get(base + "edit/").status_code == 200
    response = client.post(base + "edit/", _data(name="Newsletter sign-up", active=""))
    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.name, form.active) == ("Newsletter sign-up", False)
    assert client.get(f"/f/{form.public_key}").status_code == 404
    refused = client.post(base + "delete/", {})  # the box must be ticked
    assert refused.status_code == 200
    assert 'id="id_confirm_error"' in refused.content.decode()
    assert client.post(base + "delete/", {"confirm": "on"}).status_code == 302
    assert not LeadForm.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize("path", ["", "add/"])
def test_members_and_viewers_cannot_see_the_forms(tenant, path):
    for role in ("member", "viewer"):
        assert tenant.client_for(role).get(tenant.url(f"settings/capture/forms/{path}")).status_code == 403


@pytest.mark.parametrize("path", ["edit/", "delete/", "embed/"])
def test_another_accounts_form_is_not_found(tenant, other_tenant, path):
    theirs = make_form(other_tenant.account)
    client = tenant.client_for("admin")
    assert client.get(tenant.url(f"settings/capture/forms/{theirs.pk}/{path}")).status_code == 404
    assert client.post(
        tenant.url(f"settings/capture/forms/{theirs.pk}/{path}"), {"confirm": "on", **_data()}
    ).status_code in (404, 405)
    theirs.refresh_from_db()
    assert theirs.name == "Contact us"
