"""Writes about users, accounts and memberships."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.sources.services import sources_seed_starter
from headwater.users.models import Membership, Role, User


@transaction.atomic
def account_create(
    *, name: str, slug: str, currency: str, language: str, owner: User, time_zone: str = "Europe/Warsaw"
) -> Account:
    """A new tenant with `owner` as its admin and the starter list of sources (feature off)."""
    slug = slug.strip().lower()
    if Account.objects.filter(slug=slug).exists():
        raise ValidationFailed.on("slug", _("This address is already taken; choose another."))
    try:
        with transaction.atomic():
            account = Account.objects.create(
                name=name.strip(), slug=slug, currency=currency.upper(), language=language, time_zone=time_zone
            )
    except IntegrityError as exc:
        raise ValidationFailed.on("slug", _("This address is already taken; choose another.")) from exc
    Membership.unscoped.create(account=account, user=owner, role=Role.ADMIN)
    sources_seed_starter(account=account)
    return account


@transaction.atomic
def user_signup(
    *, email: str, password: str, full_name: str, account_name: str, slug: str, currency: str, language: str
) -> tuple[User, Account]:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.on("email", _("An account with this e-mail address already exists; log in instead."))
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    account = account_create(name=account_name, slug=slug, currency=currency, language=language, owner=user)
    return user, account
