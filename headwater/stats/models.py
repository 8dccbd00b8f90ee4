"""Exchange rates the admin keeps so statistics can add up deals in other currencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel

# The job that recomputes an account's tallies after its time zone changed (stats/tasks.py).
TALLIES_REBUILD = "stats.tallies_rebuild"

# 15 significant digits: SQLite keeps decimals as doubles, which hold 15 digits exactly.
RATE_MAX_DIGITS = 15
RATE_DECIMAL_PLACES = 8


class ExchangeRate(TenantModel):
    """How much one unit of `currency` is worth in `base_currency` (the account's base currency when it was set).

    The base is stored with the rate: when the account's base currency changes, old rates stop applying
    (statistics then show those deals apart with a warning) instead of converting at a rate meant for another base.
    """

    currency = models.CharField(_("currency"), max_length=3)
    base_currency = models.CharField(_("base currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="exchangerate_account_currency_uniq"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base_currency}"


class TallyKind(models.IntegerChoices):
    """What a tally counts, in a month (1-7) or, for all owners, in a day (11-15) or a year (21-27). Closed deals
    without a close date count in all time only (their month and year are those of 1 January of year 1)."""

    COMPANY = 1
    PERSON = 2
    OPEN = 3
    WON = 4
    LOST = 5
    WON_UNDATED = 6
    LOST_UNDATED = 7
    DEAL_CONTACT = 8  # contacts (companies and persons) created then with at least one deal: the funnel
    WON_CONTACT = 9  # ... with at least one won deal
    COMPANY_DAY = 11
    PERSON_DAY = 12
    OPEN_DAY = 13
    WON_DAY = 14
    LOST_DAY = 15
    DEAL_CONTACT_DAY = 18
    WON_CONTACT_DAY = 19
    COMPANY_YEAR = 21
    PERSON_YEAR = 22
    OPEN_YEAR = 23
    WON_YEAR = 24
    LOST_YEAR = 25
    WON_UNDATED_YEAR = 26
    LOST_UNDATED_YEAR = 27
    DEAL_CONTACT_YEAR = 28
    WON_CONTACT_YEAR = 29


DAILY = 10  # TallyKind.X + DAILY is X's daily tally
YEARLY = 20  # TallyKind.X + YEARLY is X's yearly tally (all owners); X is always kind % DAILY


class ContactDeals(TenantModel):
    """How many deals, and won deals, point at one contact (`contact_kind` 1 a company, 2 a person): what the
    funnel's tallies (`SourceTally` kinds DEAL_CONTACT, WON_CONTACT) follow, changed when a count crosses 0 <-> 1.

    `owner_key`, `source_key` and `day` (the local creation day) say where the contact is counted in those tallies
    while a count is above zero: a write moves the contact from there, never from a place it read, so concurrent
    writers of one contact on PostgreSQL meet on this row (see the module's docstring).

    Written only by database triggers (`stats/funnel_sql.py`); on SQLite a row whose counts fell to zero stays until
    its contact is deleted, on PostgreSQL it goes at commit.
    """

    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    contact_kind = models.SmallIntegerField()
    contact_id = models.BigIntegerField()
    deals = models.BigIntegerField(default=0)
    won = models.BigIntegerField(default=0)
    owner_key = models.BigIntegerField(null=True)
    source_key = models.BigIntegerField(null=True)
    day = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "contact_kind", "contact_id"], name="contactdeals_key_uniq"),
        ]

    def __str__(self) -> str:
        return f"contact {self.contact_kind}/{self.contact_id}: {self.deals} deals, {self.won} won"


ALL_OWNERS = -1
NO_OWNER = 0
NO_SOURCE = 0


class SourceTally(TenantModel):
    """Records of one kind, source, owner, currency and local month, day or year: count, value in cents, days to
    close.

    Written only by database triggers (`stats/tally_sql.py`), never by Python, so it cannot drift from the records
    whatever writes them. `owner_key` is the owner's id, 0 for no owner, -1 for all owners together (so the
    unfiltered statistics read one row per source and month instead of one per owner); days and years are kept for
    all owners only (`bucket` is then the day or the year's 1 January, else the month's first day). Rows whose
    count fell to zero stay (the keys an account ever used); readers skip them.
    """

    # No database constraint: the triggers write tallies while Django's collector deletes an account's rows in
    # whatever order it chooses, and a tally is derived data, not something to protect.
    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    owner_key = models.BigIntegerField()
    kind = models.SmallIntegerField(choices=TallyKind.choices)
    bucket = models.DateField()
    source_key = models.BigIntegerField()
    currency = models.CharField(max_length=3, blank=True)
    n = models.BigIntegerField(default=0)
    # Whole cents: exact on SQLite too, where a decimal column holds a double.
    cents = models.DecimalField(max_digits=32, decimal_places=0, default=0)
    days = models.BigIntegerField(default=0)
    dated = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "owner_key", "kind", "bucket", "source_key", "currency"], name="sourcetally_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.bucket} source {self.source_key}: {self.n}"


class CloseDaysLevel(models.IntegerChoices):
    """The time bucket of a `CloseDaysTally`: a local month (per owner and for all owners), or for all owners a local
    day, year or all time; the same levels as `SourceTally`'s won and lost kinds (4 + 10, 4 + 20), and all time; and
    for all owners a half month and a quarter, which only the close days have (a period's read, fewer rows than their
    days' or months'; docs/performance.md, "Close days by half month and quarter")."""

    MONTH = 1
    DAY = 11
    YEAR = 21
    ALL_TIME = 31  # for all owners, bucket 1 January of year 1
    HALF_MONTH = 41  # for all owners, bucket the 1st (days 1-15) or the 16th (days 16 to the month's end)
    QUARTER = 51  # for all owners, bucket the quarter's first day (1 January, April, July or October)


class CloseDaysTally(TenantModel):
    """Closed deals (won or lost, with a close date) of one source, owner and local month, day or year, that took
    exactly `days` days to close: the distribution the median time to close is read from.

    A `SourceTally` keeps only the total of the days, which gives the mean; a median needs how many deals took each
    number of days. Written only by database triggers (`stats/close_tally_sql.py`), like `SourceTally`; a row whose
    count fell to zero stays, readers skip it. `bucket` is the first day of the level's month, day, half month, quarter
    or year.
    """

    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    owner_key = models.BigIntegerField()
    level = models.SmallIntegerField(choices=CloseDaysLevel.choices)
    bucket = models.DateField()
    source_key = models.BigIntegerField()
    days = models.BigIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "owner_key", "level", "bucket", "source_key", "days"], name="closedaystally_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} source {self.source_key}: {self.n} closed in {self.days} days"


class CampaignTally(TenantModel):
    """Records with a campaign, of one kind, source, campaign, currency and local month, day or year (all owners):
    count, value in cents, days to close. `kind` and `bucket` as in `SourceTally`'s all-owner rows (a month's kind,
    its daily kind + 10 or its yearly kind + 20). Records without a campaign have no rows.

    Written only by database triggers (`stats/campaign_tally_sql.py`), never by Python, like `SourceTally`; rows whose
    count fell to zero stay, readers skip them. `source_key` is the record's source (0 for none), so a source merge
    moves the rows of its records' campaigns with them.
    """

    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.SmallIntegerField(choices=TallyKind.choices)
    bucket = models.DateField()
    source_key = models.BigIntegerField()
    campaign_key = models.BigIntegerField()
    currency = models.CharField(max_length=3, blank=True)
    n = models.BigIntegerField(default=0)
    cents = models.DecimalField(max_digits=32, decimal_places=0, default=0)
    days = models.BigIntegerField(default=0)
    dated = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "bucket", "source_key", "campaign_key", "currency"],
                name="campaigntally_key_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.bucket} campaign {self.campaign_key}: {self.n}"


class CohortTally(TenantModel):
    """Deals of one cohort month, source, status kind, close month and currency: count and value in cents.

    The cohort is the local month in which the deal's cohort contact was created (its person, else its company, else
    the deal itself; `stats/cohort_sql.py`). `kind` is a `TallyKind` of a deal (OPEN, WON, LOST, WON_UNDATED,
    LOST_UNDATED); `bucket` is the close month's first day of a won or lost deal with a close day, else 1 January of
    year 1. Written only by database triggers, like `SourceTally`; a row whose count fell to zero stays, readers
    skip it.
    """

    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    cohort = models.DateField()
    source_key = models.BigIntegerField()
    kind = models.SmallIntegerField(choices=TallyKind.choices)
    bucket = models.DateField()
    currency = models.CharField(max_length=3, blank=True)
    n = models.BigIntegerField(default=0)
    cents = models.DecimalField(max_digits=32, decimal_places=0, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "cohort", "source_key", "kind", "bucket", "currency"], name="cohorttally_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"cohort {self.cohort} source {self.source_key} {self.get_kind_display()} {self.bucket}: {self.n}"
