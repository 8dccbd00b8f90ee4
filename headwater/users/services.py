# Long on purpose: every write of users, accounts, memberships and invitations, sharing their checks and locks.
"""Writes about users, accounts, memberships and invitations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import check_text, clean_name
from headwater.users import links, throttle
from headwater.users.emails import email_send
from headwater.users.models import Invitation, InvitationStatus, Membership, Role, User
from headwater.users.selectors import invitation_by_token, owned_models, signup_claim
from headwater.users.signals import account_created

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _clean_email(value: str) -> str:
    email = value.strip().lower()
    check_text("email", email)
    if len(email) > User._meta.get_field("email").max_length:  # type: ignore[operator]  # the field declares a max_length, never None
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
    if "name" not in fields and len(name) > Account._meta.get_field("name").max_length:  # type: ignore[operator]  # the field declares a max_length, never None
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
    """A new tenant with `owner` as its admin and the starter list of sources (feature off, added by the sources app
    when it hears `account_created`)."""
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
    account_created.send(sender=Account, account=account)
    return account


def _clean_full_name(value: str, *, required: bool) -> str:
    # The one rule for names (core.text.clean_name): whitespace normalised, no control or invisible character.
    full_name = clean_name(value, field="full_name", required=_("Enter your name.") if required else None)
    if len(full_name) > User._meta.get_field("full_name").max_length:  # type: ignore[operator]  # the field declares a max_length, never None
        raise ValidationFailed.on("full_name", _("The name is too long (at most 150 characters)."))
    return full_name


def _clean_language(value: str) -> str:
    return value if value in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _link(site_url: str, name: str, **kwargs: str) -> str:
    return site_url.rstrip("/") + reverse(name, kwargs=kwargs)


def user_signup_request(*, email: str, full_name: str, language: str, site_url: str) -> str:
    """Sign-up, first step: e-mail the address a link. Returns the address as stored (trimmed, lower case).

    The same for a free, an invited and a registered address, in what is read, written and sent: one look-up and
    one e-mail. A free or invited address gets a signed link to choose a password (nothing is stored until it is
    opened, so nobody can hold an address they do not own); a registered one gets a note that it already has a
    login. Whoever typed the address learns nothing either way.
    """
    email = _clean_email(email)
    full_name = _clean_full_name(full_name, required=True)
    language = _clean_language(language)
    registered = User.objects.filter(email__iexact=email).values_list("language", flat=True).first()
    if registered is None:
        token = links.signup_token_make(email=email, full_name=full_name, language=language)
        context = {
            "full_name": full_name,
            "url": _link(site_url, "users:signup_confirm", token=token),
            "hours": int(links.signup_link_max_age().total_seconds() // 3600),
        }
        email_send(to=email, template="signup_confirm", context=context, language=language)
    else:
        context = {"full_name": full_name, "url": _link(site_url, "users:login")}
        email_send(to=email, template="signup_registered", context=context, language=registered or language)
    return email


@transaction.atomic
def user_signup_confirm(*, token: str, full_name: str, password: str) -> User:
    """Sign-up, second step: the signed link was opened, so the address is proven; create the user with the
    password chosen now. The link stops working once the address has a user."""
    claim = signup_claim(token=token)
    full_name = _clean_full_name(full_name, required=True)
    _check_password(password, User(email=claim.email, full_name=full_name))
    return _user_create(email=claim.email, full_name=full_name, password=password, language=claim.language)


def _user_create(*, email: str, full_name: str, password: str, language: str) -> User:
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                full_name=full_name,
                language=_clean_language(language),
                email_confirmed_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise links.LinkInvalid(_("This address already has a login: log in with it.")) from exc


def user_email_confirmation_send(*, user: User, site_url: str) -> None:
    """Send a user from before address confirmation a link to confirm theirs (at most one per few minutes)."""
    if user.email_confirmed or not throttle.confirmation_mail_allowed(user_id=user.pk):
        return
    token = links.confirm_token_make(user_id=user.pk, email=user.email)
    context = {"full_name": user.full_name, "url": _link(site_url, "users:email_confirm", token=token)}
    email_send(to=user.email, template="email_confirm", context=context, language=user.language or get_language())


@transaction.atomic
def user_email_confirm(*, token: str) -> User:
    """The address-confirmation link was opened: the user's address is proven from now on."""
    user_id, email = links.confirm_token_read(token)
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or user.email != email:
        raise links.LinkInvalid(_("This link is not valid. Check that you copied all of it."))
    if not user.email_confirmed:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return user


# --- Invitations ------------------------------------------------------------------------------------------------


def _invitation_send(*, invitation: Invitation, inviter: User, secret: str, site_url: str) -> None:
    """E-mail the invitation link, in the account's language (we know nothing about the reader)."""
    account = invitation.account
    if not throttle.invitation_mail_allowed(account_id=account.pk):
        raise RateLimited(_("This account has sent too many invitations in the last hour. Try again later."))
    context = {
        "account": account,
        "inviter": inviter,
        # A lazy label: it is rendered in the e-mail's language.
        "role": Role(invitation.role).label,
        "url": _link(site_url, "users:invitation", token=secret),
        "expires_at": invitation.expires_at,
    }
    email_send(to=invitation.email, template="invitation", context=context, language=account.language)


def _invitation_fresh_link(invitation: Invitation, *, inviter: User) -> str:
    """A new secret for the invitation (earlier links die with the old hash), pending again, a new expiry."""
    secret, digest = links.secret_make()
    now = timezone.now()
    invitation.token_hash = digest
    invitation.status = InvitationStatus.PENDING
    invitation.invited_by = inviter
    invitation.sent_at = now
    invitation.expires_at = now + links.invitation_max_age()
    invitation.declined_at = None
    return secret


