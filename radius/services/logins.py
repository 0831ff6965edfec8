"""Logins ("komputery"): create, change, disable, and the forced reload (CoA)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from core.validation import field_clean as _field
from customers.models import Address
from finance.models import Subscription

from .. import coa, reloads, validators
from ..attributes import reply_for_nas, reply_removes
from ..models import (
    IpPool,
    Login,
    LoginAttribute,
    LoginReload,
    NasKind,
    RadiusSession,
)
from ..patterns import login_generate, password_generate
from .base import UNIQUE_MESSAGES, _own, _unique_error, login_snapshot_refresh
from .network import _pool_first_free, ip_in_pool_check

# --------------------------------------------------------------------------- logins

def _default_installation_address(customer) -> Address | None:
    """The customer's installation address, else the residence address."""
    addresses = {a.kind: a for a in Address.objects.filter(
        customer=customer, kind__in=[Address.Kind.INSTALLATION, Address.Kind.RESIDENCE]
    ).order_by("-id")}
    return addresses.get(Address.Kind.INSTALLATION) or addresses.get(Address.Kind.RESIDENCE)


def _clean_attributes(attributes) -> list[tuple[str, str, str]]:
    cleaned = []
    for attribute, op, value in attributes:
        cleaned.append(_field("attributes", validators.clean_attribute, attribute, op, value))
    return cleaned


def _clean_login(login: Login, *, nases, attributes) -> list[tuple[str, str, str]]:
    """Validate the login's fields in place; returns the cleaned attribute rows."""
    errors = {}
    for field, clean in (("login", validators.clean_login),
                         ("password", validators.clean_password)):
        try:
            setattr(login, field, _field(field, clean, getattr(login, field)))
        except ValidationError as e:
            errors.update(e.message_dict)
    if login.auth_type not in Login.AuthType.values:
        errors["auth_type"] = [_("Unknown authorization type.")]
    if login.mac or login.auth_type == Login.AuthType.DHCP:
        if not login.mac:
            errors["mac"] = [_("DHCP authorization needs the device's MAC address.")]
        else:
            try:
                login.mac = _field("mac", validators.clean_mac, login.mac)
            except ValidationError as e:
                errors.update(e.message_dict)
    if login.ip:
        try:
            login.ip = str(_field("ip", validators.clean_ipv4, login.ip, _("IP address")))
            if login.pool is not None:
                ip_in_pool_check(login.ip, login.pool)
        except ValidationError as e:
            errors.update(e.message_dict)
    if login.installation_address is not None and \
            login.installation_address.customer_id != login.customer_id:
        errors["installation_address"] = [_("Choose one of the customer's addresses.")]
    if login.subscription is not None and login.subscription.customer_id != login.customer_id:
        errors["subscription"] = [_("Choose one of the customer's tariffs.")]
    login.notes = (login.notes or "").strip()
    for name, obj in (("customer", login.customer), ("pool", login.pool),
                      ("installation_address", login.installation_address),
                      ("subscription", login.subscription),
                      *(("nases", nas) for nas in nases)):
        try:
            _own(name, obj)
        except ValidationError as e:
            errors.update(e.message_dict)
    try:
        cleaned = _clean_attributes(attributes)
    except ValidationError as e:
        errors.update(e.message_dict)
        cleaned = []
    if not errors:
        others = Login.objects.exclude(pk=login.pk)
        if others.filter(login=login.login).exists():
            errors["login"] = [UNIQUE_MESSAGES["login_login_uniq"][1]()]
        if login.mac and others.filter(mac=login.mac).exists():
            errors["mac"] = [UNIQUE_MESSAGES["login_mac_uniq"][1]()]
        if login.ip and others.filter(ip=login.ip).exists():
            errors["ip"] = [UNIQUE_MESSAGES["login_ip_uniq"][1]()]
    if errors:
        raise ValidationError(errors)
    return cleaned



def _attributes_store(login: Login, attributes) -> None:
    LoginAttribute.objects.filter(login=login).delete()
    LoginAttribute.objects.bulk_create([
        LoginAttribute(tenant_id=login.tenant_id, login=login, attribute=a, op=op, value=v)
        for a, op, v in attributes])


