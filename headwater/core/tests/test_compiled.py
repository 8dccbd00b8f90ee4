from __future__ import annotations

import django
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.core.compiled import WRITTEN_FOR_DJANGO, CompiledQuery, CompiledRows
from headwater.core.models import Account
from headwater.sources.models import Source
from headwater.testing.factories import AccountFactory, MembershipFactory, SourceFactory
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
    with pytest.raises(ImproperlyConfigured, match="int or str"):
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
