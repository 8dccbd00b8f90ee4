from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from headwater.core.access import AccountRequest, account_view, require_role
from headwater.sources.selectors import source_list
from headwater.users.models import Role


@account_view(role=Role.ADMIN)
def source_settings(request: AccountRequest) -> HttpResponse:
    require_role(request, Role.ADMIN)
    return render(
        request, "sources/settings.html", {"sources": source_list(account=request.account), "settings_tab": "sources"}
    )
