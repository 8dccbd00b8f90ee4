"""Account settings > Acquisition sources > Aliases: admins see, add, change and delete them (htmx or plain POST)."""

from __future__ import annotations

import pytest
from django.utils import translation

from headwater.sources.models import CatalogAction, SourceAlias, SourceEvent
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_back():
    """A request in Polish leaves Polish active in this thread: the tests after this one expect the default."""
    yield
    translation.deactivate()


HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = "settings/sources/"


@pytest.fixture
def fb(tenant):
    return SourceFactory(account=tenant.account, name="Facebook Ads", position=1)


@pytest.fixture
def google(tenant):
    return SourceFactory(account=tenant.account, name="Google Ads", position=2)


def _aliases(account):
    return sorted(SourceAlias.objects.for_account(account).values_list("text", "source__name"))


def _alias(tenant, source, text):
    return SourceAlias.unscoped.create(
        account=tenant.account, source=source, text=text, key=text.lower(), look_key=text.lower()
    )


def test_the_page_lists_every_alias_with_its_source(tenant, admin_client, fb, google):
    _alias(tenant, fb, "FB")
    _alias(tenant, google, "Adwords")
    page = admin_client.get(tenant.url(PAGE)).text
    assert 'id="sources-aliases"' in page
    panel = page[page.index('id="sources-aliases"') :]
    rows = panel[panel.index("<tbody>") : panel.index("</tbody>")]
    assert rows.index("Adwords") < rows.index("Google Ads") < rows.index("FB") < rows.index("Facebook Ads")
    assert '<label for="id_alias-text">Alias' in page
    assert '<label for="id_alias-source">Stands for the source' in page


def test_adding_with_htmx_answers_the_panel_and_the_history(tenant, admin_client, fb):
    response = admin_client.post(tenant.url(PAGE + "aliases/add/"), {"alias-text": "FB", "alias-source": fb.pk}, **HTMX)
    assert response.status_code == 200
    assert 'id="sources-aliases"' in response.text
    assert 'id="sources-history" aria-labelledby="source-history-title" hx-swap-oob="true"' in response.text
    assert "now stands for" in response.text
    assert "Added the alias" in response.text
    assert _aliases(tenant.account) == [("FB", "Facebook Ads")]


def test_adding_without_htmx_redirects(tenant, admin_client, fb):
    response = admin_client.post(tenant.url(PAGE + "aliases/add/"), {"alias-text": "FB", "alias-source": fb.pk})
    assert response.status_code == 302
    assert response["Location"].endswith("#sources-aliases")


@pytest.mark.parametrize(
    "case",
    [
        ({"alias-text": "", "alias-source": "SOURCE"}, "Enter the alias"),
        ({"alias-text": "fb", "alias-source": ""}, "Choose the source this alias stands for."),
        ({"alias-text": "google ads", "alias-source": "SOURCE"}, "matches the name of another source"),
        ({"alias-text": "facebook ADS", "alias-source": "SOURCE"}, "no alias is needed"),
        ({"alias-text": "a\x01b", "alias-source": "SOURCE"}, "control character"),
    ],
)
@pytest.mark.usefixtures("google")
def test_refusals_show_next_to_the_field_and_write_nothing(tenant, admin_client, fb, case):
    data, message = case
    data = {k: (fb.pk if v == "SOURCE" else v) for k, v in data.items()}
    for headers in (HTMX, {}):
        response = admin_client.post(tenant.url(PAGE + "aliases/add/"), data, **headers)
        assert response.status_code == 200
        assert message in response.text
        assert "field--error" in response.text
    assert _aliases(tenant.account) == []


def test_another_accounts_source_cannot_be_chosen(tenant, other_tenant, admin_client, fb):
    theirs = SourceFactory(account=other_tenant.account, name="Theirs")
    response = admin_client.post(tenant.url(PAGE + "aliases/add/"), {"alias-text": "T", "alias-source": theirs.pk})
    assert response.status_code == 200
    assert "Choose a source." in response.text
    assert not SourceAlias.unscoped.exists()


