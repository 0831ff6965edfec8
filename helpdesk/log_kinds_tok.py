"""The TOK part's kinds of action log entries (core/actionlog.py)."""

from django.utils.translation import gettext_lazy as _

from core.actionlog import register_log_kinds


def register() -> None:
    register_log_kinds({
        "topic.create": _("TOK topic added"),
        "topic.update": _("TOK topic changed"),
        "topic.move": _("TOK topic moved"),
        "topic.retire": _("TOK topic retired"),
        "topic.reactivate": _("TOK topic reactivated"),
        "topic.script": _("TOK script changed"),
    }, model="helpdesk.Topic")
    register_log_kinds({
        "interaction.create": _("TOK conversation recorded"),
        "interaction.attach": _("TOK conversation attached to the customer"),
    }, model="helpdesk.Interaction")
