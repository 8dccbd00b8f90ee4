"""Writes of the lead forms app: the forms themselves, and a visitor's submission (through capture's one lead
service, the same path as `POST /api/v1/leads`)."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.utils.translation import gettext as _

from headwater.capture.models import CLICK_IDS, URL_MAX_LENGTH, UTM_FIELDS, UTM_MAX_LENGTH
from headwater.capture.services import lead_capture, phone_key
from headwater.core.errors import DomainError, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import check_text, clean_name, text_problem
from headwater.leadforms.models import FIELD_CATALOGUE, FormSubmission, IntakeCounter, LeadForm
from headwater.leadforms.selectors import answer_sources
from headwater.records.models import RecordOrigin
from headwater.sources.selectors import source_by_name
from headwater.users.models import User

# The hidden fields a submission may carry besides the visitor's answers: what the embed script (or the hosted page)
# saw of the visit.
FACT_FIELDS = (*UTM_FIELDS, *CLICK_IDS, "referrer", "landing_url")
HONEYPOT = "hw_url"  # a field people never see; bots fill every field they find
TOKEN_FIELD = "hw_token"  # noqa: S105  # a field's name, not a secret
TOKEN_SALT = "headwater.leadforms.fill"  # noqa: S105  # signing's namespace; the secret is SECRET_KEY
MAX_ORIGINS = 20
MAX_ANSWERS = 30


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- The form, as an admin edits it -----------------------------------------------------------------------


def parse_origins(text: str) -> list[str]:
    """One site per line (or separated by spaces or commas): scheme, host and an optional port, nothing else."""
    check_text("allowed_origins", text)
    origins: list[str] = []
    for raw in text.replace(",", " ").split():
        parts = urlsplit(raw.rstrip("/"))
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username is not None
            or port == -1
        ):
            raise ValidationFailed.on(
                "allowed_origins",
                _("“%(value)s” is not a website's address: write it as https://www.example.pl (a port may follow).")
                % {"value": raw[:100]},
            )
        origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise ValidationFailed.on(
            "allowed_origins",
            _("At most %(limit)d websites; you listed %(count)d.") % {"limit": MAX_ORIGINS, "count": len(origins)},
        )
    return origins


def check_redirect(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    check_text("redirect_url", url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MAX_LENGTH:
        raise ValidationFailed.on("redirect_url", _("Enter a web address starting with http:// or https://."))
    return url


def parse_answers(*, account: Account, text: str) -> list[dict[str, Any]]:
    """One answer a line, optionally followed by “=” and the source it stands for (a name or alias)."""
    check_text("answers", text)
    answers: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _sep, name = line.partition("=")
        label, name = " ".join(label.split()), name.strip()
        if not label or len(label) > UTM_MAX_LENGTH:
            raise ValidationFailed.on(
                "answers",
                _("Line %(line)d: write the answer (1 to %(limit)d characters) before the “=”.")
                % {"line": number, "limit": UTM_MAX_LENGTH},
            )
        source_id = None
        if name:
            source = source_by_name(account=account, name=name)
            if source is None:
                raise ValidationFailed.on(
                    "answers", _("Line %(line)d: no source is named “%(name)s”.") % {"line": number, "name": name[:100]}
                )
            source_id = source.pk
        answers.append({"label": label, "source_id": source_id})
    if len(answers) > MAX_ANSWERS:
        raise ValidationFailed.on(
            "answers",
            _("At most %(limit)d answers; you wrote %(count)d.") % {"limit": MAX_ANSWERS, "count": len(answers)},
        )
    return answers


def answers_text(form: LeadForm) -> str:
    sources = answer_sources(form=form)
    lines = []
    for answer in form.answers:
        source = sources.get(answer.get("source_id") or 0)
        lines.append(f"{answer['label']} = {source.name}" if source is not None else answer["label"])
    return "\n".join(lines)


def check_fields(*, fields: Mapping[str, str], opens_deal: bool) -> None:
    """A form must be able to make a person: a last name, and an e-mail or a phone to know a returning visitor."""
    if fields.get("last_name") != "required":
        raise ValidationFailed.on("field_last_name", _("A person needs a last name: ask for it, required."))
    if not fields.get("email") and not fields.get("phone"):
        raise ValidationFailed.on("field_email", _("Ask for an e-mail address or a phone number (or both)."))
    if not opens_deal and (fields.get("deal_name") or fields.get("message")):
        raise ValidationFailed.on(
            "field_deal_name", _("The deal's fields are asked only when each submission opens a deal.")
        )


@transaction.atomic
def form_save(*, account: Account, user: User | None, form: LeadForm | None, data: Mapping[str, Any]) -> LeadForm:
    """Create or change a form from an admin's checked input (the keys of LeadForm plus `fields`)."""
    check_fields(fields=data["fields"], opens_deal=data["opens_deal"])
    # The name is a name like any other (one visible line); the texts visitors read may hold line breaks, nothing
    # invisible that a database or a page would choke on.
    name = clean_name(data["name"], field="name", required=_("Enter the form's name."))
    for field in ("consent_text", "thank_you"):
        check_text(field, data[field])
    owner = data.get("deal_owner")
    if owner is not None and not owner.memberships.filter(account=account).exists():
        raise ValidationFailed.on("deal_owner", _("Choose a member of this account."))
    target = form if form is not None else LeadForm(account=account)
    for key in (
        "name",
        "fields",
        "how_heard",
        "answers",
        "consent_text",
        "thank_you",
        "redirect_url",
        "opens_deal",
        "deal_owner",
        "deal_value",
        "allowed_origins",
        "active",
    ):
        setattr(target, key, data[key])
    target.name = name
    target.save()
    return target


