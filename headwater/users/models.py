"""Users (people who log in) and memberships (a user's role in one account)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        # Whoever runs createsuperuser on the server vouches for the address.
        extra.setdefault("email_confirmed_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address; belongs to accounts through memberships.

    Users are created only by opening a link sent to their address (sign-up or an invitation), so `email` is
    proven. Users from before that rule have no `email_confirmed_at` and must confirm before they can log in.
    """

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    # The interface language the user chose; empty until then (the browser's is taken at the first log-in).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class Membership(TenantModel):
    """A user's role in one account. The account in use always comes from the URL or the API token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="membership_account_user_uniq")]
        indexes = [models.Index(fields=["user"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account_id} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.MEMBER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DECLINED = "declined", _("declined")
    # Not stored: a pending invitation past its `expires_at`.
    EXPIRED = "expired", _("expired")


class Invitation(TenantModel):
    """An admin's invitation of one e-mail address into one account, with a role.

    Nothing is bound to a user until the owner of the address accepts: an existing user sees it after logging in,
    someone new opens the link sent to the address. Only a SHA-256 hash of the link's secret is stored; renewing
    the link replaces it, revoking deletes the row, so earlier links stop working. The inviting account sees the
    address it typed and pending / expired / declined, never whether the address belongs to a user.
    """

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Stored: pending or declined; `state` adds expired.
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "email"], name="invitation_account_email_uniq")]
        # An invitee's pending invitations span accounts: looked up by address.
        indexes = [models.Index(fields=["email", "status"], name="invitation_email_status_idx")]

    def __str__(self) -> str:
        return f"{self.email} @ {self.account_id} ({self.role}, {self.status})"

    @property
    def state(self) -> InvitationStatus:
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus(self.status)


class ApiToken(TenantModel):
    """A personal API token: acts as its membership's user and role in that one account.

    Only a SHA-256 hash of the secret is stored; the secret is shown once, at creation. `prefix` (the first
    characters of the secret) lets the user recognise a token in the list.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "membership"], name="apitoken_account_member_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
