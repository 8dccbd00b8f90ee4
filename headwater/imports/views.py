"""The import wizard's pages (Account > Import): step 1, the upload and how the file is read, with a preview that
follows the user's settings (htmx); step 2, the column mapping. Admins and members; viewers are refused."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError
from headwater.imports import reading, selectors, services
from headwater.imports.columns import target_by_key
from headwater.imports.forms import MappingForm, ReadSettingsForm, UploadForm
from headwater.imports.models import Import
from headwater.imports.samples import template_header
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _place_errors(form: Any, exc: DomainError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_start(request: AccountRequest) -> HttpResponse:
    """Step 1: upload a file; the account's imports below."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            import_, _detected = services.import_upload(
                account=request.account, user=request.user, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            return redirect("imports:detail", account_slug=request.account.slug, import_id=import_.pk)
    imports = selectors.import_list(account=request.account)[:20]
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/start.html", {"form": form, "imports": imports}, status=status)


def _workspace(
    request: AccountRequest,
    import_: Import,
    *,
    settings_form: ReadSettingsForm | None = None,
    detected: reading.Detected | None = None,
    problem: str = "",
    mapping_form: MappingForm | None = None,
) -> dict[str, Any]:
    if detected is None and not problem:
        try:
            detected = selectors.import_preview(import_=import_)
        except reading.FileProblem as exc:
            problem = exc.message
    if settings_form is None:
        settings_form = ReadSettingsForm(
            initial=ReadSettingsForm.initial_from(import_.settings),
            kind=import_.kind,
            sheets=detected.sheets if detected else (),
        )
    known = target_by_key()
    return {
        "import": import_,
        "settings_form": settings_form,
        "detected": detected,
        "problem": problem,
        "preview": reading.text_preview(detected) if detected else [],
        "mapping_form": mapping_form or MappingForm(columns=import_.columns, mapping=import_.mapping),
        "mapped": [known[key].display if key in known else "" for key in import_.mapping],
    }


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_detail(request: AccountRequest, import_id: int) -> HttpResponse:
    """What was detected in the file, the form to override it (POST: read the file again that way; htmx gets the
    workspace fragment back), the first 20 rows and the guessed column mapping."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    context: dict[str, Any]
    status = 200
    if request.method == "POST":
        sheets = _sheets(import_)
        form = ReadSettingsForm(request.POST, kind=import_.kind, sheets=sheets)
        if form.is_valid():
            try:
                import_, detected = services.import_update_settings(
                    account=request.account, import_=import_, overrides=form.overrides()
                )
            except reading.FileProblem as exc:
                status = 400
                context = _workspace(request, import_, settings_form=form, problem=exc.message)
            else:
                fresh = ReadSettingsForm(
                    initial=ReadSettingsForm.initial_from(import_.settings), kind=import_.kind, sheets=detected.sheets
                )
                context = _workspace(request, import_, settings_form=fresh, detected=detected)
        else:
            status = 400
            context = _workspace(request, import_, settings_form=form)
    else:
        context = _workspace(request, import_)
    if request.htmx:
        # htmx swaps only successful answers: the fragment carries the form's errors itself.
        return render(request, "imports/_workspace.html", context)
    return render(request, "imports/detail.html", context, status=status)


def _sheets(import_: Import) -> tuple[str, ...]:
    if import_.kind == "csv":
        return ()
    try:
        return selectors.import_preview(import_=import_).sheets
    except reading.FileProblem:
        return (str(import_.settings.get("sheet", "")),)


@account_view(read=None, write=Role.MEMBER)
def import_mapping(request: AccountRequest, import_id: int) -> HttpResponse:
    """Step 2: keep the user's column mapping."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    form = MappingForm(request.POST, columns=import_.columns, mapping=import_.mapping)
    if form.is_valid():
        try:
            services.import_update_mapping(account=request.account, import_=import_, mapping=form.mapping())
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            messages.success(request, _("Column mapping saved."))
            return redirect("imports:detail", account_slug=request.account.slug, import_id=import_.pk)
    context = _workspace(request, import_, mapping_form=form)
    return render(request, "imports/detail.html", context, status=400)


@account_view(read=Role.MEMBER, write=None)
def import_template(request: AccountRequest) -> HttpResponse:
    """An empty file with the columns the wizard recognises, in the page's language: UTF-8 with BOM; in Polish split
    by semicolons (what Polish Excel opens in columns), in English by commas."""
    language = (get_language() or "en")[:2]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    delimiter = ";" if language == "pl" else ","
    # The names hold no delimiter, quote or formula sign: written as they are.
    buffer.write(delimiter.join(template_header()) + "\r\n")
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="headwater-import-{language}.csv"'
    return response
