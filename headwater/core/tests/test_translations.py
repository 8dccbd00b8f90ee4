"""The Polish translation is complete: every marked string is in the catalogue, translated, and compiled."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.users.models import Membership, Role

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
        if "fuzzy" in entry.get("flags", []):  # type: ignore[operator]  # an entry maps to text or, for flags, a list
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
    # Without the templates the tests keep as references for parts now written in Python (reference_forms/): the
    # messages must be found in the code that shows them, not only in a test file.
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".venv",
            "var",
            ".git",
            "node_modules",
            "*.pyc",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".hypothesis",
            "reference_forms",
        ),
    )
    result = subprocess.run(
        [
            sys.executable,
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
    # And no message of the catalogue is marked only where the copy left out (a test's reference template): e.g. the
    # Statistics page's texts, which stats/sources_page.py writes through `_t` (the project's makemessages keyword).
    unmarked = sorted(str(m) for _, m in ours - fresh)
    assert not unmarked, f"{len(unmarked)} messages of the catalogue are marked in no code but tests': {unmarked[:10]}"


# --- The Polish UI in the browser ------------------------------------------------------------------------------


def _english_leftovers() -> list[str]:
    """English texts that Polish translates: seeing one on a Polish page means a string escaped the translation."""
    texts = []
    for entry in _catalogue():
        msgid, msgstr = str(entry["msgid"]), str(entry.get("msgstr", ""))
        if "msgid_plural" in entry or msgstr == msgid or any(c in msgid for c in "%{<"):
            continue
        if " " in msgid.strip() and len(msgid) >= 8:
            texts.append(msgid)
    return texts


def _pl(text: str) -> str:
    with translation.override("pl"):
        return translation.gettext(text)


_VISIBLE_TEXT_JS = """() => {
  const bits = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [data-confirm], [hx-confirm]")) {
    for (const name of ["aria-label", "placeholder", "title", "data-confirm", "hx-confirm"]) {
      if (el.hasAttribute(name)) bits.push(el.getAttribute(name));
    }
  }
  return bits.join("\\n");
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_polish_pages_show_no_english(page, live_server, screenshot):
    """Walk the demo account (Polish by default) as its admin: every page is Polish, with no translated English left.

    The screenshots (var/screenshots/polish-*-pl.png) are for a human to check wording and fit.
    """
    from django.core.management import call_command  # noqa: PLC0415 — only this test loads the demo

    call_command("demo_data", stdout=None)
    demo = Account.objects.get(slug="demo")
    company = Company.objects.for_account(demo).order_by("pk").first()
    person = Person.objects.for_account(demo).order_by("pk").first()
    deal = Deal.objects.for_account(demo).order_by("pk").first()
    source = Source.objects.for_account(demo).order_by("position").first()
    member = Membership.objects.for_account(demo).exclude(role=Role.ADMIN).order_by("pk").first()
    assert all(row is not None for row in (company, person, deal, source, member))
    leftovers = _english_leftovers()
    found: dict[str, list[str]] = {}

    def visit(name: str, path: str) -> None:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "pl", path
        text = page.evaluate(_VISIBLE_TEXT_JS)
        english = [msgid for msgid in leftovers if msgid in text]
        if english:
            found[path] = english
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(f"polish-{name}-pl")

    # Outside an account the browser's language decides (in the demo account Polish is the default anyway).
    page.set_extra_http_headers({"Accept-Language": "pl,en;q=0.5"})
    visit("signup", "/signup/")
    visit("login", "/login/")
    page.get_by_label("E-mail").fill("admin@demo.test")
    page.get_by_label(_pl("Password")).fill("demo-password-2026")
    page.get_by_role("button", name=_pl("Log in")).click()
    page.wait_for_load_state()

    a = "/a/demo"
    visit("home", "/")
    visit("dashboard", f"{a}/")
    visit("companies", f"{a}/companies/")
    visit("company", f"{a}/companies/{company.pk}/")
    visit("company-form", f"{a}/companies/{company.pk}/edit/")
    visit("company-delete", f"{a}/companies/{company.pk}/delete/")
    visit("persons", f"{a}/persons/")
    visit("person", f"{a}/persons/{person.pk}/")
    visit("person-new", f"{a}/persons/new/?company={company.pk}")
    visit("person-delete", f"{a}/persons/{person.pk}/delete/")
    visit("deals", f"{a}/deals/")
    visit("deal", f"{a}/deals/{deal.pk}/")
    visit("deal-form", f"{a}/deals/{deal.pk}/edit/")
    expect(page.get_by_label(_pl("Value"))).to_have_value(re.compile(r"^\d+,\d\d$"))  # a decimal comma
    visit("deal-delete", f"{a}/deals/{deal.pk}/delete/")
    visit("stats", f"{a}/stats/sources/?period=this_year&compare=on")
    visit("settings", f"{a}/settings/")
    visit("members", f"{a}/settings/members/")
    visit("member-remove", f"{a}/settings/members/{member.pk}/remove/")
    visit("sources", f"{a}/settings/sources/")
    visit("source-merge", f"{a}/settings/sources/{source.pk}/merge/")
    visit("source-delete", f"{a}/settings/sources/{source.pk}/delete/")
    visit("rates", f"{a}/settings/rates/")
    visit("profile", "/me/")
    visit("api-tokens", "/me/api-tokens/")
    visit("account-new", "/accounts/new/")

    # Errors are Polish too: a company without a name.
    visit("company-new", f"{a}/companies/new/")
    page.get_by_role("button", name=_pl("Add company")).click()
    expect(page.get_by_role("alert").get_by_text(_pl("This field is required."))).to_be_visible()
    screenshot("polish-company-errors-pl")

    assert not found, f"English text on Polish pages: {found}"
