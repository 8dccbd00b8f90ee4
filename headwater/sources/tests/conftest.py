"""Fixtures shared by the sources tests: a small catalogue, and records using it."""

from __future__ import annotations

import pytest

from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory


@pytest.fixture
def trio(tenant):
    return [
        SourceFactory(account=tenant.account, name=n, position=i)
        for i, n in enumerate(["Google", "Fair", "Partner"], 1)
    ]


@pytest.fixture
def used(tenant, trio):
    """Google is used by 2 companies, 1 person, 3 deals; Fair by one deal."""
    google, fair, _ = trio
    c1 = CompanyFactory(account=tenant.account, source=google)
    CompanyFactory(account=tenant.account, source=google)
    PersonFactory(company=c1, source=google)
    DealFactory(company=c1, source=google)
    DealFactory(company=c1, source=google)
    DealFactory(company=c1, source=google)
    DealFactory(company=c1, source=fair)
    return google