def login_create(*, actor, customer, auth_type: str = Login.AuthType.PPPOE, login: str = "",
                 password: str = "", mac: str = "", pool: IpPool | None = None,
                 ip: str | None = None, ip_reserved: bool = False,
                 installation_address: Address | None = None, nases=(), attributes=(),
                 enabled: bool = True, subscription: Subscription | None = None,
                 notes: str = "") -> Login:
    """Add a login ("komputer") to ``customer``.

    Login and password are generated from the tenant's patterns when not typed; the IP is
    the pool's first free address unless typed. Locks the pool row while choosing, so two
    creations never pick the same address (the (tenant, ip) constraint is the last word).
    """
    nases = list(nases)
    row = Login(customer=customer, auth_type=auth_type, login=login.strip(),
                password=password, mac=mac, pool=pool, ip=ip or None, ip_reserved=ip_reserved,
                installation_address=installation_address
                or _default_installation_address(customer), enabled=enabled,
                subscription=subscription, notes=notes)
    try:
        with transaction.atomic():
            if not row.login:
                row.login = login_generate(pattern=setting_get("computer.login_pattern"),
                                           customer_number=customer.number)
            if not row.password:
                row.password = password_generate(
                    pattern=setting_get("computer.password_pattern"))
            if pool is not None and not row.ip:
                IpPool.objects.select_for_update().filter(pk=pool.pk).first()
                row.ip = _pool_first_free(pool)
            cleaned = _clean_login(row, nases=nases, attributes=attributes)
            row.save()
            row.nases.set(nases)
            _attributes_store(row, cleaned)
            login_snapshot_refresh(row)
            action_log(actor=staff_of(actor), customer=customer, kind="login.create",
                       message=N_("Login %(login)s added (%(type)s, IP %(ip)s)."), params={
                           "login": row.login, "type": Login.AuthType(row.auth_type).label,
                           "ip": row.ip or "-"})
    except IntegrityError as e:
        raise _unique_error(e) from None
    return row


LOGIN_FIELDS = ("login", "password", "auth_type", "mac", "pool", "ip", "ip_reserved",
                "installation_address", "subscription", "notes")


def login_update(*, actor, login: Login, nases=None, attributes=None, **fields) -> Login:
    """Change a login; a new pool without a typed IP gives the pool's first free address.

    ``nases`` and ``attributes`` (``(attribute, op, value)`` rows) replace the current ones
    when given. Locks the new pool while choosing the address.
    """
    unknown = set(fields) - set(LOGIN_FIELDS)
    if unknown:
        raise TypeError(f"login_update: unknown fields {sorted(unknown)}")
    logged = [f for f in LOGIN_FIELDS if f != "password"]
    before = {f: getattr(login, f) for f in LOGIN_FIELDS}
    before_nases = sorted(n.pk for n in login.nases.all())
    before_attributes = [(a.attribute, a.op, a.value) for a in login.attributes.all()]
    for name, value in fields.items():
        setattr(login, name, value)
    if "ip" in fields:
        login.ip = login.ip or None
    nases = list(nases) if nases is not None else list(login.nases.all())
    attributes = attributes if attributes is not None else before_attributes
    try:
        with transaction.atomic():
            if "pool" in fields and "ip" not in fields and login.pool != before["pool"]:
                login.ip = None
                if login.pool is not None:
                    IpPool.objects.select_for_update().filter(pk=login.pool.pk).first()
                    login.ip = _pool_first_free(login.pool)
            cleaned = _clean_login(login, nases=nases, attributes=attributes)
            changes = {f: [str(before[f] or ""), str(getattr(login, f) or "")] for f in logged
                       if before[f] != getattr(login, f)}
            if before["password"] != login.password:
                changes["password"] = ["***", "***"]
            if sorted(n.pk for n in nases) != before_nases:
                # Names, not ids: the log shows them without a query per entry.
                changes["nases"] = [sorted(str(n) for n in login.nases.model.objects.filter(
                    pk__in=before_nases)), sorted(str(n) for n in nases)]
            if cleaned != before_attributes:
                changes["attributes"] = [[" ".join(a) for a in before_attributes],
                                         [" ".join(a) for a in cleaned]]
            if not changes:
                return login
            login.save()
            login.nases.set(nases)
            if "attributes" in changes:
                _attributes_store(login, cleaned)
            before_snapshot = login.radius_snapshot
            login_snapshot_refresh(login)
            if login.radius_snapshot != before_snapshot:
                _reload_queue(login, actor=actor, previous=before_snapshot)
            action_log(actor=staff_of(actor), customer=login.customer, kind="login.update",
                       message=N_("Login %(login)s changed."), params={"login": login.login},
                       changes=changes)
    except IntegrityError as e:
        raise _unique_error(e) from None
    return login


