"""Registrations of the helpdesk's schedule part ("Terminarz"; called from
helpdesk.setup): the card's section and its sidebar action, the log kinds."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.sections import CardAction, CardSection, register_card_action, register_card_section

    from . import log_kinds_schedule  # noqa: F401
    from .views.schedule import schedule_section_context

    register_card_section(CardSection(
        "schedule", _("Scheduler"), 480, "helpdesk/schedule/card_section.html",
        "helpdesk.view_event", context=schedule_section_context, lazy=True,
        anchor="terminarz"))
    register_card_action(CardAction(
        "event_add", _("Add a scheduler event"), 75, "helpdesk:event_new_customer",
        "helpdesk.add_event", group="helpdesk"))
