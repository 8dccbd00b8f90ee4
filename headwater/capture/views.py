"""Account settings > Lead capture (admins): the mapping rules, "test a link", the unmatched values; and a record's
touches (every member reads them, an admin corrects the first one). Plain POST forms, each followed by a redirect."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from headwater.capture import selectors, services
from headwater.capture.forms import CorrectForm, LinkTestForm, MapValueForm, RuleForm
from headwater.capture.matching import rule_summary
from headwater.capture.models import MappingRule
from headwater.core.errors import DomainError, NotFound
from headwater.sources.forms import add_domain_error
from headwater.sources.models import source_holders
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role

# The history's actions (CaptureEvent.action) as the page says them.
EVENT_LABELS = {
    "rule_added": gettext_lazy("rule added"),
    "rule_changed": gettext_lazy("rule changed"),
    "rule_deleted": gettext_lazy("rule deleted"),
    "rule_moved": gettext_lazy("rule moved"),
    "defaults_added": gettext_lazy("default rules added"),
    "reapplied": gettext_lazy("rules applied to past touches"),
    "value_mapped": gettext_lazy("unmatched value mapped"),
    "value_ignored": gettext_lazy("unmatched value ignored"),
    "first_touch_corrected": gettext_lazy("first touch corrected"),
}


def _rule(request: AccountRequest, rule_id: int) -> MappingRule:
    try:
        return selectors.rule_get(account=request.account, rule_id=rule_id)
    except NotFound as exc:
        raise Http404 from exc


def _done_message(done: services.Reapplied | None) -> str:
    if done is None:
        return _("Saved. Past touches keep their source until you apply the rules to them.")
    return ngettext(
        "Saved, and applied: %(touches)d past touch changed source, with %(records)d record.",
        "Saved, and applied: %(touches)d past touches changed source, with %(records)d records.",
        done.touches,
    ) % {"touches": done.touches, "records": done.records}


def _to_rules(request: AccountRequest) -> HttpResponse:
    return redirect("capture:rules", account_slug=request.account.slug)


@account_view(read=Role.ADMIN, write=None)
def rules(request: AccountRequest) -> HttpResponse:
    account = request.account
    listed = list(selectors.rule_list(account=account))
    pending = services.capture_pending(account=account)
    context = {
        "settings_tab": "capture",
        "rules": [(rule, rule_summary(rule)) for rule in listed],
        "pending": pending,
        "events": [
            {"at": e.at, "user": e.user, "details": e.details, "label": EVENT_LABELS.get(e.action, e.action)}
            for e in selectors.capture_events(account=account)
        ],
    }
    return render(request, "capture/rules.html", context)


def _rule_form_page(
    request: AccountRequest, *, rule: MappingRule | None, form: RuleForm, preview: Any = None
) -> HttpResponse:
    context = {"settings_tab": "capture", "rule": rule, "form": form, "preview": preview}
    return render(request, "capture/rule_form.html", context)


def _rule_post(request: AccountRequest, rule: MappingRule | None) -> HttpResponse:
    """The first POST shows how many past touches the change would move; the confirmed one saves."""
    form = RuleForm(request.POST, account=request.account, rule=rule)
    if form.is_valid():
        data = {**form.cleaned_data, "target": form.cleaned_data["target"]}
        try:
            if request.POST.get("confirmed") != "1":
                draft = services.mapping_rule_draft(account=request.account, rule=rule, data=data)
                preview = services.capture_preview(
                    account=request.account, rules=services.rules_with(account=request.account, draft=draft)
                )
                return _rule_form_page(request, rule=rule, form=form, preview=preview)
            _saved, done = services.mapping_rule_save(
                account=request.account,
                user=request.user,
                rule=rule,
                data=data,
                apply_past=form.cleaned_data["apply_past"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _done_message(done))
            return _to_rules(request)
    return _rule_form_page(request, rule=rule, form=form)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_add(request: AccountRequest) -> HttpResponse:
    if request.method == "POST":
        return _rule_post(request, None)
    return _rule_form_page(request, rule=None, form=RuleForm(account=request.account))


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_edit(request: AccountRequest, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    if request.method == "POST":
        return _rule_post(request, rule)
    return _rule_form_page(request, rule=rule, form=RuleForm(account=request.account, rule=rule))


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_delete(request: AccountRequest, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    if request.method == "POST":
        try:
            done = services.mapping_rule_delete(
                account=request.account, user=request.user, rule=rule, apply_past=request.POST.get("apply_past") == "on"
            )
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, _done_message(done))
        return _to_rules(request)
    preview = services.capture_preview(
        account=request.account, rules=services.rules_with(account=request.account, without=rule)
    )
    context = {"settings_tab": "capture", "rule": rule, "summary": rule_summary(rule), "preview": preview}
    return render(request, "capture/rule_delete.html", context)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def rule_move(request: AccountRequest, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    directions: dict[str | None, Literal["up", "down"]] = {"up": "up", "down": "down"}
    direction = directions.get(request.POST.get("direction"))
    if direction is None:
        messages.error(request, _("Move a rule up or down."))
        return _to_rules(request)
    try:
        services.mapping_rule_move(account=request.account, user=request.user, rule=rule, direction=direction)
    except NotFound as exc:
        raise Http404 from exc
    return _to_rules(request)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def rule_defaults(request: AccountRequest) -> HttpResponse:
    try:
        made = services.capture_rules_seed_defaults(account=request.account, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(count)d default rule added.", "%(count)d default rules added.", len(made))
            % {"count": len(made)},
        )
    return _to_rules(request)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def reapply(request: AccountRequest) -> HttpResponse:
    done = services.capture_reapply(account=request.account, user=request.user)
    messages.success(
        request,
        ngettext(
            "Applied: %(touches)d past touch changed source, with %(records)d record.",
            "Applied: %(touches)d past touches changed source, with %(records)d records.",
            done.touches,
        )
        % {"touches": done.touches, "records": done.records},
    )
    return _to_rules(request)


@account_view(read=Role.ADMIN, write=None)
def link_test(request: AccountRequest) -> HttpResponse:
    form = LinkTestForm(request.GET or None)
    result = None
    if form.is_valid() and (form.cleaned_data["landing_url"] or form.cleaned_data["referrer"]):
        found, outcome = selectors.link_test(
            account=request.account,
            landing_url=form.cleaned_data["landing_url"],
            referrer=form.cleaned_data["referrer"],
        )
        result = {"found": {k: v for k, v in found.items() if v}, "outcome": outcome}
    return render(request, "capture/link_test.html", {"settings_tab": "capture", "form": form, "result": result})


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def unmatched(request: AccountRequest) -> HttpResponse:
    failed: MapValueForm | None = None
    if request.method == "POST":
        form = MapValueForm(request.POST, account=request.account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = services.unmatched_map(
                    account=request.account,
                    user=request.user,
                    kind=data["kind"],
                    value=data["value"],
                    action=data["action"],
                    source=data["source"],
                    new_name=data["new_name"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Done: %(touches)d touch changed source, with %(records)d record.",
                        "Done: %(touches)d touches changed source, with %(records)d records.",
                        done.touches,
                    )
                    % {"touches": done.touches, "records": done.records},
                )
                return redirect("capture:unmatched", account_slug=request.account.slug)
        failed = form
    values = selectors.unmatched_list(account=request.account)
    rows = []
    for index, item in enumerate(values):
        posted = failed is not None and failed.data.get("value") == item.value and failed.data.get("kind") == item.kind
        form = (
            failed
            if posted and failed is not None
            else MapValueForm(account=request.account, initial={"kind": item.kind, "value": item.value})
        )
        form.prefix = None
        form.auto_id = f"id_{index}_%s"
        rows.append((item, form))
    return render(request, "capture/unmatched.html", {"settings_tab": "capture", "rows": rows, "failed": failed})


@account_view(read=Role.VIEWER, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def record_touches(request: AccountRequest, record_type: str, record_id: int) -> HttpResponse:
    models = {name: model for name, _key, model in source_holders()}
    model = models.get(record_type)
    if model is None:
        raise Http404
    record = model.objects.for_account(request.account).filter(pk=record_id).first()
    if record is None:
        raise Http404
    form = CorrectForm(request.POST or None, account=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            services.first_touch_correct(
                account=request.account, user=request.user, record=record, source=form.cleaned_data["source"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The first touch is corrected."))
            return redirect(f"touches:{record_type}", account_slug=request.account.slug, record_id=record_id)
    pointers = selectors.record_touches(account=request.account, record_type=record_type, record_id=record_id)
    context = {
        "record": record,
        "record_type": record_type,
        "pointers": pointers,
        "touches": selectors.touch_rows(
            account=request.account,
            touches=selectors.touches_of_record(account=request.account, record_type=record_type, record_id=record_id),
        ),
        "form": form,
    }
    return render(request, "capture/record_touches.html", context)