def form_delete(*, account: Account, form: LeadForm) -> None:
    """The form goes; the persons, deals and touches it brought stay (their touches still name it)."""
    LeadForm.objects.for_account(account).filter(pk=form.pk).delete()


# --- A visitor's submission -------------------------------------------------------------------------------


class SubmissionRefused(DomainError):
    """Why a submission was not taken, per field (`__all__` for the whole submission)."""

    code = "submission_refused"
    status = 400

    def __init__(self, errors: dict[str, list[str]], *, status: int = 400) -> None:
        super().__init__(_("The form was not sent. Correct the marked fields."), fields=errors)
        self.status = status


def fill_token(form: LeadForm) -> str:
    """A signed note of when the form was shown: no session is needed to know how long the visitor took."""
    return signing.dumps({"f": form.pk, "t": int(time.time() * 1000)}, salt=TOKEN_SALT, compress=False)


def _check_token(form: LeadForm, token: Any) -> str | None:
    """Why the token refuses the submission, or None. Too fast is a bot; too old or forged: show the form again."""
    if not isinstance(token, str) or len(token) > 200:
        return _("The form has expired. Send it again.")
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=_setting("LEADFORM_TOKEN_MAX_AGE_SECONDS", 86400))
    except signing.BadSignature:
        return _("The form has expired. Send it again.")
    if not isinstance(payload, dict) or payload.get("f") != form.pk or not isinstance(payload.get("t"), int):
        return _("The form has expired. Send it again.")
    elapsed_ms = time.time() * 1000 - payload["t"]
    if elapsed_ms < _setting("LEADFORM_MIN_FILL_SECONDS", 3) * 1000:
        return _("That was faster than anyone types. Wait a few seconds and send the form again.")
    return None


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool | int | float):
        raw = str(raw)
    if not isinstance(raw, str):
        return "\x00"  # a list or an object where text belongs: refused like a NUL
    return raw.strip()


def _fact(raw: Any, limit: int, *, url: bool = False) -> str:
    """A tracked value as stored: the visitor cannot correct a hidden field, so a bad one is dropped, not refused."""
    value = _text(raw)
    if text_problem(value):
        return ""
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")[:limit]
    if url and value and not value.lower().startswith(("http://", "https://")):
        return ""
    return value


def visit_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    facts = {name: _fact(data.get(name), UTM_MAX_LENGTH) for name in (*UTM_FIELDS, *CLICK_IDS)}
    facts["referrer"] = _fact(data.get("referrer"), URL_MAX_LENGTH, url=True)
    facts["landing_url"] = _fact(data.get("landing_url"), URL_MAX_LENGTH, url=True)
    return facts


def _truthy(raw: Any) -> bool:
    return raw is True or (isinstance(raw, str) and raw.lower() in ("on", "true", "1", "yes"))


# Where capture's lead service names a field, and the form's key for it.
_CAPTURE_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "position": "position",
    "company.name": "company",
    "website": "website",
    "name": "deal_name",
    "notes": "message",
}


def form_submit(*, form: LeadForm, data: Mapping[str, Any]) -> FormSubmission:
    """Check a visitor's submission and store it as a lead with its touch. The answer is the same whether the
    e-mail was known or not: the caller says "thank you" either way."""
    if _text(data.get(HONEYPOT)):
        message = _(
            "A field meant to stay empty was filled in, so the form looks automated. Reload the page and send it again."
        )
        raise SubmissionRefused({"__all__": [message]})
    errors: dict[str, list[str]] = {}
    token_problem = _check_token(form, data.get(TOKEN_FIELD))
    if token_problem:
        # Said with the fields' own errors, so the visitor corrects everything in one go.
        errors["__all__"] = [token_problem]
    values = _values(form, data, errors)
    answer: dict[str, Any] | None = None
    picked = _text(data.get("how_heard")) if form.how_heard and form.answers else ""
    if picked:
        # ASCII digits only, and few of them: int() of "²" or of 5,000 digits raises.
        if picked.isascii() and picked.isdigit() and len(picked) < 4 and int(picked) < len(form.answers):
            answer = form.answers[int(picked)]
        else:
            errors.setdefault("how_heard", []).append(_("Choose one of the answers."))
    consent = _truthy(data.get("consent"))
    if form.consent_text and not consent:
        errors.setdefault("consent", []).append(
            _("Tick the box to give your consent; we cannot take the form without it.")
        )
    if errors:
        raise SubmissionRefused(errors)
    return _store(form=form, values=values, facts=visit_facts(data), consent=consent, answer=answer)


