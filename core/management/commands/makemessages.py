"""``makemessages`` that also finds the action log's sentences.

Services mark the action log's sentences with ``gettext_noop`` imported as ``N_`` (they
are translated when shown, core/actionlog.py) and plural ones with
``core.actionlog.plural_noop``; xgettext knows neither name by itself.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options,
                        "--keyword=N_", "--keyword=plural_noop:1,2"]
