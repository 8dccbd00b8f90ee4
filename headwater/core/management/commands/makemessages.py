"""Django's `makemessages`, with the project's own translation call names in xgettext's keyword list.

`stats/sources_page.py` writes the Statistics page's figures in Python with the messages of the template part it
replaced, through `_t(message)` (a message looked up as `{% translate %}` looks it up) and `_range(message, period)`.
With their names here, xgettext takes those messages from the module itself: the catalogue does not depend on the
template kept as the tests' reference (`stats/tests/reference_forms/_stats_sources.html`). A message passed on in a
variable is marked where it is written, with `gettext_noop`.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_t", "--keyword=_range"]
