from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from headwater.core.access import AccountRequest, account_view
from headwater.deals.models import Deal


@account_view()
def deals_list(request: AccountRequest) -> HttpResponse:
    rows = Deal.objects.for_account(request.account).order_by("-created_at")[:25]
    return render(request, "deals/list.html", {"rows": rows})