def test_editing_repoints_and_respells(tenant, admin_client, fb, google):
    alias = _alias(tenant, fb, "GA")
    url = tenant.url(PAGE + f"aliases/{alias.pk}/edit/")
    form = admin_client.get(url, **HTMX)
    assert 'id="id_alias-edit-text"' in form.text
    assert "autofocus" in form.text
    data = {"alias-edit-text": "G Ads", "alias-edit-source": google.pk}
    response = admin_client.post(url, data, **HTMX)
    assert response.status_code == 200
    assert _aliases(tenant.account) == [("G Ads", "Google Ads")]
    assert SourceEvent.objects.for_account(tenant.account).filter(action=CatalogAction.ALIAS_MOVED).count() == 1


def test_editing_into_a_collision_keeps_the_form_and_the_alias(tenant, admin_client, fb, google):
    _alias(tenant, fb, "FB")
    alias = _alias(tenant, fb, "Fejs")
    url = tenant.url(PAGE + f"aliases/{alias.pk}/edit/")
    response = admin_client.post(url, {"alias-edit-text": "FB", "alias-edit-source": fb.pk}, **HTMX)
    assert "already an alias" in response.text
    assert 'value="FB"' in response.text
    assert _aliases(tenant.account) == [("FB", "Facebook Ads"), ("Fejs", "Facebook Ads")]


def test_deleting(tenant, admin_client, fb):
    alias = _alias(tenant, fb, "FB")
    response = admin_client.post(tenant.url(PAGE + f"aliases/{alias.pk}/delete/"), **HTMX)
    assert response.status_code == 200
    assert "Alias “<bdi>FB</bdi>” deleted." in response.text
    assert _aliases(tenant.account) == []
    assert admin_client.post(tenant.url(PAGE + f"aliases/{alias.pk}/delete/")).status_code == 404


def test_renaming_a_source_refreshes_the_alias_panel_too(tenant, admin_client, fb):
    _alias(tenant, fb, "FB")
    data = {f"rename-{fb.pk}-name": "Meta Ads", f"rename-{fb.pk}-version": fb.version}
    response = admin_client.post(tenant.url(PAGE + f"{fb.pk}/rename/"), data, **HTMX)
    assert 'id="sources-aliases" aria-labelledby="source-aliases-title"' in response.text
    panel = response.text[response.text.index('id="sources-aliases"') :]
    assert "Meta Ads" in panel[: panel.index("</table>")]


def test_members_and_viewers_cannot_see_or_change_aliases(tenant, member_client, viewer_client, fb):
    alias = _alias(tenant, fb, "FB")
    for client in (member_client, viewer_client):
        assert client.get(tenant.url(PAGE + f"aliases/{alias.pk}/edit/")).status_code == 403
        for path, data in (
            ("aliases/add/", {"alias-text": "X", "alias-source": fb.pk}),
            (f"aliases/{alias.pk}/edit/", {"alias-edit-text": "Y", "alias-edit-source": fb.pk}),
            (f"aliases/{alias.pk}/delete/", {}),
        ):
            assert client.post(tenant.url(PAGE + path), data).status_code == 403, path
    assert _aliases(tenant.account) == [("FB", "Facebook Ads")]


def test_another_accounts_alias_is_404(tenant, other_tenant, admin_client):
    theirs = SourceFactory(account=other_tenant.account, name="Theirs")
    alias = SourceAlias.unscoped.create(account=other_tenant.account, source=theirs, text="T", key="t", look_key="t")
    assert admin_client.get(tenant.url(PAGE + f"aliases/{alias.pk}/edit/")).status_code == 404
    assert admin_client.post(tenant.url(PAGE + f"aliases/{alias.pk}/delete/")).status_code == 404
    assert SourceAlias.unscoped.filter(pk=alias.pk).exists()


def test_polish(tenant, admin_client, fb):
    _alias(tenant, fb, "FB")
    admin_client.cookies["django_language"] = "pl"
    page = admin_client.get(tenant.url(PAGE)).text
    assert "Aliasy" in page
    assert "Dodaj alias" in page
