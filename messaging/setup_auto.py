"""Messages the system sends by itself: payment reminders (tenant settings, the
hand-over's "still owes?" check), the panel PIN by SMS (the event from the card) and a
phone's calls reaching their notification threshold (the event from voip)."""

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
    # a phone's calls reached its notification threshold (voip): tell the customer
    from .voip_threshold import on_threshold_crossed

    register(SettingDef(
        key="messaging.voip_threshold_channels", category=Category.MESSAGING, type=str,
        default=CHANNELS_BOTH, label=_("Phone calls' notification threshold is told by"),
        help_text=_("When a phone's calls of a billing period reach its notification "
                    "threshold: SMS to the customer's first phone and e-mail to the first "
                    "address marked for notifications."),
        choices=((CHANNELS_NONE, _("nothing")), (CHANNELS_SMS, _("SMS")),
                 (CHANNELS_EMAIL, _("e-mail")), (CHANNELS_BOTH, _("SMS and e-mail")))))
    subscribe("voip.threshold_crossed", on_threshold_crossed)
