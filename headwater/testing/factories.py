"""factory_boy factories. Children take their account from their parent, so a graph never straddles tenants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from headwater.campaigns.models import Campaign
from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.core.text import name_key, name_look_key
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.records.services import search_key_of
from headwater.sources.models import Source
from headwater.users.links import invitation_max_age, secret_make
from headwater.users.models import Invitation, Membership, Role, User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Account {n}")
    slug = factory.Sequence(lambda n: f"account-{n}")
    currency = "PLN"
    language = "en"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    # Every user the application creates has proven their address (sign-up or invitation link).
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation whose link nobody knows (tests that need the link call the service)."""

    class Meta:
        model = Invitation

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.test")
    role = Role.MEMBER
    token_hash = factory.LazyFunction(lambda: secret_make()[1])
    expires_at = factory.LazyFunction(lambda: timezone.now() + invitation_max_age())


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    name_key = factory.LazyAttribute(lambda o: name_key(o.name))
    look_key = factory.LazyAttribute(lambda o: name_look_key(o.name))
    position = factory.Sequence(lambda n: n + 100)


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign of a source; its account is its source's."""

    class Meta:
        model = Campaign

    source = factory.SubFactory(SourceFactory)
    account = factory.LazyAttribute(lambda o: o.source.account)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    name_key = factory.LazyAttribute(lambda o: name_key(o.name))
    start_date = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))


class RecordFactory(factory.django.DjangoModelFactory):
    """Records written around the services still get their search key, so list searches find them."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        record = model_class(*args, **kwargs)
        record.search_key = search_key_of(record)
        record.save(force_insert=True)
        return record


class CompanyFactory(RecordFactory):
    class Meta:
        model = Company

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Company {n}")


class PersonFactory(RecordFactory):
    class Meta:
        model = Person

    account = factory.LazyAttribute(lambda o: o.company.account if o.company else AccountFactory())
    company = None
    first_name = factory.Faker("first_name")
    last_name = factory.Sequence(lambda n: f"Person{n}")


class DealFactory(RecordFactory):
    class Meta:
        model = Deal

    account = factory.LazyAttribute(
        lambda o: o.company.account if o.company else (o.person.account if o.person else AccountFactory())
    )
    company = None
    person = None
    name = factory.Sequence(lambda n: f"Deal {n}")
    value = Decimal("1000.00")
    currency = factory.LazyAttribute(lambda o: o.account.currency)
    status = DealStatus.OPEN


SAMPLE_IMPORT = "Nazwa firmy;NIP;E-mail;Źródło;Wartość\nAcme;5260001246;anna@acme.pl;FB;1 234,50 zł\n"


def make_import(account: Account, user: User, *, name: str = "import.csv", content: bytes | None = None) -> Any:
    """An import of a small file, stored and read through the service (the way an upload is)."""
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415  # only this helper needs it

    from headwater.imports.services import import_upload  # noqa: PLC0415  # the imports sit above the records

    data = SAMPLE_IMPORT.encode("cp1250") if content is None else content
    import_, _detected = import_upload(account=account, user=user, upload=SimpleUploadedFile(name, data))
    return import_
