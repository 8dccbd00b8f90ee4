"""The Polish translation is complete: every marked string is in the catalogue, translated, and compiled."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unquote(line: str) -> str:
    """The text of one quoted .po line, with gettext's C escapes undone (non-ASCII text stays as written)."""
    body = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(path: Path) -> list[dict[str, object]]:
    """A small .po reader: enough for Django's catalogues (msgctxt, plurals, fuzzy flags, obsolete entries)."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key: str | None = None

    def flush() -> None:
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                flush()
            entry["flags"] = [f.strip() for f in line[2:].split(",")]
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if key is not None:
                entry[key] = str(entry[key]) + _unquote(line)
            continue
        word = line.split(" ", 1)[0]
        if word in ("msgctxt", "msgid", "msgid_plural") or word.startswith("msgstr"):
            if word == "msgctxt" or (word == "msgid" and "msgctxt" not in entry and "msgid" in entry):
                flush()
            key = word
            entry[key] = _unquote(line)
    flush()
    return entries


def _catalogue() -> list[dict[str, object]]:
    if not PO.exists():
        pytest.fail(f"Missing Polish catalogue {PO}: run `make messages` and translate it.")
    return [e for e in parse_po(PO) if e.get("msgid")]


def test_every_entry_is_translated_and_not_fuzzy():
    missing = []
    for entry in _catalogue():
        if "fuzzy" in entry.get("flags", []):  # type: ignore[operator]
            missing.append(f"fuzzy: {entry['msgid']}")
        strs = [v for k, v in entry.items() if k.startswith("msgstr")]
        if not strs or not all(strs):
            missing.append(str(entry["msgid"]))
    assert not missing, f"{len(missing)} untranslated Polish strings, e.g. {missing[:10]}"


def test_compiled_catalogue_matches_the_source():
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in _catalogue():
        if "msgid_plural" in entry:
            continue
        msgid = str(entry["msgid"])
        got = compiled.pgettext(str(entry["msgctxt"]), msgid) if "msgctxt" in entry else compiled.gettext(msgid)
        if got != entry.get("msgstr"):
            stale.append(msgid)
    assert not stale, f"django.mo is older than django.po for {len(stale)} strings (run `make messages`): {stale[:5]}"


def test_every_marked_string_is_in_the_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        pytest.fail(
            "GNU gettext (xgettext) is needed to check the translation: apt-get install gettext (make test does)."
        )
    work = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "node_modules", "*.pyc", "__pycache__", ".mypy_cache", ".ruff_cache", ".hypothesis"
        ),
    )
    result = subprocess.run(  # noqa: S603 — fixed argv
        [
            shutil.which("python") or "python",
            "manage.py",
            "makemessages",
            "-l",
            "pl",
            "--no-obsolete",
            "--ignore=bench",
            "--ignore=var",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = {
        (e.get("msgctxt"), e["msgid"]) for e in parse_po(work / "locale/pl/LC_MESSAGES/django.po") if e.get("msgid")
    }
    ours = {(e.get("msgctxt"), e["msgid"]) for e in _catalogue()}
    new = sorted(str(m) for _, m in fresh - ours)
    assert not new, f"{len(new)} marked strings are missing from the Polish catalogue (run `make messages`): {new[:10]}"
