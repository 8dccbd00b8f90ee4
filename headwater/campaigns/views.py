"""Account settings > Acquisition sources > a source's campaigns (admins only, reads included).

Plain forms and redirects: add on the source's campaign list, edit and delete on pages of their own, archive and
restore as a button on the list.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from headwater.campaigns import selectors, services
from headwater.campaigns.forms import CampaignForm
from headwater.campaigns.models import Campaign
from headwater.core.bidi import isolate
from headwater.core.errors import DomainError, NotFound
from headwater.core.validation import parse_id
from headwater.sources.forms import add_domain_error
from headwater.sources.models import Source
from headwater.sources.selectors import source_get
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _source(request: AccountRequest, source_id: int) -> Source:
    try:
        return source_get(account=request.account, source_id=source_id)
    except NotFound as exc:
        raise Http404 from exc


def _campaign(request: AccountRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get(account=request.account, campaign_id=campaign_id)
    except NotFound as exc:
        raise Http404 from exc


def _list_page(request: AccountRequest, source: Source, form: CampaignForm, status: int = 200) -> HttpResponse:
    usage = selectors.campaign_usage_counts(account=request.account, source=source)
    rows = [
        (campaign, usage.get(campaign.pk, 0))
        for campaign in selectors.campaign_list(account=request.account, source=source)
    ]
    context = {"settings_tab": "sources", "source": source, "rows": rows, "form": form}
    return render(request, "campaigns/list.html", context, status=status)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def campaign_list(request: AccountRequest, source_id: int) -> HttpResponse:
    """The source's campaigns, and the form that adds one."""
    source = _source(request, source_id)
    if request.method != "POST":
        return _list_page(request, source, CampaignForm(account=request.account))
    form = CampaignForm(request.POST, account=request.account)
    if form.is_valid():
        fields = form.service_fields()
        try:
            campaign = services.campaign_create(account=request.account, user=request.user, source=source, **fields)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Campaign “%(name)s” added.") % {"name": isolate(campaign.name)})
            return redirect("campaigns:of_source", account_slug=request.account.slug, source_id=source.pk)
    return _list_page(request, source, form, status=400)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AccountRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    if request.method != "POST":
        form = CampaignForm(account=request.account, instance=campaign)
        return render(request, "campaigns/edit.html", {"settings_tab": "sources", "campaign": campaign, "form": form})
    form = CampaignForm(request.POST, account=request.account, instance=campaign)
    if form.is_valid():
        try:
            services.campaign_update(
                account=request.account,
                user=request.user,
                campaign=campaign,
                version=form.cleaned_data["version"],
                **form.service_fields(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Campaign “%(name)s” saved.") % {"name": isolate(form.cleaned_data["name"])})
            return redirect("campaigns:of_source", account_slug=request.account.slug, source_id=campaign.source_id)
    context = {"settings_tab": "sources", "campaign": campaign, "form": form}
    return render(request, "campaigns/edit.html", context, status=400)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def campaign_archive(request: AccountRequest, campaign_id: int) -> HttpResponse:
    """Archive (`archived=1`) or restore (`archived=0`) a campaign, then back to the source's campaigns."""
    campaign = _campaign(request, campaign_id)
    archived = request.POST.get("archived") == "1"
    try:
        services.campaign_update(
            account=request.account,
            user=request.user,
            campaign=campaign,
            version=parse_id(request.POST.get("version")),
            archived=archived,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("Campaign “%(name)s” archived.") if archived else _("Campaign “%(name)s” restored.")
        messages.success(request, done % {"name": isolate(campaign.name)})
    return redirect("campaigns:of_source", account_slug=request.account.slug, source_id=campaign.source_id)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def campaign_delete(request: AccountRequest, campaign_id: int) -> HttpResponse:
    """A campaign no record carries is deleted; one in use is refused with the counts (archive it instead)."""
    campaign = _campaign(request, campaign_id)
    usage = selectors.campaign_usage(account=request.account, campaign=campaign)
    error = ""
    if request.method == "POST":
        try:
            services.campaign_delete(
                account=request.account,
                user=request.user,
                campaign=campaign,
                version=parse_id(request.POST.get("version")),
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Campaign “%(name)s” deleted.") % {"name": isolate(campaign.name)})
            return redirect("campaigns:of_source", account_slug=request.account.slug, source_id=campaign.source_id)
    context = {"settings_tab": "sources", "campaign": campaign, "usage": usage, "error": error}
    return render(request, "campaigns/delete.html", context, status=400 if error else 200)
