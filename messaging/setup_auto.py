"""Messages the system sends by itself: payment reminders (tenant settings, the
hand-over's "still owes?" check) and the panel PIN by SMS (the event from the card)."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from core.events import subscribe
    from core.tenant_settings import Category, SettingDef, register

    from . import tasks_auto  # noqa: F401  (Celery finds the tasks when the app loads)
    from .pin import _on_pin_generated
    from .reminders import (
        CHANNELS_BOTH,
        CHANNELS_EMAIL,
        CHANNELS_NONE,
        CHANNELS_SMS,
        reminder_send_check,
    )
    from .services import register_send_check

    register(
        SettingDef(
            key="messaging.reminder_days_before", category=Category.MESSAGING, type=int,
            default=3, label=_("Payment reminder: days before the due date (0: none)"),
            min_value=0, max_value=60),
        SettingDef(
            key="messaging.reminder_days_after", category=Category.MESSAGING, type=int,
            default=7, label=_("Payment reminder: days after the due date (0: none)"),
            min_value=0, max_value=365),
        SettingDef(
            key="messaging.reminder_channels", category=Category.MESSAGING, type=str,
            default=CHANNELS_NONE, label=_("Payment reminders are sent by"),
            help_text=_("SMS to the customer's first phone and e-mail to the first address "
                        "marked for notifications."),
            choices=((CHANNELS_NONE, _("nothing (reminders off)")), (CHANNELS_SMS, _("SMS")),
                     (CHANNELS_EMAIL, _("e-mail")), (CHANNELS_BOTH, _("SMS and e-mail")))),
        SettingDef(
            key="messaging.reminder_template_before", category=Category.MESSAGING, type=str,
            default="", label=_("Payment reminder before the due date: template name"),
            help_text=_("The SMS and e-mail templates of this name; empty or not found: "
                        "the default text."), max_length=100),
        SettingDef(
            key="messaging.reminder_template_after", category=Category.MESSAGING, type=str,
            default="", label=_("Payment reminder after the due date: template name"),
            help_text=_("The SMS and e-mail templates of this name; empty or not found: "
                        "the default text."), max_length=100),
    )
    register_send_check("reminder", reminder_send_check)
    subscribe("panel_pin.generated", _on_pin_generated)
