from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from headwater.companies.models import Company
from headwater.core.access import AccountRequest, account_view


@account_view()
def companies_list(request: AccountRequest) -> HttpResponse:
    rows = Company.objects.for_account(request.account).order_by("-created_at")[:25]
    return render(request, "companies/list.html", {"rows": rows})
