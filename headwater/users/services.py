"""Writes about users, accounts and memberships."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.core.errors import PermissionDenied, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import check_text, clean_name
from headwater.sources.services import sources_seed_starter
from headwater.users.invitations import invitation_token_make, invitation_user
from headwater.users.models import Membership, Role, User
from headwater.users.selectors import OWNED_MODELS

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _clean_email(value: str) -> str:
    email = value.strip().lower()
    check_text("email", email)
    if len(email) > User._meta.get_field("email").max_length:  # type: ignore[operator]
        # Django's validator allows 320 characters; the column holds 254 (PostgreSQL would refuse the row).
        raise ValidationFailed.on("email", _("The e-mail address is too long (at most 254 characters)."))
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed.on("email", _("Enter a valid e-mail address.")) from exc
    return email


def _clean_role(value: str) -> Role:
    if value not in Role.values:
        raise ValidationFailed.on("role", _("Choose admin, member or viewer."))
    return Role(value)


def _check_password(password: str, user: User | None = None) -> None:
    check_text("password", password)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("; ".join(exc.messages), fields={"password": list(exc.messages)}) from exc


def _check_account_fields(*, name: str, slug: str, currency: str, language: str) -> str:
    """Every field's problems at once; returns the name as it is stored."""
    fields: dict[str, list[str]] = {}
    try:
        name = clean_name(name, field="name", required=_("Enter the account name."))
    except ValidationFailed as exc:
        fields.update(exc.fields)
    try:
        check_text("slug", slug)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if "name" not in fields and len(name) > Account._meta.get_field("name").max_length:  # type: ignore[operator]
        fields["name"] = [_("The name is too long (at most 200 characters).")]
    if "slug" not in fields and not _SLUG_RE.match(slug):
        fields["slug"] = [
            _("Use 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen.")
        ]
    if not _CURRENCY_RE.match(currency):
        fields["currency"] = [_("Enter a three-letter currency code, e.g. PLN.")]
    if language not in dict(settings.LANGUAGES):
        fields["language"] = [_("Choose one of the available languages.")]
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)
    return name


def _require_admin(*, account: Account, user: User) -> None:
    """Defence in depth: the views check the role too, but a service never trusts its caller."""
    if not Membership.objects.for_account(account).filter(user=user, role=Role.ADMIN, user__is_active=True).exists():
        raise PermissionDenied(_("Only an admin of this account can manage its members."))


def _lock_account(account: Account) -> None:
    # Serialises membership changes of one account, so two admins demoting each other cannot both succeed.
    Account.objects.select_for_update().filter(pk=account.pk).first()


