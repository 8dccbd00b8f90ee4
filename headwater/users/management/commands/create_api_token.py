"""`manage.py create_api_token EMAIL ACCOUNT_SLUG [--name NAME]`: print a new API token (for scripts and tests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headwater.core.errors import DomainError
from headwater.core.models import Account
from headwater.users.models import User
from headwater.users.token_services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a member of an account and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The member's e-mail address.")
        parser.add_argument("account_slug", help="The account's address (slug).")
        parser.add_argument("--name", default="command line", help="A label to recognise the token by.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        account = Account.objects.filter(slug=options["account_slug"].strip().lower()).first()
        if user is None or account is None:
            raise CommandError("No such user or account.")
        try:
            token, secret = api_token_create(account=account, user=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"Token “{token.name}” ({token.prefix}…) for {user.email} in {account.slug}:")
        self.stdout.write(secret)
