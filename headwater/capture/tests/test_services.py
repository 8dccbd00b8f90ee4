"""Capture services: a lead and its touch, returning persons, first and last touch, rules, unmatched values."""

from __future__ import annotations

import pytest

from headwater.capture import services
from headwater.capture.models import CaptureEvent, MappingRule, RecordTouches, Resolution, Touch
from headwater.capture.selectors import link_test, unmatched_list
from headwater.core.errors import ValidationFailed
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import HowChanged, Source, SourceAlias, SourceChange
from headwater.testing.factories import PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db

NEWSLETTER = "https://shop.example.pl/?utm_source=newsletter&utm_medium=email&utm_campaign=december"


def _lead(account, user=None, *, email="ola@example.pl", phone="", touch=None, **kwargs):
    return services.lead_capture(
        account=account,
        user=user,
        channel="landing builder",
        person={"first_name": "Ola", "last_name": "Nowak", "email": email, "phone": phone},
        touch=touch or {},
        **kwargs,
    )


@pytest.fixture
def ready(tenant):
    enable_sources(tenant.account)
    services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    return tenant


def _source(account, name):
    return Source.objects.for_account(account).get(name=name)


def test_defaults_are_named_in_the_accounts_language_and_reuse_existing_sources(tenant, other_tenant):
    tenant.account.language = "pl"
    tenant.account.save()
    SourceFactory(account=tenant.account, name="Kampania e-mailowa")
    before = Source.objects.for_account(tenant.account).count()
    rules = services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    names = [rule.target.name for rule in rules]
    assert names == [
        "Płatne wyszukiwanie",
        "Płatne wyszukiwanie",
        "Kampania e-mailowa",
        "Media społecznościowe",
        "Wyszukiwanie organiczne",
    ]
    # An existing source of the name is used, not duplicated.
    assert Source.objects.for_account(tenant.account).count() == before + 3
    assert not MappingRule.objects.for_account(other_tenant.account).exists()


@pytest.mark.parametrize(
    ("landing", "referrer", "expected"),
    [
        ("https://shop.example.pl/?gclid=abc", "https://www.google.com/", "Paid search"),
        ("https://shop.example.pl/", "https://www.google.co.uk/search?q=x", "Organic search"),
        ("https://shop.example.pl/", "https://l.facebook.com/l.php?u=x", "Social media"),
        ("https://shop.example.pl/", "https://lm.facebook.com/", "Social media"),
        (NEWSLETTER, "", "E-mail campaign"),
    ],
)
def test_the_default_rules(ready, landing, referrer, expected):
    _found, outcome = link_test(account=ready.account, landing_url=landing, referrer=referrer)
    assert outcome.source is not None
    assert outcome.source.name == expected
    assert outcome.resolution == Resolution.RULE


def test_a_new_lead_gets_a_person_a_touch_and_the_tracked_source(ready):
    result = _lead(ready.account, ready.member, touch={"landing_url": NEWSLETTER, "consent": True})
    person = result.person
    assert result.person_created
    assert person.origin == RecordOrigin.API
    assert person.source == _source(ready.account, "E-mail campaign")
    change = SourceChange.objects.for_account(ready.account).get(record_type="person", record_id=person.pk)
    assert change.how == HowChanged.CAPTURE
    touch = result.touch
    assert (touch.utm_source, touch.utm_medium, touch.utm_campaign, touch.consent) == (
        "newsletter",
        "email",
        "december",
        True,
    )
    pointers = RecordTouches.objects.for_account(ready.account).get(record_type="person", record_id=person.pk)
    assert pointers.first_touch_id == pointers.last_touch_id == touch.pk


def test_a_returning_person_gets_a_new_last_touch_and_keeps_the_first(ready):
    first = _lead(ready.account, touch={"landing_url": NEWSLETTER})
    second = _lead(
        ready.account,
        email="OLA@example.pl",
        touch={"landing_url": "https://shop.example.pl/", "referrer": "https://www.bing.com/"},
    )
    assert not second.person_created
    assert second.person.pk == first.person.pk
    assert Person.objects.for_account(ready.account).count() == 1
    pointers = RecordTouches.objects.for_account(ready.account).get(record_type="person")
    assert pointers.first_touch_id == first.touch.pk
    assert pointers.last_touch_id == second.touch.pk
    second.person.refresh_from_db()
    assert second.person.source == _source(ready.account, "E-mail campaign")


