"""Registrations of the helpdesk's cases part (called from helpdesk.setup): its
log kinds, tenant setting, the card's "Helpdesk" section and the sidebar action."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.numbering import number_in_use_register
    from core.sections import CardAction, CardSection, register_card_action, register_card_section
    from core.tenant_settings import Category, SettingDef, register

    from . import log_kinds_cases  # noqa: F401  (the action log finds only log_kinds.py)
    from .views.cases_card import helpdesk_section_context

    register(SettingDef(
        key="helpdesk.attachment_max_mb", category=Category.HELPDESK, type=int, default=10,
        min_value=1, max_value=100, label=_("Largest file attached to a case (MB)"),
        help_text=_("PDF, JPG, PNG and GIF files up to this size may be attached to cases."),
    ))
    register_card_section(CardSection(
        "helpdesk", _("Helpdesk"), 460, "helpdesk/cases/card_section.html",
        "helpdesk.view_case", context=helpdesk_section_context, anchor="helpdesk"))
    register_card_action(CardAction(
        "helpdesk_case_new", _("Add a helpdesk ticket"), 70, "helpdesk:case_new_customer",
        "helpdesk.add_case", group="helpdesk"))
    # Case numbers taken by cases imported with their old numbers (LMS's ticket ids) are
    # skipped by the series.
    number_in_use_register("helpdesk.case", _case_numbers_in_use)


def _case_numbers_in_use(series: str, numbers: list[str]) -> set[str]:
    from .models import Case

    wanted = [int(n) for n in numbers if n.isdigit()]
    return {str(n) for n in Case.objects.filter(number__in=wanted)
            .values_list("number", flat=True)}