@transaction.atomic
def invitation_create(*, account: Account, user: User, email: str, role: str, site_url: str) -> Invitation:
    """Invite `email` into `account` with `role`: an invitation row and an e-mail with its link. `user` is the admin.

    Nothing is looked up about the address beyond this account: the answer is the same whether it belongs to a
    user or not, and nobody is bound to anything until the address's owner accepts. A declined or expired
    invitation to the same address is sent afresh.
    """
    _lock_account(account)
    _require_admin(account=account, user=user)
    email = _clean_email(email)
    role = _clean_role(role)
    if Membership.objects.for_account(account).filter(user__email__iexact=email).exists():
        raise ValidationFailed.on("email", _("%(email)s is already a member of this account.") % {"email": email})
    invitation = Invitation.objects.for_account(account).filter(email=email).first()
    if invitation is not None and invitation.state == InvitationStatus.PENDING:
        raise ValidationFailed.on(
            "email", _("%(email)s already has a pending invitation; send a new link instead.") % {"email": email}
        )
    if invitation is None:
        invitation = Invitation(account=account, email=email, created_at=timezone.now())
    invitation.role = role
    secret = _invitation_fresh_link(invitation, inviter=user)
    invitation.save()
    _invitation_send(invitation=invitation, inviter=user, secret=secret, site_url=site_url)
    return invitation


@transaction.atomic
def invitation_renew(
    *, account: Account, user: User, invitation: Invitation, site_url: str, role: str | None = None
) -> Invitation:
    """Send a new link (and optionally change the role): the earlier links stop working at once."""
    _lock_account(account)
    _require_admin(account=account, user=user)
    current = _invitation_of(account, invitation)
    if role is not None:
        current.role = _clean_role(role)
    secret = _invitation_fresh_link(current, inviter=user)
    current.save()
    _invitation_send(invitation=current, inviter=user, secret=secret, site_url=site_url)
    return current


@transaction.atomic
def invitation_revoke(*, account: Account, user: User, invitation: Invitation) -> None:
    """Withdraw an invitation: the row goes, and with it every link to it."""
    _lock_account(account)
    _require_admin(account=account, user=user)
    _invitation_of(account, invitation).delete()


def _invitation_of(account: Account, invitation: Invitation) -> Invitation:
    current = Invitation.objects.for_account(account).filter(pk=invitation.pk).select_related("account").first()
    if current is None:
        raise NotFound(_("This invitation no longer exists."))
    return current


def _invitation_for(invitation: Invitation, user: User) -> Invitation:
    """The invitation, fresh and locked, if it is pending and addressed to `user`'s proven address."""
    current = Invitation.unscoped.select_for_update().select_related("account").filter(pk=invitation.pk).first()
    if current is None or not user.is_active or not user.email_confirmed or current.email != user.email.lower():
        raise NotFound(_("This invitation no longer exists."))
    if current.state == InvitationStatus.EXPIRED:
        raise ValidationFailed(_("This invitation has expired. Ask an admin of the account for a new one."))
    if current.state != InvitationStatus.PENDING:
        raise NotFound(_("This invitation no longer exists."))
    return current


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """`user` (whose proven address the invitation names) joins the account with the invitation's role."""
    _lock_account(invitation.account)
    current = _invitation_for(invitation, user)
    membership = Membership.objects.for_account(current.account).filter(user=user).first()
    if membership is None:
        membership = Membership.unscoped.create(account=current.account, user=user, role=current.role)
    current.delete()
    membership.account = current.account
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User | None = None) -> None:
    """Say no: the inviting account sees "declined", and the link stops working. `user` is None when the owner of
    the address declines through the e-mailed link (which proves the address) without logging in."""
    current = (
        _invitation_for(invitation, user)
        if user is not None
        else Invitation.unscoped.select_for_update().filter(pk=invitation.pk).first()
    )
    if current is None:
        raise NotFound(_("This invitation no longer exists."))
    current.status = InvitationStatus.DECLINED
    current.declined_at = timezone.now()
    current.token_hash = links.secret_make()[1]
    current.save(update_fields=["status", "declined_at", "token_hash"])


@transaction.atomic
def user_create_from_invitation(*, token: str, full_name: str, password: str, language: str) -> tuple[User, Membership]:
    """Someone new opened an invitation link (which proves the address): their user, and the membership."""
    invitation = invitation_by_token(token=token)
    full_name = _clean_full_name(full_name, required=True)
    _check_password(password, User(email=invitation.email, full_name=full_name))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise links.LinkInvalid(_("This address already has a login: log in to accept the invitation."))
    user = _user_create(email=invitation.email, full_name=full_name, password=password, language=language)
    return user, invitation_accept(invitation=invitation, user=user)


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
    for key, model in owned_models():
        counts[key] = (
            model.objects.for_account(account)
            .filter(owner=removed_user)
            .update(owner=reassign_to, version=F("version") + 1, updated_at=now)
        )
    current.delete()
    return MembershipRemoved(reassigned_to=reassign_to, records=counts)


def user_update_profile(*, user: User, full_name: str) -> User:
    full_name = _clean_full_name(full_name, required=False)
    User.objects.filter(pk=user.pk).update(full_name=full_name)
    user.full_name = full_name
    return user


def user_set_language(*, user: User, language: str) -> None:
    """The interface language the user chose; every page follows it from now on, in every browser."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed.on("language", _("Choose one of the available languages."))
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
