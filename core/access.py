"""Staff login throttling: failed logins per account and per client address (django-axes).

Every login that goes through ``django.contrib.auth.authenticate`` with a request — the
staff login (/login/) and the Django admin's (/admin/login/) — is counted by axes in its
``AccessAttempt`` table (one row per user name, address and browser). A login is refused,
whatever the password, while within the cool-off (``STAFF_LOGIN_COOLOFF_MINUTES``) its
account has ``STAFF_LOGIN_FAILURE_LIMIT`` failures, or its client address has
``STAFF_LOGIN_ADDRESS_FAILURE_LIMIT`` failures over all user names (a higher limit: one
office behind one address). Attempts refused during a lock are not counted, so the lock
ends at the time shown to the user; a tenant administrator may lift it sooner
(``login_lock_release``). The limits are settings of the deployment, not of a tenant:
the login page knows no tenant yet, a user may belong to several, and an address
guesses at all of them.

The client address is ``core.http.client_ip`` (``TRUSTED_PROXY_COUNT``); an IPv6 client
is counted by its /64 network, which one host holds whole. Concurrent attempts for the
same account or address are taken one at a time (``LoginAttemptSerializer``), so a burst
of guesses sent at once gets no more tries than the same guesses sent one by one.

Failed attempts, lockouts and lifts go to the action log of every tenant the user name
belongs to (a user name of nobody's belongs to no tenant's log).
"""

import ipaddress
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Q, Sum
from django.http import HttpResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from .actionlog import action_log
from .http import client_ip
from .models import Membership, Tenant
from .tenancy import tenant_context


def cool_off() -> timedelta:
    return timedelta(minutes=settings.STAFF_LOGIN_COOLOFF_MINUTES)


def cool_off_of(request) -> timedelta:
    """``AXES_COOLOFF_TIME``: ``STAFF_LOGIN_COOLOFF_MINUTES``, read when asked."""
    return cool_off()


def account_failure_limit(request, credentials) -> int:
    """``AXES_FAILURE_LIMIT``: ``STAFF_LOGIN_FAILURE_LIMIT``, read when asked."""
    return settings.STAFF_LOGIN_FAILURE_LIMIT


def login_client_address(request) -> str | None:
    """The address failed logins are counted by (``AXES_CLIENT_IP_CALLABLE``).

    ``client_ip`` as far as ``TRUSTED_PROXY_COUNT`` trusts the proxies; what is not an
    address there (a proxy passing on garbage) counts as the proxy itself. IPv4 inside
    IPv6 is the IPv4 address; other IPv6 addresses count as their /64 network.
    """
    for raw in (client_ip(request), request.META.get("REMOTE_ADDR")):
        try:
            address = ipaddress.ip_address((raw or "").strip())
        except ValueError:
            continue
        if address.version == 6:
            if address.ipv4_mapped is not None:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        return str(address)
    return None


def login_username(request, credentials=None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the user name as the login form cleans it ("ａnna " is
    "anna"), cut to what the attempts table holds — the login form does not limit its
    length, and no user's name is that long."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    if name is None:
        return None
    return unicodedata.normalize("NFKC", str(name)).strip()[:USERNAME_MAX]


USERNAME_MAX = AccessAttempt._meta.get_field("username").max_length


def _recent():
    """Attempts within the cool-off: older ones no longer count (axes deletes them)."""
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off())


def _failures(attempts) -> tuple[int, datetime | None]:
    row = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return row["n"] or 0, row["last"]


def login_lock_until(*, username: str | None, address: str | None) -> datetime | None:
    """When the lock on this account or address ends, or None if neither is locked."""
    ends = []
    for field, value, limit in (("username", username, settings.STAFF_LOGIN_FAILURE_LIMIT),
                                ("ip_address", address,
                                 settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT)):
        if value is not None:
            failures, last = _failures(_recent().filter(**{field: value}))
            if failures >= limit:
                ends.append(last + cool_off())
    return max(ends) if ends else None


def _tenants_of(username: str | None) -> list[Tenant]:
    if not username:
        return []
    return [m.tenant for m in Membership.objects.filter(user__username=username)
            .select_related("tenant").order_by("tenant_id")]


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class StaffLoginHandler(AxesDatabaseHandler):
    """axes' database handler with an own limit per client address, the action log, and
    a success that clears only that account's failures from that address."""

    def get_failures(self, request, credentials=None) -> int:
        """Failures of the account; an address over its own limit counts as the account
        limit reached (axes compares this number with ``AXES_FAILURE_LIMIT``)."""
        username = get_client_username(request, credentials)
        since = request.axes_attempt_time - cool_off()
        attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
        by_account, _last = _failures(attempts.filter(username=username))
        by_address, _last = _failures(attempts.filter(ip_address=request.axes_ip_address))
        if by_address >= settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, get_failure_limit(request, credentials))
        return by_account

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # Refused by a lock already in force: axes counts nothing, nor does the log.
        refused = request is not None and getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused:
            return
        username = get_client_username(request, credentials)
        address = request.axes_ip_address or "?"
        locked = request.axes_locked_out
        until = login_lock_until(username=username, address=request.axes_ip_address)
        for tenant in _tenants_of(username):
            with tenant_context(tenant):
                action_log(actor=None, kind="login.failed", message=N_(
                    "Failed login as %(username)s from %(address)s."),
                    params={"username": username, "address": address},
                    changes={"address": address, "path": request.axes_path_info})
                if locked and until is not None:
                    action_log(actor=None, kind="login.locked", message=N_(
                        "Login as %(username)s from %(address)s locked until %(until)s after "
                        "too many failed attempts."),
                        params={"username": username, "address": address, "until": until},
                        changes={"address": address, "until": until.isoformat()})

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # The password was right from here: this account's typos from this address are
        # forgiven; failures from elsewhere, and on other accounts from here, stay.
        AccessAttempt.objects.filter(username=user.get_username(),
                                     ip_address=request.axes_ip_address).delete()


