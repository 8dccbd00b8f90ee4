from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import django
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from headwater.companies.models import Company
from headwater.core import compiled as compiled_module
from headwater.core.compiled import (
    WRITTEN_FOR_DJANGO,
    CompiledQuery,
    CompiledRows,
    ShapedQuery,
    shape_counts,
    shaped_count,
    shaped_instances,
    shaped_rows,
    shaped_statement,
)
from headwater.core.models import Account, TenantScopeError
from headwater.core.pagination import _among
from headwater.deals.models import Deal
from headwater.sources.models import Source
from headwater.testing.factories import AccountFactory, DealFactory, MembershipFactory, SourceFactory
from headwater.users.models import ApiToken, Membership, User
from headwater.users.selectors import user_memberships
from headwater.users.token_services import api_token_create, token_hash

pytestmark = pytest.mark.django_db


def test_django_is_the_minor_version_the_internals_were_read_for():
    assert django.VERSION[:2] == WRITTEN_FOR_DJANGO, (
        f"Django {django.get_version()}: core/compiled.py uses Django internals read for "
        f"{'.'.join(map(str, WRITTEN_FOR_DJANGO))} (QuerySet._iterable_class, ModelIterable, ValuesListIterable, "
        "get_related_populators, SQLCompiler.as_sql/klass_info/select/annotation_col_map/results_iter, "
        "Model.from_db). Re-check them against this version's django/db/models/query.py and sql/compiler.py, "
        "run test_compiled.py, then update WRITTEN_FOR_DJANGO."
    )


def memberships_of() -> CompiledQuery[Membership]:
    return CompiledQuery(lambda user_id: user_memberships(user=User(pk=user_id)), user_id=int)


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_loads_what_the_queryset_loads_in_one_query(tenant, other_tenant):
    MembershipFactory(account=other_tenant.account, user=tenant.member, role="viewer")
    MembershipFactory(account=AccountFactory(name="Aardvark"), user=tenant.member)
    expected = list(user_memberships(user=tenant.member))
    with CaptureQueriesContext(connection) as queries:
        found = memberships_of()(user_id=tenant.member.pk)
        accounts = [m.account for m in found]  # select_related: no query
    assert len(queries) == 1
    assert [fields(m) for m in found] == [fields(m) for m in expected]
    assert [fields(a) for a in accounts] == [fields(m.account) for m in expected]
    assert [a.name for a in accounts] == ["Aardvark", "Alpha", "Bravo"]
    assert all(not m._state.adding and m._state.db == "default" for m in found)


def test_each_call_takes_its_own_parameters(tenant, other_tenant):
    query = memberships_of()
    assert [m.account for m in query(user_id=tenant.admin.pk)] == [tenant.account]
    assert [m.account for m in query(user_id=other_tenant.admin.pk)] == [other_tenant.account]
    assert query(user_id=-1) == []


def test_string_parameters_and_related_objects_two_levels_deep(tenant):
    _, secret = api_token_create(account=tenant.account, user=tenant.member, name="script")
    query = CompiledQuery(
        lambda key_hash: ApiToken.unscoped.filter(key_hash=key_hash).select_related(
            "membership__user", "membership__account"
        ),
        key_hash=str,
    )
    with CaptureQueriesContext(connection) as queries:
        (token,) = query(key_hash=token_hash(secret))
        assert (token.membership.user, token.membership.account) == (tenant.member, tenant.account)
        assert token.membership.user.is_active is True
    assert len(queries) == 1
    assert fields(token) == fields(ApiToken.unscoped.get(key_hash=token_hash(secret)))
    assert query(key_hash=token_hash(secret + "x")) == []


def test_wrong_or_missing_parameters_are_refused(tenant):
    query = memberships_of()
    for values in ({"user_id": str(tenant.member.pk)}, {"user_id": True}, {}, {"user_id": 1, "other": 2}):
        with pytest.raises(TypeError):
            query(**values)


def test_querysets_it_cannot_reproduce_are_refused_when_compiled(tenant):
    unused = CompiledQuery(lambda user_id: Membership.unscoped.filter(role="admin"), user_id=int)
    with pytest.raises(ImproperlyConfigured, match="reach the SQL"):
        unused(user_id=tenant.admin.pk)
    rows = CompiledQuery(  # type: ignore[type-var]  # a values() queryset, refused on purpose
        lambda user_id: Membership.unscoped.filter(user_id=user_id).values("pk"), user_id=int
    )
    with pytest.raises(ImproperlyConfigured, match="model instances"):
        rows(user_id=tenant.admin.pk)
    with pytest.raises(ImproperlyConfigured, match="int, str, datetime"):
        CompiledQuery(lambda ids: Membership.unscoped.filter(pk__in=ids), ids=list)


