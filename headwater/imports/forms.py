"""The wizard's forms: the upload, how to read the file (its detected settings, overridable), the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from headwater.imports import reading
from headwater.imports.columns import targets
from headwater.imports.models import DuplicateMode
from headwater.imports.services import NEW_SOURCE, NO_SOURCE
from headwater.sources.models import Source
from headwater.sources.selectors import SourceMatch

ENCODING_CHOICES = [
    ("", _("Detect")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8 with BOM")),
    ("cp1250", _("Windows-1250 (Polish Excel)")),
    ("iso-8859-2", "ISO-8859-2"),
    ("utf-16", "UTF-16"),
]
DELIMITER_CHOICES = [("", _("Detect")), (";", _("semicolon (;)")), (",", _("comma (,)")), ("tab", _("tab"))]


class SpendUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spend file (CSV, XLSX or ODS)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.ods"}),
        help_text=_(
            "A header row with: Month (or Start and End), Source, Campaign, Amount, Currency, Note; one entry a row."
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV, XLSX or ODS)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.ods"}),
        help_text=_("Up to 50 MB and 500,000 rows; the first row with names is taken as the header."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > reading.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file has %(size)s MB; at most %(limit)s MB can be imported. Split it into smaller files.")
                % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": reading.MAX_FILE_BYTES // 1024 // 1024}
            )
        try:
            reading.kind_of(upload.name)
        except reading.FileProblem as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class ReadSettingsForm(forms.Form):
    """How to read the file; each field starts at what was detected, "Detect" goes back to detection."""

    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, required=False)
    delimiter = forms.ChoiceField(label=_("Delimiter"), choices=DELIMITER_CHOICES, required=False)
    header_row = forms.IntegerField(label=_("Header row"), min_value=1, max_value=1000, required=False)
    sheet = forms.ChoiceField(label=_("Sheet"), required=False)

    def __init__(self, *args: Any, kind: str, sheets: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == "csv":
            del self.fields["sheet"]
        else:
            del self.fields["encoding"]
            del self.fields["delimiter"]
            sheet = self.fields["sheet"]
            assert isinstance(sheet, forms.ChoiceField)  # noqa: S101  # declared above; narrows the type for mypy
            sheet.choices = [(name, name) for name in sheets]

    @staticmethod
    def initial_from(settings: dict[str, Any]) -> dict[str, Any]:
        delimiter = settings.get("delimiter", "")
        return {**settings, "delimiter": "tab" if delimiter == "\t" else delimiter}

    def overrides(self) -> reading.Overrides:
        data = self.cleaned_data
        delimiter = data.get("delimiter") or None
        return reading.Overrides(
            encoding=data.get("encoding") or None,
            delimiter="\t" if delimiter == "tab" else delimiter,
            header_row=data.get("header_row") or None,
            sheet=data.get("sheet") or None,
        )


def target_choices() -> list[tuple[str, Any]]:
    """ "Ignore this column", then the fields grouped by their kind."""
    groups: dict[str, list[tuple[str, str]]] = {}
    labels: dict[str, Any] = {}
    for target in targets():
        group = target.kind or "row"
        labels.setdefault(group, target.kind_label or _("Every record of the row"))
        groups.setdefault(group, []).append((target.key, target.display))
    return [("", _("— ignore this column —")), *((labels[group], choices) for group, choices in groups.items())]


class MappingForm(forms.Form):
    """One select per column of the file, labelled with the column's name; then, for each date column whose values
    both day orders read, how its dates are written (`questions`: {column index: (name, formats, examples)})."""

    def __init__(
        self,
        *args: Any,
        columns: list[str],
        mapping: list[str | None],
        questions: dict[int, tuple[str, list[str], list[str]]] | None = None,
        chosen: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = target_choices()
        for index, column in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else "",
            )
        for index, (name, formats, examples) in (questions or {}).items():
            self.fields[f"date_format_{index}"] = forms.ChoiceField(
                label=_("How the dates in “%(column)s” are written") % {"column": name},
                help_text=_("Its values (e.g. %(examples)s) read both ways: which is the day, which the month?")
                % {"examples": ", ".join(examples)},
                choices=[(name_, _date_format_label(name_)) for name_ in formats],
                required=False,
                initial=(chosen or {}).get(index, formats[0]),
            )

    def mapping(self) -> list[str | None]:
        return [self.cleaned_data.get(name) or None for name in self.fields if name.startswith("column_")]

    def date_formats(self) -> dict[int, str]:
        prefix = "date_format_"
        return {
            int(name.removeprefix(prefix)): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value
        }


def _date_format_label(name: str) -> str:
    if name.index("DD") < name.index("MM"):
        return _("%(format)s: day first (03/04/2025 is 3 April)") % {"format": name}
    return _("%(format)s: month first (03/04/2025 is March 4)") % {"format": name}


class SourceValuesForm(forms.Form):
    """Step 3: per distinct value of the source column, the source it means (or none, or a new one named here)."""

    def __init__(
        self,
        *args: Any,
        matches: list[SourceMatch],
        sources: list[Source],
        stored: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.values = [match.value for match in matches]
        choices: list[tuple[str, Any]] = [
            (NO_SOURCE, _("— no source —")),
            (NEW_SOURCE, _("+ a new source (named on the right)")),
            *((str(source.pk), source.name) for source in sources),
        ]
        for index, match in enumerate(matches):
            choice = stored.get(match.value)
            if isinstance(choice, dict):
                initial = NO_SOURCE if choice.get("source") is None else str(choice["source"])
            elif match.source is not None and not match.source.archived:
                initial = str(match.source.pk)
            else:
                initial = NO_SOURCE
            self.fields[f"value_{index}"] = forms.ChoiceField(
                label=ngettext("“%(value)s” (%(count)s row)", "“%(value)s” (%(count)s rows)", match.count)
                % {"value": match.value, "count": match.count},
                choices=choices,
                initial=initial,
            )
            self.fields[f"new_{index}"] = forms.CharField(
                label=_("New source's name for “%(value)s”") % {"value": match.value},
                required=False,
                initial=match.value,
                max_length=100,
            )

    def choices(self) -> dict[str, tuple[str, str]]:
        return {
            value: (self.cleaned_data[f"value_{index}"], self.cleaned_data.get(f"new_{index}") or "")
            for index, value in enumerate(self.values)
        }


class DuplicatesForm(forms.Form):
    duplicates = forms.ChoiceField(
        label=_("When a company or person already exists"),
        choices=DuplicateMode.choices,
        widget=forms.RadioSelect,
    )
    update_existing_source = forms.BooleanField(
        label=_("Also update the source of existing records"),
        required=False,
        help_text=_("Left unticked, an existing record keeps its source; its history says which import changed it."),
    )


class UndoForm(forms.Form):
    touched = forms.ChoiceField(
        label=_("The records touched since the import"),
        choices=[
            ("keep", _("Keep them as they are; undo the rest")),
            ("undo", _("Undo them too")),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )
