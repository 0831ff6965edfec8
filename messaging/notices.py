"""Device messages ("komunikat"): a one-time message shown by redirecting the customer's
web traffic until they confirm it ("Przeczytałem").

Sending writes a ``Message`` of channel notice through ``services.message_queue`` (the one
validation of every message) and marks it sent at once: no gateway hands it over. It
reaches the customer through RADIUS: while a customer has an unread notice, each of their
logins gets the tenant's "message" attributes (setting ``messaging.notice_attributes``,
e.g. a MikroTik address list whose firewall rule redirects HTTP to Abonent's
``/notice/``). ``notice_attributes_for`` is registered with
``radius.attributes.register_extra_attributes``, so the attribute snapshot carries them;
the radius app refreshes the snapshots and reloads the online logins (CoA, or a
Disconnect when an attribute is taken away) on ``notice.changed``, published after
commit by every service here that changes whether a customer has an unread notice.

The notice page identifies the customer by the source address of an open RADIUS session
(``notice_customer_for_address``) or by the panel login; confirming is
``notice_read``, recorded as the customer's action.
"""

import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log
from core.events import publish
from core.tenancy import all_tenants_context

from . import services
from .models import Channel, Message, Purpose, Status

# A notice in one of these still redirects the customer's traffic.
UNREAD = (Status.QUEUED, Status.SENT)

SETTING = "messaging.notice_attributes"


# --------------------------------------------------------------------------- reads

def notice_logins(*, customer) -> list[str]:
    """The customer's login names, the notice's recipients. Queries: one."""
    from radius.models import Login

    return list(Login.objects.filter(customer=customer).order_by("login")
                .values_list("login", flat=True))


def notice_list(*, customer):
    """The customer's notices, newest first, with their authors (the card's tab).
    Queries: one."""
    return (Message.objects.filter(customer=customer, channel=Channel.NOTICE)
            .select_related("author").defer("raw", "body_secret"))


def notice_staff_get(*, pk) -> Message:
    """A notice of the active tenant with its customer; another tenant's (or another
    kind of message) raises ``Message.DoesNotExist``. Queries: one."""
    return (Message.objects.select_related("customer").defer("raw", "body_secret")
            .get(pk=pk, channel=Channel.NOTICE))


def notice_unread_list(*, customer) -> list[Message]:
    """The customer's notices still waiting for "Przeczytałem", oldest first.
    Queries: one."""
    return list(Message.objects.filter(customer=customer, channel=Channel.NOTICE,
                                       status__in=UNREAD)
                .defer("raw", "body_secret").order_by("created_at", "pk"))


def notice_get(*, customer, pk) -> Message:
    """One of ``customer``'s notices; anything else raises ``Message.DoesNotExist``.
    Queries: one."""
    return Message.objects.defer("raw", "body_secret").get(pk=pk, customer=customer,
                                                           channel=Channel.NOTICE)


def notice_customer_for_address(*, ip: str | None):
    """The one customer (with their tenant) whose open RADIUS session has the address
    ``ip``, else None.

    The page is public and the address is all it knows, so it looks across tenants (two
    ISPs may both hand out 100.64.0.10): an address open for more than one customer —
    in one tenant or several — identifies nobody, so no one ever sees another
    customer's notice. Queries: two (one without a match)."""
    ip = _clean_ip(ip)
    if ip is None:
        return None
    from customers.models import Customer
    from radius.models import RadiusSession

    with all_tenants_context():
        found = list(RadiusSession.all_tenants
                     .filter(framed_ip=ip, stopped_at__isnull=True,
                             login__customer__isnull=False)
                     .values_list("tenant_id", "login__customer_id").distinct()[:2])
        if len(found) != 1:
            return None
        tenant_id, customer_id = found[0]
        return Customer.all_tenants.select_related("tenant").get(pk=customer_id,
                                                                 tenant_id=tenant_id)


def notice_unread_counts(*, customer_ids) -> dict[int, int]:
    """How many unread notices each of ``customer_ids`` has. Queries: one."""
    return dict(Message.objects.filter(customer_id__in=list(customer_ids),
                                       channel=Channel.NOTICE, status__in=UNREAD)
                .order_by().values("customer_id").annotate(n=Count("pk"))
                .values_list("customer_id", "n"))