def test_rows_are_what_values_list_returns_with_converters_applied(tenant, other_tenant):
    SourceFactory(account=tenant.account, name="Fair")
    SourceFactory(account=tenant.account, name="Web", archived=True)
    SourceFactory(account=other_tenant.account, name="Theirs")
    query = CompiledRows(
        lambda account_id: (
            Source.objects.for_account(Account(pk=account_id))
            .order_by("position", "id")
            .values_list("id", "name", "archived", "created_at")
        ),
        account_id=int,
    )
    expected = list(
        Source.objects.for_account(tenant.account)
        .order_by("position", "id")
        .values_list("id", "name", "archived", "created_at")
    )
    with CaptureQueriesContext(connection) as queries:
        assert query(account_id=tenant.account.pk) == expected
    assert len(queries) == 1
    assert all(type(row) is tuple for row in expected)
    assert query(account_id=-1) == []


def test_rows_refuse_what_they_cannot_reproduce(tenant):
    for build in (
        lambda user_id: Membership.unscoped.filter(user_id=user_id),
        lambda user_id: Membership.unscoped.filter(user_id=user_id).values_list("pk", flat=True),
        lambda user_id: Membership.unscoped.filter(user_id=user_id).values("pk"),
    ):
        with pytest.raises(ImproperlyConfigured, match="values_list"):
            CompiledRows(build, user_id=int)(user_id=tenant.admin.pk)
    with pytest.raises(ImproperlyConfigured, match="reach the SQL"):
        CompiledRows(lambda user_id: Membership.unscoped.values_list("pk"), user_id=int)(user_id=1)
    with pytest.raises(TypeError):
        CompiledRows(lambda user_id: Membership.unscoped.filter(user_id=user_id).values_list("pk"), user_id=int)(
            user_id="1"
        )


def deals_of(shape, build, **values):
    return ShapedQuery(Deal, shape, {"account": values.pop("account"), **values}, build)


def test_dates_datetimes_and_decimals_are_parameters_adapted_as_the_orm_adapts_them(tenant, other_tenant):
    warsaw = ZoneInfo("Europe/Warsaw")
    for account in (tenant.account, other_tenant.account):
        for day, value in ((1, "10.50"), (2, "99.99"), (3, "10.50")):
            DealFactory(
                account=account,
                value=Decimal(value),
                status="won",
                closed_at=dt.date(2026, 5, day),
                created_at=dt.datetime(2026, 5, day, 0, 30, tzinfo=warsaw),
            )

    def build(v):
        return (
            Deal.objects.for_account(Account(pk=v["account"]))
            .filter(created_at__gte=v["after"], closed_at__lte=v["until"], value__lt=v["below"])
            .order_by("pk")
        )

    # 00:30 in Warsaw is the day before in UTC: an instant compared as an instant, in either database.
    values = {"after": dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC), "until": dt.date(2026, 5, 3)}
    for below in (Decimal("50"), Decimal("100.00")):
        for account in (tenant.account, other_tenant.account):
            query = deals_of("dates", build, account=account.pk, below=below, **values)
            expected = list(query.queryset())
            found = shaped_instances(query)
            assert [fields(d) for d in found] == [fields(d) for d in expected]
            assert shaped_count(query) == len(expected) > 0
            assert {type(d.value) for d in found} == {Decimal}
            assert all(d.created_at.utcoffset() == dt.timedelta(0) for d in found)
    naive = dt.datetime(2026, 5, 1)  # noqa: DTZ001 — the naive instant that is refused
    query = deals_of("dates", build, account=tenant.account.pk, below=Decimal(1), after=naive, until=values["until"])
    with pytest.raises(TypeError, match="aware"):
        shaped_instances(query)


def test_a_shape_whose_sql_depends_on_a_value_is_refused(tenant):
    def build(v):
        # The marker sets fall on either side of 1902: what a shape that forgot a filter's presence looks like.
        qs = Deal.objects.for_account(Account(pk=v["account"]))
        return qs.filter(closed_at=v["day"]) if v["day"].year < 1902 else qs.filter(closed_at__gte=v["day"])

    with pytest.raises(ImproperlyConfigured, match="depends on its parameters"):
        shaped_instances(deals_of("value-dependent", build, account=tenant.account.pk, day=dt.date(2026, 1, 1)))


def test_a_shape_runs_only_scoped_to_an_account(tenant):
    with pytest.raises(TenantScopeError):
        shaped_instances(deals_of("unscoped", lambda v: Deal.objects.filter(owner_id=v["account"]), account=1))