def _other_admins_exist(*, account: Account, membership: Membership) -> bool:
    return (
        Membership.objects.for_account(account)
        .filter(role=Role.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def account_create(
    *, name: str, slug: str, currency: str, language: str, owner: User, time_zone: str = "Europe/Warsaw"
) -> Account:
    """A new tenant with `owner` as its admin and the starter list of sources (feature off)."""
    slug, currency = slug.strip().lower(), currency.strip().upper()
    name = _check_account_fields(name=name, slug=slug, currency=currency, language=language)
    if Account.objects.filter(slug=slug).exists():
        raise ValidationFailed.on("slug", _("This address is already taken; choose another."))
    try:
        with transaction.atomic():
            account = Account.objects.create(
                name=name, slug=slug, currency=currency, language=language, time_zone=time_zone
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
    """A new user and their first account, of which they are the admin."""
    email = _clean_email(email)
    full_name = clean_name(full_name, field="full_name")
    _check_password(password, User(email=email, full_name=full_name))
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and not existing.has_usable_password():
        raise ValidationFailed.on(
            "email",
            _("This address has been invited: open the invitation link you were given, or ask an admin for a new one."),
        )
    if existing is not None:
        raise ValidationFailed.on("email", _("An account with this e-mail address already exists; log in instead."))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as exc:
        raise ValidationFailed.on(
            "email", _("An account with this e-mail address already exists; log in instead.")
        ) from exc
    try:
        account = account_create(name=account_name, slug=slug, currency=currency, language=language, owner=user)
    except ValidationFailed as exc:
        # The form calls the account's name field `account_name`; keep the error next to it.
        if "name" in exc.fields:
            exc.fields["account_name"] = exc.fields.pop("name")
        raise
    return user, account


@dataclass(frozen=True)
class MembershipAdded:
    membership: Membership
    user_created: bool
    # A one-time token for the invitation link, when the user was created now and must set a password.
    invitation_token: str | None = None


@transaction.atomic
def membership_add(*, account: Account, user: User, email: str, role: str, full_name: str = "") -> MembershipAdded:
    """Give the person with `email` a role in `account`; create them (with an invitation) when they are new.

    `user` is the admin doing it. An existing user keeps their password: they simply see the account next time.
    """
    _lock_account(account)
    _require_admin(account=account, user=user)
    email = _clean_email(email)
    role = _clean_role(role)
    full_name = clean_name(full_name, field="full_name")
    if len(full_name) > User._meta.get_field("full_name").max_length:  # type: ignore[operator]
        raise ValidationFailed.on("full_name", _("The name is too long (at most 150 characters)."))
    invitee = User.objects.filter(email__iexact=email).first()
    created = invitee is None
    if invitee is None:
        try:
            with transaction.atomic():
                invitee = User.objects.create_user(email=email, password=None, full_name=full_name)
        except IntegrityError:
            # Another account's admin added the same new address at the same moment: theirs won, use it.
            invitee = User.objects.filter(email__iexact=email).first()
            if invitee is None:
                raise
            created = False
    if not invitee.is_active:
        raise ValidationFailed.on("email", _("This user has been deactivated and cannot be added."))
    if Membership.objects.for_account(account).filter(user=invitee).exists():
        raise ValidationFailed.on("email", _("%(email)s is already a member of this account.") % {"email": email})
    membership = Membership.unscoped.create(account=account, user=invitee, role=role)
    token = invitation_token_make(user=invitee) if created else None
    return MembershipAdded(membership=membership, user_created=created, invitation_token=token)


@transaction.atomic
def membership_invitation_renew(*, account: Account, user: User, membership: Membership) -> str:
    """A fresh invitation token for a member who has not set a password yet.

    Only for users who belong to this account alone: otherwise an admin here could take over the user's access
    to another account by setting their password.
    """
    _lock_account(account)
    _require_admin(account=account, user=user)
    if membership.account_id != account.pk:
        raise ValidationFailed.on("membership", _("This person is not a member of this account."))
    invitee = membership.user
    if invitee.has_usable_password():
        raise ValidationFailed.on("membership", _("This member has already set a password."))
    if Membership.unscoped.filter(user=invitee).exclude(account=account).exists():
        raise ValidationFailed.on(
            "membership", _("This person also belongs to another account; an admin there can send them a new link.")
        )
    return invitation_token_make(user=invitee)


@transaction.atomic
def membership_change_role(*, account: Account, user: User, membership: Membership, role: str) -> Membership:
    """Change a member's role; the last admin cannot be demoted."""
    # Lock first: the actor's own role is checked after any concurrent change to it has committed.
    _lock_account(account)
    _require_admin(account=account, user=user)
    if membership.account_id != account.pk:
        raise ValidationFailed.on("membership", _("This person is not a member of this account."))
    new_role = _clean_role(role)
    membership.refresh_from_db()
    if membership.role == new_role:
        return membership
    if membership.role == Role.ADMIN and not _other_admins_exist(account=account, membership=membership):
        raise ValidationFailed.on(
            "role", _("This is the account's only admin. Make someone else an admin first, then change this role.")
        )
    Membership.objects.for_account(account).filter(pk=membership.pk).update(role=new_role)
    membership.role = new_role
    return membership


@dataclass(frozen=True)
class MembershipRemoved:
    reassigned_to: User | None
    # Records whose owner changed, per model name ("companies", "persons", "deals").
    records: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def membership_remove(
    *, account: Account, user: User, membership: Membership, reassign_to: User | None = None
) -> MembershipRemoved:
    """Take `membership.user` out of `account`. Their records stay: they go to `reassign_to` or have no owner.

    `user` is the admin doing it. One UPDATE per record model, all in this transaction. The removed user's
    access ends at once: every request looks the membership up again.
    """
    _lock_account(account)
    _require_admin(account=account, user=user)
    if membership.account_id != account.pk:
        raise ValidationFailed.on("membership", _("This person is not a member of this account."))
    current = Membership.objects.for_account(account).filter(pk=membership.pk).select_related("user").first()
    if current is None:
        raise ValidationFailed.on("membership", _("This person is no longer a member of this account."))
    removed_user = current.user
    if reassign_to is not None:
        if reassign_to.pk == removed_user.pk:
            raise ValidationFailed.on("reassign_to", _("Choose another member to take over the records."))
        if (
            not Membership.objects.for_account(account)
            .filter(user=reassign_to, user__is_active=True)
            .exclude(role=Role.VIEWER)
            .exists()
        ):
            raise ValidationFailed.on("reassign_to", _("Records can only go to an admin or member of this account."))
    if current.role == Role.ADMIN and not _other_admins_exist(account=account, membership=current):
        raise ValidationFailed(
            _("This is the account's only admin and cannot be removed. Make someone else an admin first."),
            fields={"__all__": [_("This is the account's only admin and cannot be removed.")]},
        )
    now = timezone.now()
    counts: dict[str, int] = {}
    for key, model in OWNED_MODELS:
        counts[key] = (
            model.objects.for_account(account)
            .filter(owner=removed_user)
            .update(owner=reassign_to, version=F("version") + 1, updated_at=now)
        )
    current.delete()
    return MembershipRemoved(reassigned_to=reassign_to, records=counts)


@transaction.atomic
def user_accept_invitation(*, token: str, password: str) -> User:
    """Set the invited user's first password; the token stops working once it is used."""
    invitee = invitation_user(token=token)
    _check_password(password, invitee)
    invitee.set_password(password)
    invitee.save(update_fields=["password"])
    return invitee


def user_update_profile(*, user: User, full_name: str) -> User:
    full_name = clean_name(full_name, field="full_name")
    if len(full_name) > User._meta.get_field("full_name").max_length:  # type: ignore[operator]
        raise ValidationFailed.on("full_name", _("The name is too long (at most 150 characters)."))
    User.objects.filter(pk=user.pk).update(full_name=full_name)
    user.full_name = full_name
    return user
