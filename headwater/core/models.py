"""The tenant (Account) and the fail-closed scoping every tenant-owned model inherits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.conf import settings
from django.db import connections, models
from django.db.models import Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from collections.abc import Iterator


class TenantScopeError(RuntimeError):
    """A query on a tenant table ran without saying which account it is for."""


class Account(models.Model):
    """A tenant: one sales team. Every tenant-owned row points here."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("address"), max_length=50, unique=True)
    currency = models.CharField(_("base currency"), max_length=3, default="PLN")
    language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Warsaw")
    sources_enabled = models.BooleanField(_("acquisition sources on"), default=False)
    source_default_from_contact = models.BooleanField(
        _("set the source by default from the person or company"), default=False
    )
    # Statistics name a "best win rate" only among sources with at least this many closed deals in the period. The
    # default is the database's too: code that predates the column (a rolling deploy, an older migration's model)
    # still inserts accounts.
    stats_min_closed = models.PositiveIntegerField(_("closed deals for the best win rate"), default=10, db_default=10)
    settings_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name


_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    """Refuses to run unless `for_account()` scoped it: forgetting the tenant fails loudly, not open."""

    _account_scoped = False

    def for_account(self, account: Account, *, as_bigint: bool = False) -> Self:
        """The account's rows. `as_bigint` (for searches): on PostgreSQL the account is compared as a bigint,
        `account_id = (7)::bigint`. A plain literal compares as bigint = integer, which B-trees serve but the
        search key's trigram index does not: its account column (btree_gin) takes only bigint = bigint, and
        without it the index reads every account's matches (records/search.py, docs/performance.md)."""
        if account is None or account.pk is None:
            raise TenantScopeError("for_account() needs a saved account")
        if as_bigint and connections[self.db].vendor == "postgresql":
            qs = self.filter(account_id=Cast(Value(account.pk), output_field=models.BigIntegerField()))
        else:
            qs = self.filter(account=account)
        qs._account_scoped = True
        return qs

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]  # private in the stubs, public enough in Django
        clone._account_scoped = self._account_scoped
        return clone

    def _check_scope(self) -> None:
        if not self._account_scoped:
            raise TenantScopeError(
                f"Query on {self.model.__name__} without an account scope; call .for_account(account) "
                "or use the deliberately named `unscoped` manager."
            )

    def _fetch_all(self) -> None:
        self._check_scope()
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Iterator[_M]:
        self._check_scope()
        return super().iterator(chunk_size=chunk_size)

    def count(self) -> int:
        self._check_scope()
        return super().count()

    def exists(self) -> bool:
        self._check_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scope()
        return super().delete()

    def explain(self, *, format: str | None = None, **options: Any) -> str:  # noqa: A002 — Django's name
        self._check_scope()
        return super().explain(format=format, **options)


class TenantManager(models.Manager[_M]):
    """`Model.objects`: every query must say its account."""

    def get_queryset(self) -> TenantQuerySet[_M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_account(self, account: Account, *, as_bigint: bool = False) -> TenantQuerySet[_M]:
        return self.get_queryset().for_account(account, as_bigint=as_bigint)


class TenantModel(models.Model):
    """Base of every tenant-owned row: it carries its account even when a parent would imply it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)

    # `unscoped` is first, so Django's own machinery (model validation, cascades, reverse relations
    # from an already-scoped parent) keeps working; application code uses `objects`.
    unscoped = models.Manager()
    objects = TenantManager()

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"


def models_pointing_at(target: type[models.Model], *, field: str) -> list[type[models.Model]]:
    """Every installed model whose foreign key named `field` points at `target`, in the order the apps are installed.

    How a lower layer reaches the models built on top of it without importing them (they import it): the records a
    member owns (`owner` → User), the records that carry a source (`source` → Source). Django's own metadata, with
    the hidden relations too (the record kinds declare `related_name="+"`).
    """
    return [
        relation.field.model
        for relation in target._meta.get_fields(include_hidden=True)
        if isinstance(relation, models.ManyToOneRel) and relation.field.name == field
    ]