def test_a_parameter_overruled_out_of_the_sql_runs_the_plain_queryset(tenant):
    DealFactory(account=tenant.account, name="Mine")
    query = deals_of(
        "owner ignored",
        lambda v: Deal.objects.for_account(Account(pk=v["account"])),
        account=tenant.account.pk,
        owner=5,
    )
    compiled, plain = shape_counts()
    with CaptureQueriesContext(connection) as queries:
        assert [d.name for d in shaped_instances(query)] == ["Mine"]
    assert len(queries) == 1
    assert shape_counts() == (compiled, plain + 1)


def test_an_integer_the_backend_sends_typed_is_a_parameter_sent_in_that_type(tenant, other_tenant):
    """On PostgreSQL Django sends a `Value(7)` cast to bigint as psycopg's `Int4(7)` (a search's account:
    `for_account(as_bigint=True)`): a shape finds its marker there, and sends each value in that type."""
    for account in (tenant.account, other_tenant.account):
        DealFactory(account=account, name=f"of {account.slug}")

    def build(v):
        return Deal.objects.for_account(Account(pk=v["account"]), as_bigint=True).order_by("pk")

    sent: list[list[tuple[type, object]]] = []

    def record(execute, sql, params, many, context):
        sent.append([(type(p), p) for p in params])
        return execute(sql, params, many, context)

    for account in (tenant.account, other_tenant.account):
        query = deals_of("typed account", build, account=account.pk)
        _, plain = shape_counts()
        with connection.execute_wrapper(record):
            expected = list(query.queryset())
            found = shaped_instances(query)
        assert shape_counts()[1] == plain  # compiled: not run as its plain queryset
        assert [d.name for d in found] == [d.name for d in expected] == [f"of {account.slug}"]
        assert sent[-1] == sent[-2]


def test_rows_statements_and_id_lists_of_a_shape_are_the_plain_querysets(tenant, other_tenant):
    """`shaped_rows` gives `values_list()`'s tuples (converters applied), `shaped_statement` the compiler's SQL and
    parameters; a list of ids is one parameter on PostgreSQL (`id = ANY(%s)`: one shape for every length), and
    where the backend writes one parameter per id (SQLite's IN) the shape runs as its plain queryset."""
    warsaw = ZoneInfo("Europe/Warsaw")
    made = [
        DealFactory(account=account, created_at=dt.datetime(2026, 5, day, 0, 30, tzinfo=warsaw))
        for account in (tenant.account, other_tenant.account)
        for day in (1, 2, 2, 3)
    ]
    theirs = [d.pk for d in made if d.account_id == other_tenant.account.pk]

    def build(v):
        qs = Deal.objects.for_account(Account(pk=v["account"]))
        return qs.filter(_among(qs, v["ids"])).order_by("-created_at", "-pk").values_list("created_at", "pk")

    _, plain = shape_counts()
    for ids in ([made[0].pk], [d.pk for d in made[:3]], [d.pk for d in made]):
        query = deals_of("ids", build, account=tenant.account.pk, ids=ids)
        expected = list(query.queryset())
        assert shaped_rows(query) == expected
        assert len(expected) == len([pk for pk in ids if pk not in theirs])
        assert {type(row[0]) for row in expected} == {dt.datetime}
        statement = query.queryset().query.get_compiler(using="default").as_sql()
        assert shaped_statement(query) == (statement[0], list(statement[1]))
    # SQLite: run plain, the one time each kind of read compiled it.
    assert shape_counts()[1] == plain + (0 if connection.vendor == "postgresql" else 2)


def test_a_connection_keeps_a_bounded_number_of_shapes(tenant, monkeypatch):
    monkeypatch.setattr(compiled_module, "SHAPES_PER_CONNECTION", 3)
    for n in range(6):
        shaped_count(
            deals_of(
                ("limit", n),
                lambda v, n=n: Deal.objects.for_account(Account(pk=v["account"]))[: n + 1],
                account=tenant.account.pk,
            )
        )
    assert sum(shape_counts()) <= 3


def test_instances_are_made_through_the_signals_while_a_receiver_listens(tenant):
    DealFactory(account=tenant.account)
    DealFactory(account=tenant.account)
    query = deals_of(
        "signals",
        lambda v: Deal.objects.for_account(Account(pk=v["account"])).order_by("pk"),
        account=tenant.account.pk,
    )
    assert compiled_module._instance_maker(Deal, ["id", "account_id", "name"]) is not None
    made = []

    def receiver(sender, instance, **kwargs):
        made.append(instance.pk)

    post_init.connect(receiver, sender=Deal)
    try:
        found = shaped_instances(query)
    finally:
        post_init.disconnect(receiver, sender=Deal)
    assert made == [d.pk for d in found] == [d.pk for d in query.queryset()]
    assert [fields(d) for d in shaped_instances(query)] == [fields(d) for d in found]