def notice_attributes_for(logins) -> dict[int, list[tuple[str, str, str]]]:
    """The "message" attributes of the ``logins`` whose customer has an unread notice
    (the provider registered with ``radius.attributes.register_extra_attributes``).
    Queries: one, and the setting's when someone has a notice."""
    from core.tenant_settings import setting_get
    from radius.attributes import block_profile_parse

    logins = list(logins)
    waiting = notice_unread_counts(customer_ids={lo.customer_id for lo in logins})
    if not waiting:
        return {}
    rows = block_profile_parse(setting_get(SETTING))
    return {lo.pk: list(rows) for lo in logins if lo.customer_id in waiting}


# --------------------------------------------------------------------------- writes

def _recipient(names: list[str]) -> str:
    text = ", ".join(names)
    return text if len(text) <= 254 else text[:253] + "…"


def _clean_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


@transaction.atomic
def notice_send(*, customer, text: str, actor) -> Message:
    """Send a device message to ``customer``: stored as sent, logged ("message.queue"),
    and after commit ``notice.changed`` makes the radius app give the customer's logins
    the "message" attributes and reload the online ones. Raises ``ValidationError``
    (empty or too long text, no login to show it on); nothing is written then."""
    names = notice_logins(customer=customer)
    if not names:
        raise ValidationError({"body": [_("The customer has no login to show the message "
                                          "on.")]})
    message = services.message_queue(customer=customer, channel=Channel.NOTICE,
                                     recipient=_recipient(names), body=text, author=actor,
                                     purpose=Purpose.NOTICE, send=False)
    message.sent_at = timezone.now()
    message.save(update_fields=["sent_at"])
    services._status_set(message, Status.SENT, reason="",
                         detail=_("shown at the next web page the customer opens"))
    publish("notice.changed", customer_id=customer.pk)
    return message


def notice_read(*, message: Message, customer, ip: str | None, actor=None) -> bool:
    """The customer confirms the notice ("Przeczytałem"): stores when and from which
    address, marks it read, logs it as the customer's action (``actor``: the staff member
    viewing the panel as the customer, if so) and after commit publishes ``notice.read``
    and ``notice.changed`` (the logins lose the redirect). Locks the message, so the
    same confirmation twice at once reads it once: returns whether this call did.
    A notice that is not ``customer``'s raises ``Message.DoesNotExist``."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(
            pk=message.pk, customer=customer, channel=Channel.NOTICE)
        if message.status not in UNREAD:
            return False
        message.read_at, message.read_from = timezone.now(), _clean_ip(ip)
        message.save(update_fields=["read_at", "read_from"])
        services._status_set(message, Status.READ, reason="", detail=message.read_from or "")
        action_log(actor=actor or customer, customer=customer, kind="notice.read",
                   message=N_("Device message of %(date)s read by the customer (address "
                              "%(ip)s)"),
                   params={"date": message.created_at, "ip": message.read_from or "-"})
        publish("notice.read", message_id=message.pk, customer_id=customer.pk)
        publish("notice.changed", customer_id=customer.pk)
    return True


def notice_cancel(*, message: Message, actor) -> Message:
    """Staff withdraw a notice the customer has not read: cancelled, logged, and after
    commit the logins lose the redirect unless another notice waits. Locks the message;
    raises ``ValidationError`` for a notice already read or cancelled."""
    with transaction.atomic():
        message = (Message.objects.select_for_update(of=("self",))
                   .select_related("customer").get(pk=message.pk, channel=Channel.NOTICE))
        if message.status not in UNREAD:
            raise ValidationError(_("Only a message the customer has not read yet can be "
                                    "cancelled."))
        services._status_set(message, Status.CANCELLED, reason="",
                             detail=_("cancelled by %(user)s") % {
                                 "user": actor.get_full_name() or actor.get_username()})
        action_log(actor=actor, customer=message.customer, kind="notice.cancel",
                   message=N_("Device message of %(date)s cancelled before it was read"),
                   params={"date": message.created_at})
        publish("notice.changed", customer_id=message.customer_id)
    return message