class ThrottledLoginBackend(AxesStandaloneBackend):
    """Refuses a login while its account or address is locked; authenticates nobody.

    A call without a request (code, not a client: the test client's ``login``, a shell)
    has no address to count and is not throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_locked_response(request, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page again with the lock and when it ends."""
    from .views import login_locked_page

    username = get_client_username(request, credentials)
    until = login_lock_until(username=username, address=getattr(request, "axes_ip_address",
                                                                 None))
    return login_locked_page(request, until=until)


# --------------------------------------------------------------------------- one at a time

LOCK_CLASS = 0x4C47  # advisory lock namespace of login attempts ("LG")


def _lock_key(value: str) -> int:
    return zlib.crc32(value.encode()) - 2**31


class LoginAttemptSerializer:
    """Takes the login POSTs of one account or one address one at a time.

    axes checks the count before the password and records the failure after it: N guesses
    sent at once would all pass the check. Here a login POST holds transaction-level
    advisory locks on its user name and its address while the view runs; a request that
    waits longer than a few seconds gets a 429. PostgreSQL only (elsewhere: as axes does).
    """

    WAIT = "5s"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or connection.vendor != "postgresql" \
                or request.path_info not in _login_paths():
            return self.get_response(request)
        keys = sorted({_lock_key("u:" + (login_username(request) or "")),
                       _lock_key("a:" + (login_client_address(request) or ""))})
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [self.WAIT])
                    for key in keys:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                                       [LOCK_CLASS, key])
                    cursor.execute("SELECT set_config('lock_timeout', '0', true)")
                return self.get_response(request)
        except OperationalError as e:
            if getattr(e.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            # Rolled back whole: nothing of this attempt was checked or written.
            return HttpResponse(_("Another login attempt for this account or from this "
                                  "address is in progress. Try again in a moment."),
                                status=429, content_type="text/plain; charset=utf-8")


LOCK_NOT_AVAILABLE = "55P03"


def _login_paths() -> set[str]:
    return {reverse("login"), reverse("admin:login")}


# --------------------------------------------------------------------------- unlock

LOCK_KINDS = ["account", "address"]


@dataclass(frozen=True)
class LoginLock:
    """A lock a tenant admin may lift: ``kind`` "account" (a user name of the tenant's) or
    "address" (one its users' logins were tried from)."""

    kind: str
    value: str
    failures: int
    until: datetime


def _member_usernames(tenant: Tenant) -> list[str]:
    return list(Membership.objects.filter(tenant=tenant)
                .values_list("user__username", flat=True))


def login_lock_list(*, tenant: Tenant) -> list[LoginLock]:
    """Accounts of ``tenant``'s users that are locked, and the addresses locked that tried
    them, with when each lock ends. Queries: three (members, accounts, addresses)."""
    members = _member_usernames(tenant)
    recent = _recent()
    locks = []
    for row in (recent.filter(username__in=members).values("username")
                .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"))
                .filter(n__gte=settings.STAFF_LOGIN_FAILURE_LIMIT).order_by("username")):
        locks.append(LoginLock("account", row["username"], row["n"], row["last"] + cool_off()))
    for row in (recent.exclude(ip_address=None).values("ip_address")
                .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"),
                          ours=Sum("failures_since_start",
                                   filter=Q(username__in=members)))
                .filter(n__gte=settings.STAFF_LOGIN_ADDRESS_FAILURE_LIMIT, ours__gt=0)
                .order_by("ip_address")):
        locks.append(LoginLock("address", row["ip_address"], row["n"],
                               row["last"] + cool_off()))
    return locks


def login_lock_release(*, actor, tenant: Tenant, kind: str, value: str) -> bool | None:
    """Lift a lock of ``login_lock_list(tenant)``; None if there is no such lock (another
    tenant's user, an address that tried none of ours, or a typo).

    An account: all its failures are forgotten. An address: the failures on this tenant's
    users; those on other tenants' users, or on user names of nobody, still count, so the
    address may stay locked — the answer is whether it is free now. Logged in the action
    log of ``tenant``.
    """
    lock = next((lock for lock in login_lock_list(tenant=tenant)
                 if lock.kind == kind and lock.value == value), None)
    if lock is None:
        return None
    attempts = AccessAttempt.objects.all()
    if kind == "account":
        attempts = attempts.filter(username=value)
    else:
        attempts = attempts.filter(ip_address=value, username__in=_member_usernames(tenant))
    with transaction.atomic():
        attempts.delete()
        free = login_lock_until(username=value if kind == "account" else None,
                                address=value if kind == "address" else None) is None
        with tenant_context(tenant):
            action_log(actor=actor, kind="login.unlocked", message=(
                N_("Login lock of the account %(value)s lifted.") if kind == "account" else
                N_("Login lock of the address %(value)s lifted.") if free else
                N_("Failed logins from %(value)s on this company's users forgotten; the "
                   "address stays locked by attempts on other accounts.")),
                params={"value": value},
                changes={kind: value, "failures": lock.failures})
    return free
