"""Our static files name only files that are there: production's manifest storage follows every reference (a
`sourceMappingURL`, a CSS `url()`) when it builds the manifest, and one missing file fails the whole build."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

REFERENCES = {
    ".js": re.compile(r"^//# sourceMappingURL=(\S+)\s*$", re.MULTILINE),
    ".css": re.compile(r"""url\(\s*['"]?(?!data:|https?:|#)([^'")]+)['"]?\s*\)|sourceMappingURL=(\S+)"""),
}


def _static_files() -> list[Path]:
    return [p for folder in settings.STATICFILES_DIRS for p in Path(folder).rglob("*") if p.suffix in REFERENCES]


def test_every_file_a_static_file_names_is_there():
    files = _static_files()
    assert any(p.name == "chart.umd.min.js" for p in files)
    missing = []
    for path in files:
        for match in REFERENCES[path.suffix].finditer(path.read_text(encoding="utf-8")):
            name = next(group for group in match.groups() if group)
            if not (path.parent / name.split("?")[0].split("#")[0]).exists():
                missing.append(f"{path.name} names {name}")
    assert not missing, missing
