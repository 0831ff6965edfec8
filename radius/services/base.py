"""What the RADIUS services share: field errors, tenant checks, uniqueness messages."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from core.tenancy import current_tenant

from ..attributes import extra_attributes, login_snapshot
from ..models import (
    Login,
    LoginAttribute,
)


def _own(name: str, obj) -> None:
    """Refuse an object of another tenant (a forged id in a form, say)."""
    if obj is not None and obj.tenant_id != current_tenant().pk:
        raise ValidationError({name: [_("Not found.")]})


UNIQUE_MESSAGES = {
    "nas_name_uniq": ("name", lambda: _("A NAS with this name already exists.")),
    "nas_ip_uniq": ("ip", lambda: _("A NAS with this IP address already exists.")),
    "ippool_name_uniq": ("name", lambda: _("A pool with this name already exists.")),
    "login_login_uniq": ("login", lambda: _("This login is already taken.")),
    "login_ip_uniq": ("ip", lambda: _("This IP address is already given to another login.")),
    "login_mac_uniq": ("mac", lambda: _("This MAC address is already used by another login.")),
}


def _unique_error(error: IntegrityError) -> ValidationError:
    """The message for a uniqueness race the checks before the write could not see."""
    for constraint, (field, message) in UNIQUE_MESSAGES.items():
        if constraint in str(error):
            return ValidationError({field: [message()]})
    raise error


def login_snapshot_refresh(login: Login) -> None:
    """Store what ``login`` sends now; call inside the transaction that changed it.

    For other apps too: a tariff or block change calls it for the customer's logins.
    """
    snapshot = login_snapshot(login, LoginAttribute.objects.filter(login=login),
                              extra=extra_attributes([login]).get(login.pk, ()))
    Login.objects.filter(pk=login.pk).update(radius_snapshot=snapshot)
    login.radius_snapshot = snapshot
