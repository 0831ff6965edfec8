"""What the RADIUS app puts in the customer card's summary header and next to its addresses:
the customer's logins, each online or not, blocked (and why) or disabled, and the address
it is installed at — the "identyfikatory komputerów" net47 shows next to each address.

One query per request, whatever the number of logins: the header and the addresses
section share the rows (kept on the request).
"""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from core.sections import AddressTag

from .models import Login, RadiusSession

_CACHE = "_card_summary_logins"


def customer_logins(customer, request) -> list[Login]:
    """The customer's logins by name, each with ``online`` (an open session exists) and
    the tariff of its subscription joined. One query, once per request."""
    cache = getattr(request, _CACHE, None)
    if cache is None:
        cache = {}
        setattr(request, _CACHE, cache)
    if customer.pk not in cache:
        open_session = RadiusSession.objects.filter(login_id=OuterRef("pk"),
                                                    stopped_at__isnull=True)
        cache[customer.pk] = list(
            Login.objects.filter(customer_id=customer.pk)
            .select_related("subscription__tariff")
            .only("id", "login", "block", "block_reason", "enabled", "disabled_reason",
                  "installation_address_id", "subscription__id", "subscription__tariff__id",
                  "subscription__tariff__name")
            .annotate(online=Exists(open_session))
            .order_by("login"))
    return cache[customer.pk]


def summary_context(customer, request) -> dict:
    """The header's "Logins": each with its state, and how many are online / blocked."""
    logins = customer_logins(customer, request)
    return {"summary_logins": logins,
            "summary_logins_online": sum(1 for login in logins if login.online),
            "summary_logins_blocked": sum(1 for login in logins if login.block)}


def _tariff(login: Login) -> str:
    subscription = login.subscription
    return subscription.tariff.name if subscription and subscription.tariff_id else ""


def address_tags(customer, request) -> dict[int, list[AddressTag]]:
    """The IDs of the logins installed at each address, the tariff as the hint."""
    tags: dict[int, list[AddressTag]] = {}
    url = reverse("radius:login", kwargs={"login_id": 0})[:-2] + "{}/"
    for login in customer_logins(customer, request):
        if not login.installation_address_id:
            continue
        title = _("Login ID %(id)s, tariff: %(tariff)s") % {
            "id": login.pk, "tariff": _tariff(login) or "–"}
        css = ("text-bg-warning" if login.block else
               "text-bg-danger" if not login.enabled else
               "text-bg-success" if login.online else "text-bg-light border")
        tags.setdefault(login.installation_address_id, []).append(AddressTag(
            label=f"#{login.pk} {login.login}", title=title, url=url.format(login.pk), css=css))
    return tags
