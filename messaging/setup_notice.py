"""Device messages ("komunikat"): the tenant's "message" RADIUS attributes and the
provider that adds them to the logins of customers with an unread notice."""

from django.utils.translation import gettext_lazy as _

NOTICE_ATTRIBUTES_DEFAULT = "Mikrotik-Address-List += abonent-notice"


def ready() -> None:
    from core.tenant_settings import Category, SettingDef, register
    from radius.attributes import block_profile_validate, register_extra_attributes

    from . import notices

    register(SettingDef(
        key=notices.SETTING, category=Category.MESSAGING, type=str,
        default=NOTICE_ATTRIBUTES_DEFAULT,
        label=_("RADIUS attributes of a login with an unread device message"),
        help_text=_("Added to the logins of a customer until they confirm the message: "
                    "“Attribute += value” rows separated by ; — e.g. a MikroTik address "
                    "list whose firewall rule redirects web traffic to the /notice/ page. "
                    "A blocked login gets the block attributes instead."),
        validator=block_profile_validate,
    ))
    register_extra_attributes(notices.notice_attributes_for)