def login_disable(*, actor, login: Login, reason: str = "") -> Login:
    """Stop authorizing the login; FreeRADIUS rejects it with ``reason`` as Reply-Message."""
    reason = reason.strip()[:200]
    with transaction.atomic():
        Login.objects.filter(pk=login.pk).update(enabled=False, disabled_reason=reason)
        login.enabled, login.disabled_reason = False, reason
        _reload_queue(login, actor=actor, disconnect=True)
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.disable",
                   message=N_("Login %(login)s disabled."), params={"login": login.login},
                   more=[reason])
    return login


def login_enable(*, actor, login: Login) -> Login:
    with transaction.atomic():
        Login.objects.filter(pk=login.pk).update(enabled=True, disabled_reason="")
        login.enabled, login.disabled_reason = True, ""
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.enable",
                   message=N_("Login %(login)s enabled."), params={"login": login.login})
    return login


# --------------------------------------------------------------------------- forced reload
#
# A reload is one ``LoginReload`` row per open session, written in the transaction that
# changed the login and handed to a worker after commit (``radius.reloads``: a Celery
# task with Redis, else a thread of this process — the same function and the same
# retries either way). No caller ever waits on a NAS.

def _reload_queue(login: Login, *, actor, disconnect: bool = False,
                  previous: dict | None = None) -> None:
    """After commit, push the login's new settings to the NAS of its open session.

    ``previous``: the snapshot the login had before the change, so the reload can tell
    which attributes the session loses (``attributes.reply_removes``)."""
    _reload_queue_many([login.pk], actor=actor, disconnect=disconnect,
                       previous=None if previous is None else {login.pk: previous})


