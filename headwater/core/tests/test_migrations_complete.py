"""Every model change has its migration: a change merged without one (two branches adding choices to one field, say)
would be made by the next `makemigrations` on a production machine, or never."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations would write a migration (exit {exit_.code}):\n{out.getvalue()}")
