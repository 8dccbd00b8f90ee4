from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from headwater.core.access import AccountRequest, account_view
from headwater.persons.models import Person


@account_view()
def persons_list(request: AccountRequest) -> HttpResponse:
    rows = Person.objects.for_account(request.account).order_by("-created_at")[:25]
    return render(request, "persons/list.html", {"rows": rows})
