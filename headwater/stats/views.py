from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from headwater.core.access import AccountRequest, account_view


@account_view()
def source_stats(request: AccountRequest) -> HttpResponse:
    return render(request, "stats/sources.html", {})