def _values(form: LeadForm, data: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, str]:
    """The asked fields' answers, with a message in `errors` for each refused one."""

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    values: dict[str, str] = {}
    for key, _label, required, limit in form.asked():
        value = _text(data.get(key))
        problem = text_problem(value) if value != "\x00" else _("Enter text.")
        if problem:
            refuse(key, problem)
        elif len(value) > limit:
            refuse(key, _("At most %(limit)d characters; you typed %(count)d.") % {"limit": limit, "count": len(value)})
        elif required and not value:
            refuse(key, _("This field is required."))
        values[key] = value
    if values.get("email") and "email" not in errors:
        try:
            EmailValidator()(values["email"])
        except ValidationError:
            refuse("email", _("Enter a valid e-mail address."))
    if values.get("phone") and "phone" not in errors and not phone_key(values["phone"]):
        refuse("phone", _("Enter a phone number, e.g. +48 600 100 200."))
    if not values.get("email") and not values.get("phone") and "email" not in errors and "phone" not in errors:
        refuse("email" if "email" in values else "phone", _("Enter an e-mail address or a phone number."))
    website = values.get("website", "")
    if website and "website" not in errors and not website.lower().startswith(("http://", "https://")):
        values["website"] = "https://" + website
    return values


def _store(
    *, form: LeadForm, values: dict[str, str], facts: dict[str, Any], consent: bool, answer: dict[str, Any] | None
) -> FormSubmission:
    account = form.account
    person = {
        attr: values[key] for key, _l, record, attr, _n in FIELD_CATALOGUE if record == "person" and key in values
    }
    person.setdefault("last_name", "")
    company = None
    if values.get("company"):
        company = {"name": values["company"], **({"website": values["website"]} if values.get("website") else {})}
    deal = None
    if form.opens_deal:
        deal = {
            "name": values.get("deal_name", ""),
            "notes": values.get("message", ""),
            "value": form.deal_value or Decimal("0"),
            "owner": form.deal_owner,
        }
    reported: Any = None
    if answer is not None and answer.get("source_id"):
        reported = answer_sources(form=form).get(answer["source_id"])
    try:
        with transaction.atomic():
            result = lead_capture(
                account=account,
                user=None,
                channel=form.name,
                person=person,
                company=company,
                deal=deal,
                touch={**facts, "consent": consent},
                self_reported=answer["label"] if answer is not None else "",
                reported_source=reported,
                origin=RecordOrigin.WEB_FORM,
            )
            return FormSubmission.unscoped.create(account=account, form=form, touch=result.touch)
    except ValidationFailed as exc:
        errors: dict[str, list[str]] = {}
        for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
            errors.setdefault(_CAPTURE_FIELDS.get(field, "__all__"), []).extend(messages)
        raise SubmissionRefused(errors) from exc


# --- The rate limit -----------------------------------------------------------------------------------------


def _count(key: str, window: int) -> int:
    table = connection.ops.quote_name(IntakeCounter._meta.db_table)
    with connection.cursor() as cursor:
        # One statement, atomic in both databases: parallel workers never lose a count.
        cursor.execute(
            f"INSERT INTO {table} (bucket, minute, hits) VALUES (%s, %s, 1) "  # noqa: S608  # the table's own name
            f"ON CONFLICT (bucket, minute) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [key, window],
        )
        count = int(cursor.fetchone()[0])
        if count == 1 and key.startswith("form:"):
            # A new minute for a form: forget the minutes gone by (every key's, so the table stays small).
            cursor.execute(f"DELETE FROM {table} WHERE minute < %s", [window - 1])  # noqa: S608
    return count


def intake_allowed(*, form: LeadForm, address: str) -> bool:
    """Count a submission against the form's and the address's one-minute limits (`LEADFORM_RATE_PER_FORM`,
    `LEADFORM_RATE_PER_ADDRESS`, 0 for none); False when either is exceeded. Refused submissions count too: a flood
    is refused whatever it sends."""
    window = int(time.time() // 60)
    allowed = True
    for bucket, limit in (
        (f"form:{form.pk}", _setting("LEADFORM_RATE_PER_FORM", 300)),
        (f"ip:{address[:90]}", _setting("LEADFORM_RATE_PER_ADDRESS", 10)),
    ):
        # 0 switches a limit off (and counts nothing).
        if limit > 0 and _count(bucket, window) > limit:
            allowed = False
    return allowed


def token_was_early(form: LeadForm, token: str) -> bool:
    """A genuine token refused only for being sent too soon (the visitor may send it again once the time is up)."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=_setting("LEADFORM_TOKEN_MAX_AGE_SECONDS", 86400))
    except signing.BadSignature:
        return False
    return isinstance(payload, dict) and payload.get("f") == form.pk