def test_a_returning_person_is_found_by_phone_however_written(ready):
    person = PersonFactory(account=ready.account, email="", phone="+48 600-100-200")
    result = _lead(ready.account, email="", phone="600 100 200")
    assert result.person.pk == person.pk
    assert not result.person_created


def test_the_bodys_source_wins_and_the_self_reported_answer_is_kept(ready):
    fair = SourceFactory(account=ready.account, name="Trade fair 2026")
    SourceAlias.objects.create(account=ready.account, source=fair, text="fair", key="fair", look_key="fair")
    result = _lead(ready.account, touch={"landing_url": NEWSLETTER}, source=fair.pk, self_reported="Fair")
    assert result.person.source == fair
    assert result.touch.resolved_source == _source(ready.account, "E-mail campaign")
    assert result.touch.reported_source == fair


def test_a_lead_with_a_deal_and_company_gives_each_its_touch(ready):
    result = _lead(ready.account, touch={"landing_url": NEWSLETTER}, company={"name": "Acme"}, deal={"value": "100"})
    assert result.deal.person_id == result.person.pk
    assert result.deal.company_id == result.company.pk
    assert result.deal.source == result.person.source
    kinds = set(RecordTouches.objects.for_account(ready.account).values_list("record_type", flat=True))
    assert kinds == {"person", "company", "deal"}


def test_bad_touch_input_changes_nothing(ready):
    with pytest.raises(ValidationFailed) as caught:
        _lead(ready.account, touch={"landing_url": "javascript:alert(1)"})
    assert "landing_url" in caught.value.fields
    with pytest.raises(ValidationFailed):
        _lead(ready.account, touch={"utm_source": "a\x00b"})
    assert not Person.objects.for_account(ready.account).exists()
    assert not Touch.objects.for_account(ready.account).exists()


def test_an_unmatched_value_never_creates_a_source_and_mapping_it_updates_the_waiting_records(ready):
    before = Source.objects.for_account(ready.account).count()
    first = _lead(ready.account, touch={"utm_source": "Podcast-XYZ"})
    _lead(ready.account, email="jan@example.pl", touch={"utm_source": "podcast-xyz"})
    assert Source.objects.for_account(ready.account).count() == before
    assert first.person.source is None
    [waiting] = unmatched_list(account=ready.account)
    assert (waiting.kind, waiting.value, waiting.count) == ("utm_source", "podcast-xyz", 2)
    done = services.unmatched_map(
        account=ready.account,
        user=ready.admin,
        kind="utm_source",
        value="podcast-xyz",
        action="new",
        new_name="Podcast",
    )
    assert (done.touches, done.records) == (2, 2)
    podcast = _source(ready.account, "Podcast")
    first.person.refresh_from_db()
    assert first.person.source == podcast
    change = SourceChange.objects.for_account(ready.account).filter(record_id=first.person.pk).first()
    assert (change.how, change.user) == (HowChanged.CAPTURE, ready.admin)
    assert unmatched_list(account=ready.account) == []
    # The value is now an alias: the next touch with it resolves at once.
    assert _lead(ready.account, email="x@example.pl", touch={"utm_source": "PODCAST-xyz"}).person.source == podcast


def test_ignoring_a_value_takes_it_off_the_list(ready):
    _lead(ready.account, touch={"referrer": "https://blog.someone.dev/post"})
    [waiting] = unmatched_list(account=ready.account)
    assert (waiting.kind, waiting.value) == ("referrer", "someone.dev")
    services.unmatched_map(
        account=ready.account, user=ready.admin, kind="referrer", value="someone.dev", action="ignore"
    )
    assert unmatched_list(account=ready.account) == []
    _lead(ready.account, email="b@example.pl", touch={"referrer": "https://someone.dev/"})
    assert unmatched_list(account=ready.account) == []