def _reload_queue_many(login_ids, *, actor=None, disconnect: bool = False,
                       previous: dict[int, dict] | None = None, periodic: bool = False,
                       spread_seconds: int = 0) -> list[LoginReload]:
    """``_reload_queue`` for many logins (``previous`` by login id): a row per open
    session, one query for the sessions and one INSERT; sent after commit.

    ``periodic`` (the regular refresh): sessions on a generic NAS, which can only be
    disconnected, are left alone; the sends are spread over ``spread_seconds``."""
    if not login_ids:
        return []
    sessions = RadiusSession.objects.filter(login_id__in=login_ids, stopped_at__isnull=True,
                                            nas__isnull=False)
    if periodic:
        sessions = sessions.exclude(nas__kind=NasKind.GENERIC)
    sessions = sorted(sessions.values_list("login_id", "pk"))
    if not sessions:
        return []
    previous, now = previous or {}, timezone.now()
    actor, tenant_id = staff_of(actor), current_tenant().pk
    rows = LoginReload.objects.bulk_create([
        LoginReload(tenant_id=tenant_id, login_id=login_id, session_id=session_id, actor=actor,
                    disconnect=disconnect, periodic=periodic,
                    previous=previous.get(login_id),
                    next_try_at=now + timedelta(seconds=n * spread_seconds // len(sessions)))
        for n, (login_id, session_id) in enumerate(sessions)])
    if not periodic:
        Login.objects.filter(pk__in={row.login_id for row in rows}).update(
            reload_status=Login.ReloadStatus.QUEUED, reload_at=now, reload_detail="")
    sends = [(row.pk, (row.next_try_at - now).total_seconds()) for row in rows]
    transaction.on_commit(lambda: reloads.dispatch(tenant_id, sends))
    return rows


def login_reload(*, actor, login: Login, disconnect: bool = False) -> str:
    """"Wymuś przeładowanie ustawień": queue the push of what the login sends now to its
    open sessions (``login_reload_attempt`` sends it after commit). Returns
    ``Login.ReloadStatus.QUEUED``, or ``NO_SESSION`` (recorded on the login at once).
    """
    with transaction.atomic():
        login = Login.objects.select_related("customer").get(pk=login.pk)
        rows = _reload_queue_many([login.pk], actor=actor, disconnect=disconnect)
        if not rows:
            Login.objects.filter(pk=login.pk).update(
                reload_status=Login.ReloadStatus.NO_SESSION, reload_at=timezone.now(),
                reload_detail="")
            action_log(actor=staff_of(actor), customer=login.customer, kind="login.reload",
                       message=N_("Settings of login %(login)s not reloaded: no active "
                                  "session."), params={"login": login.login})
            return Login.ReloadStatus.NO_SESSION
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.reload",
                   message=N_("Reload of login %(login)s queued (sessions: %(count)s)."),
                   params={"login": login.login, "count": len(rows)})
    return Login.ReloadStatus.QUEUED


def _retry_delays() -> list[float]:
    return [float(d) for d in settings.RADIUS_COA_RETRY_DELAYS]


def login_reload_attempt(*, reload_id: int) -> float | None:
    """Send one queued reload once (the workers' function, ``radius.reloads``): a
    CoA-Request with the reply attributes, or a Disconnect-Request (the subscriber
    reconnects and is authorized afresh) when asked, for a generic NAS, when the login's
    address is no longer the session's, or when the session would lose an attribute (a
    CoA sets values but cannot take one away: ``attributes.reply_removes``).

    The network is used outside any transaction. A NAS that does not answer within
    ``RADIUS_COA_TIMEOUT`` is tried again: returns the seconds to wait before the next
    try (``RADIUS_COA_RETRY_DELAYS``). Otherwise records the outcome — ACK, NAK with its
    Error-Cause, timed out after N tries, the session gone — on the row, on the login
    and in the action log (a periodic ACK only on the login), and returns None.
    """
    reload = (LoginReload.objects.select_related("login", "session__nas")
              .filter(pk=reload_id, status=LoginReload.Status.QUEUED).first())
    if reload is None:
        return None  # done already (a task delivered twice), or its login deleted
    login, session = reload.login, reload.session
    if session is None or session.stopped_at is not None or session.nas is None:
        _reload_finish(reload, LoginReload.Status.GONE,
                       _("the session ended before the reload was sent"))
        return None
    nas = session.nas
    cut = (reload.disconnect or nas.kind == NasKind.GENERIC
           or (session.framed_ip or None) != (login.ip or None)
           or (reload.previous is not None
               and bool(reply_removes(reload.previous, login.radius_snapshot, nas.kind))))
    result = coa.reload_send(
        nas_ip=nas.ip, port=nas.coa_port, secret=nas.secret, disconnect=cut,
        session={"User-Name": session.username, "Acct-Session-Id": session.acct_session_id,
                 "Framed-IP-Address": session.framed_ip},
        reply=reply_for_nas(login.radius_snapshot, nas.kind),
        timeout=settings.RADIUS_COA_TIMEOUT, retries=1)
    tries, delays = reload.tries + 1, _retry_delays()
    kind = "Disconnect" if cut else "CoA"
    if result.status == "timeout" and tries <= len(delays):
        LoginReload.objects.filter(pk=reload.pk).update(
            tries=tries, next_try_at=timezone.now() + timedelta(seconds=delays[tries - 1]),
            detail=_("%(kind)s %(nas)s: no answer yet (try %(tries)s)")
            % {"kind": kind, "nas": nas.name, "tries": tries})
        return delays[tries - 1]
    if result.status == "timeout":
        detail = _("%(kind)s %(nas)s: the NAS did not answer (%(tries)s tries)") % {
            "kind": kind, "nas": nas.name, "tries": tries}
    else:
        detail = f"{kind} {nas.name}: {Login.ReloadStatus(result.status).label}"
        if result.error_cause:
            detail += f" ({result.error_cause})"
    if result.skipped:
        detail += " " + _("not sent: %(names)s") % {"names": ", ".join(result.skipped)}
    reload.tries = tries
    _reload_finish(reload, result.status, detail)
    return None


def _reload_finish(reload: LoginReload, status: str, detail: str) -> None:
    """Record a reload's outcome on its row, on the login (the card's "last reload")
    and in the action log."""
    detail, now = detail[:250], timezone.now()
    with transaction.atomic():
        done = LoginReload.objects.filter(pk=reload.pk, status=LoginReload.Status.QUEUED).update(
            status=status, tries=reload.tries, detail=detail, finished_at=now,
            next_try_at=None)
        if not done:
            return  # another worker recorded it first
        login_status = (Login.ReloadStatus.NO_SESSION if status == LoginReload.Status.GONE
                        else status)
        Login.objects.filter(pk=reload.login_id).update(
            reload_status=login_status, reload_at=now, reload_detail=detail)
        if reload.periodic and status in (LoginReload.Status.ACK, LoginReload.Status.GONE):
            return
        login = Login.objects.select_related("customer").get(pk=reload.login_id)
        action_log(actor=reload.actor, customer=login.customer, kind="login.reload",
                   message=N_("Settings of login %(login)s reloaded: %(detail)s"),
                   params={"login": login.login, "detail": detail})


def login_reloads_overdue(*, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Queued reloads whose try is long overdue (their worker died with its process):
    the minute task hands them to a worker again."""
    return list(LoginReload.objects.filter(
        status=LoginReload.Status.QUEUED,
        next_try_at__lt=timezone.now() - older_than).values_list("pk", flat=True))
