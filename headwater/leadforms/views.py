"""Account settings > Lead capture > Forms (admins): list, add, change, delete, and the embed snippet."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from headwater.core.errors import DomainError, NotFound
from headwater.leadforms import selectors, services
from headwater.leadforms.forms import ConfirmDeleteForm, LeadFormForm
from headwater.leadforms.models import LeadForm
from headwater.sources.forms import add_domain_error
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _lead_form(request: AccountRequest, form_id: int) -> LeadForm:
    try:
        return selectors.form_get(account=request.account, form_id=form_id)
    except NotFound as exc:
        raise Http404 from exc


def _to_list(request: AccountRequest) -> HttpResponse:
    return redirect("leadforms:forms", account_slug=request.account.slug)


@account_view(read=Role.ADMIN, write=None)
def form_list(request: AccountRequest) -> HttpResponse:
    counts = selectors.submission_counts(account=request.account)
    listed = [(item, counts.get(item.pk, 0)) for item in selectors.form_list(account=request.account)]
    return render(request, "leadforms/list.html", {"settings_tab": "capture", "forms": listed})


def _edit(request: AccountRequest, lead_form: LeadForm | None) -> HttpResponse:
    if request.method == "POST":
        form = LeadFormForm(request.POST, account=request.account, form=lead_form)
        if form.is_valid():
            try:
                saved = services.form_save(
                    account=request.account, user=request.user, form=lead_form, data=form.cleaned_data
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The form is saved."))
                return redirect("leadforms:snippet", account_slug=request.account.slug, form_id=saved.pk)
    else:
        form = LeadFormForm(account=request.account, form=lead_form)
    context = {"settings_tab": "capture", "lead_form": lead_form, "form": form}
    return render(request, "leadforms/form.html", context)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def form_add(request: AccountRequest) -> HttpResponse:
    return _edit(request, None)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def form_edit(request: AccountRequest, form_id: int) -> HttpResponse:
    return _edit(request, _lead_form(request, form_id))


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def form_delete(request: AccountRequest, form_id: int) -> HttpResponse:
    lead_form = _lead_form(request, form_id)
    confirm = ConfirmDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and confirm.is_valid():
        services.form_delete(account=request.account, form=lead_form)
        messages.success(request, _("The form is deleted."))
        return _to_list(request)
    context = {"settings_tab": "capture", "lead_form": lead_form, "form": confirm}
    return render(request, "leadforms/delete.html", context)


@account_view(read=Role.ADMIN, write=None)
def form_snippet(request: AccountRequest, form_id: int) -> HttpResponse:
    lead_form = _lead_form(request, form_id)
    script = request.build_absolute_uri(reverse("leadforms_public:embed_js"))
    hosted = request.build_absolute_uri(reverse("leadforms_public:hosted", kwargs={"key": lead_form.public_key}))
    context = {
        "settings_tab": "capture",
        "lead_form": lead_form,
        "hosted_url": hosted,
        "script_tag": f'<script src="{script}" defer></script>',
        "consent_script_tag": f'<script src="{script}" data-consent="required" defer></script>',
        "form_tag": (
            f'<div data-headwater-form="{lead_form.public_key}"><a href="{hosted}">{_("Open the form")}</a></div>'
        ),
    }
    return render(request, "leadforms/snippet.html", context)