def test_a_rule_change_is_previewed_then_applied_to_past_records_only_when_asked(ready):
    result = _lead(ready.account, touch={"landing_url": NEWSLETTER})
    newsletter = SourceFactory(account=ready.account, name="Newsletter")
    data = {"utm_source": "newsletter", "target": newsletter.pk}
    draft = services.mapping_rule_draft(account=ready.account, rule=None, data=data)
    rules = services.rules_with(account=ready.account, draft=draft)
    # At the end the e-mail rule still fires first: nothing would change.
    assert services.capture_preview(account=ready.account, rules=rules).touches == 0
    rule, done = services.mapping_rule_save(account=ready.account, user=ready.admin, rule=None, data=data)
    assert done is None
    for _ in range(5):
        services.mapping_rule_move(account=ready.account, user=ready.admin, rule=rule, direction="up")
    preview = services.capture_preview(account=ready.account, rules=services.rules_with(account=ready.account))
    assert (preview.touches, preview.records) == (1, 1)
    result.person.refresh_from_db()
    assert result.person.source.name == "E-mail campaign"  # not applied yet
    done = services.capture_reapply(account=ready.account, user=ready.admin)
    assert (done.touches, done.records) == (1, 1)
    result.person.refresh_from_db()
    assert result.person.source == newsletter
    assert CaptureEvent.objects.for_account(ready.account).filter(action="reapplied").exists()


def test_a_hand_chosen_source_is_not_overwritten_by_reapplying(ready):
    chosen = SourceFactory(account=ready.account, name="Chosen")
    result = _lead(ready.account, touch={"landing_url": NEWSLETTER}, source=chosen)
    MappingRule.objects.for_account(ready.account).delete()
    services.capture_reapply(account=ready.account, user=ready.admin)
    result.person.refresh_from_db()
    assert result.person.source == chosen


def test_an_admin_corrects_the_first_touch_and_history_says_who(ready):
    result = _lead(ready.account, touch={"landing_url": NEWSLETTER})
    partner = SourceFactory(account=ready.account, name="Partner")
    services.first_touch_correct(account=ready.account, user=ready.admin, record=result.person, source=partner)
    result.person.refresh_from_db()
    assert result.person.source == partner
    change = SourceChange.objects.for_account(ready.account).filter(record_id=result.person.pk).first()
    assert (change.how, change.user, change.new_name) == (HowChanged.TYPED, ready.admin, "Partner")
    # A later re-application keeps the correction.
    services.capture_reapply(account=ready.account, user=ready.admin)
    result.person.refresh_from_db()
    assert result.person.source == partner


def test_a_rule_needs_a_condition_and_a_source_of_this_account(ready, other_tenant):
    theirs = SourceFactory(account=other_tenant.account, name="Theirs")
    with pytest.raises(ValidationFailed) as caught:
        services.mapping_rule_save(account=ready.account, user=ready.admin, rule=None, data={"target": theirs.pk})
    assert "utm_source" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.mapping_rule_save(
            account=ready.account, user=ready.admin, rule=None, data={"utm_source": "x", "target": theirs.pk}
        )
    assert "target" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.mapping_rule_save(
            account=ready.account,
            user=ready.admin,
            rule=None,
            data={"referrer_domains": "not a domain", "target": _source(ready.account, "Social media").pk},
        )
    assert "referrer_domains" in caught.value.fields


def test_sources_switched_off_still_record_touches_without_setting_a_source(tenant):
    services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    result = _lead(tenant.account, touch={"landing_url": NEWSLETTER})
    assert result.person.source is None
    assert result.touch.resolved_source.name == "E-mail campaign"


def test_an_edit_of_the_person_leaves_the_first_touch_alone(ready):
    from headwater.persons.services import person_update  # noqa: PLC0415 — only this test edits a person

    result = _lead(ready.account, touch={"landing_url": NEWSLETTER})
    other = SourceFactory(account=ready.account, name="Other")
    person_update(
        account=ready.account, user=ready.member, person=result.person, version=None, source=other, last_name="K"
    )
    pointers = RecordTouches.objects.for_account(ready.account).get(record_type="person")
    assert pointers.first_touch_id == result.touch.pk
    assert pointers.first_touch.resolved_source.name == "E-mail campaign"
    # Re-applying the rules does not take the hand-chosen source back either.
    services.capture_reapply(account=ready.account, user=ready.admin)
    result.person.refresh_from_db()
    assert result.person.source == other
