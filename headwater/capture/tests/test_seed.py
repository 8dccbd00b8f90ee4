"""A new account starts with the default mapping rules, in its language, whoever creates it; seeding is
idempotent."""

from __future__ import annotations

import pytest

from headwater.capture import services
from headwater.capture.models import CaptureEvent, MappingRule
from headwater.core.models import Account
from headwater.sources.models import Source

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Paid search", "Paid search", "E-mail campaign", "Social media", "Organic search"]),
        (
            "pl",
            [
                "Płatne wyszukiwanie",
                "Płatne wyszukiwanie",
                "Kampania e-mailowa",
                "Media społecznościowe",
                "Wyszukiwanie organiczne",
            ],
        ),
    ],
)
def test_a_new_account_posted_on_the_page_starts_with_the_default_rules(member_client, tenant, language, names):
    data = {"account_name": "Side", "slug": f"side-{language}", "currency": "PLN", "language": language}
    assert member_client.post("/accounts/new/", data).status_code == 302
    account = Account.objects.get(slug=f"side-{language}")
    rules = list(MappingRule.objects.for_account(account).select_related("target").order_by("position"))
    assert [rule.target.name for rule in rules] == names
    assert [rule.position for rule in rules] == [1, 2, 3, 4, 5]
    assert [rule.click_id for rule in rules[:2]] == ["gclid", "msclkid"]
    # The starter sources are reused, the two missing ones created once, with their plain channel.
    sources = Source.objects.for_account(account)
    assert sources.filter(name=names[2]).count() == 1
    assert sources.get(name=names[0]).channel.key == "paid_search"
    assert sources.get(name=names[4]).channel.key == "organic_search"
    # The admin sees them on the rules page, and "Add the default rules" adds nothing more.
    page = member_client.get(f"/a/{account.slug}/settings/capture/")
    assert page.status_code == 200
    assert names[4] in page.content.decode()
    assert services.capture_rules_seed_defaults(account=account, user=tenant.member) == []
    assert MappingRule.objects.for_account(account).count() == 5
    assert CaptureEvent.objects.for_account(account).filter(action="defaults_added").count() == 1


def test_seeding_adds_only_the_missing_rules_after_the_admins_own(tenant):
    account = tenant.account
    assert len(services.capture_rules_seed_defaults(account=account, user=tenant.admin)) == 5
    MappingRule.objects.for_account(account).filter(click_id="msclkid").delete()
    own = MappingRule.unscoped.create(
        account=account, position=9, utm_source="partner", target=Source.objects.for_account(account).first()
    )
    made = services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    assert [rule.click_id for rule in made] == ["msclkid"]
    assert made[0].position == 10
    assert MappingRule.objects.for_account(account).count() == 6
    assert MappingRule.objects.for_account(account).get(pk=own.pk).position == 9