def test_a_forward_key_sets_its_record_where_djangos_setter_would():
    # The shortcut of a forward, non-unique foreign key (compiled._forward_cache_name); anything else is Django's.
    from headwater.leadforms.models import FormSubmission  # noqa: PLC0415  # a one-to-one key, in one app only

    owner = Deal._meta.get_field("owner")
    assert compiled_module._forward_cache_name(owner.set_cached_value) == "owner"
    one_to_one = FormSubmission._meta.get_field("touch")
    assert compiled_module._forward_cache_name(one_to_one.set_cached_value) is None
    reverse = Company._meta.get_field("deals")
    assert compiled_module._forward_cache_name(reverse.set_cached_value) is None
    assert compiled_module._forward_cache_name(lambda obj, value: None) is None


def test_linked_records_and_an_empty_link_are_cached_as_the_queryset_caches_them(tenant):
    source = SourceFactory(account=tenant.account)
    DealFactory(account=tenant.account, source=source)
    DealFactory(account=tenant.account, source=None)
    query = deals_of(
        "linked",
        lambda v: Deal.objects.for_account(Account(pk=v["account"])).select_related("source").order_by("pk"),
        account=tenant.account.pk,
    )
    found, plain = shaped_instances(query), list(query.queryset())
    assert [d._state.fields_cache.keys() for d in found] == [d._state.fields_cache.keys() for d in plain]
    assert [d.source and fields(d.source) for d in found] == [d.source and fields(d.source) for d in plain]
    assert found[1].source is None
    assert found[0].source._state.db == plain[0].source._state.db
    assert found[0].source._state.adding is False


def test_rows_linking_one_record_share_one_instance_of_it_made_once_per_read(tenant):
    # compiled._populator: a forward key's record is made once per load and id (a page of 27 companies links 14 owners,
    # 12 sources and 5 campaigns), with the columns and state the queryset gives each row's copy.
    first, second = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
    for source in (first, second, first, None, first):
        DealFactory(account=tenant.account, source=source)
    query = deals_of(
        "linked, shared",
        lambda v: Deal.objects.for_account(Account(pk=v["account"])).select_related("source").order_by("pk"),
        account=tenant.account.pk,
    )
    found, plain = shaped_instances(query), list(query.queryset())
    assert [d.source and (fields(d.source), d.source._state.db) for d in found] == [
        d.source and (fields(d.source), d.source._state.db) for d in plain
    ]
    assert found[0].source is found[2].source is found[4].source
    assert found[1].source is not found[0].source
    assert found[3].source is None
    # Made again by the next read: a caller that changes a record of one page does not change the next page's.
    assert shaped_instances(query)[0].source is not found[0].source


def test_a_queryset_read_once_gives_the_instances_and_statement_django_gives(tenant, other_tenant):
    # compiled.instances_of (a search's page): the statement Django sends, the instances it makes, their linked records.
    source = SourceFactory(account=tenant.account)
    for linked in (source, None, source):
        DealFactory(account=tenant.account, source=linked)
    DealFactory(account=other_tenant.account)
    qs = (
        Deal.objects.for_account(tenant.account)
        .select_related("source")
        .only("name", "value", "created_at", "source__name")
        .order_by("-created_at", "-id")[:2]
    )
    with CaptureQueriesContext(connection) as django_sent:
        plain = list(qs.all())
    with CaptureQueriesContext(connection) as sent:
        found = compiled_module.instances_of(qs.all())
    assert [q["sql"] for q in sent.captured_queries] == [q["sql"] for q in django_sent.captured_queries]
    snapshot = [
        (fields(d) | {"deferred": d.get_deferred_fields()}, d.source and fields(d.source), d._state.db, d._state.adding)
        for d in plain
    ]
    assert [
        (fields(d) | {"deferred": d.get_deferred_fields()}, d.source and fields(d.source), d._state.db, d._state.adding)
        for d in found
    ] == snapshot
    with pytest.raises(TenantScopeError):  # fail-closed, as the queryset's own iteration
        compiled_module.instances_of(Deal.objects.all())
    with CaptureQueriesContext(connection) as sent:
        assert compiled_module.instances_of(Deal.objects.for_account(tenant.account).filter(pk__in=[])) == []
    assert sent.captured_queries == []
    values = Deal.objects.for_account(tenant.account).values("pk")
    # What it does not make (a values() queryset) is Django's own.
    assert compiled_module.instances_of(values) == list(values)  # type: ignore[type-var]
