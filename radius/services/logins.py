"""Logins ("komputery"): create, change, disable, and the forced reload (CoA)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actionlog import action_log, staff_of
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from core.validation import field_clean as _field
from customers.models import Address
from finance.models import Subscription

from .. import coa, validators
from ..attributes import reply_for_nas, reply_removes
from ..models import (
    IpPool,
    Login,
    LoginAttribute,
    NasKind,
    RadiusSession,
)
from ..patterns import login_generate, password_generate
from .base import UNIQUE_MESSAGES, _own, _unique_error, login_snapshot_refresh
from .network import _check_ip_in_pool, _pool_first_free

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
                _check_ip_in_pool(login.ip, login.pool)
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
                       message=_("Login %(login)s added (%(type)s, IP %(ip)s).") % {
                           "login": row.login, "type": row.get_auth_type_display(),
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
                changes["nases"] = [before_nases, sorted(n.pk for n in nases)]
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
                       message=_("Login %(login)s changed.") % {"login": login.login},
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
                   message=_("Login %(login)s disabled.") % {"login": login.login}
                   + (f" {reason}" if reason else ""))
    return login


def login_enable(*, actor, login: Login) -> Login:
    with transaction.atomic():
        Login.objects.filter(pk=login.pk).update(enabled=True, disabled_reason="")
        login.enabled, login.disabled_reason = True, ""
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.enable",
                   message=_("Login %(login)s enabled.") % {"login": login.login})
    return login


# --------------------------------------------------------------------------- forced reload

def _reload_queue(login: Login, *, actor, disconnect: bool = False,
                  previous: dict | None = None) -> None:
    """After commit, push the login's new settings to the NAS of its open session.

    ``previous``: the snapshot the login had before the change, so the reload can tell
    which attributes the session loses (``attributes.reply_removes``)."""
    _reload_queue_many([login.pk], actor=actor, disconnect=disconnect,
                       previous=None if previous is None else {login.pk: previous})


def _reload_queue_many(login_ids, *, actor=None, disconnect: bool = False,
                       previous: dict[int, dict] | None = None) -> None:
    """``_reload_queue`` for many logins (``previous`` by login id): one query for those
    online."""
    if not login_ids:
        return
    from ..tasks import login_reload as login_reload_task

    online = sorted(set(RadiusSession.objects.filter(
        login_id__in=login_ids, stopped_at__isnull=True).values_list("login_id", flat=True)))
    tenant_id, actor_id = current_tenant().pk, getattr(staff_of(actor), "pk", None)
    previous = previous or {}
    for login_id in online:
        transaction.on_commit(lambda login_id=login_id: login_reload_task.delay(
            tenant_id, login_id, disconnect=disconnect, actor_id=actor_id,
            previous=previous.get(login_id)))


def login_reload(*, actor, login: Login, disconnect: bool = False,
                 periodic: bool = False, previous: dict | None = None) -> str:
    """"Wymuś przeładowanie ustawień": send what the login sends now to its open sessions.

    A CoA-Request with the reply attributes; a Disconnect-Request (the subscriber
    reconnects and is authorized afresh) when asked, for a generic NAS, or when the
    login's address is no longer the session's. The network is used outside any
    transaction; then the outcome (the worst of the sessions') is stored on the login and
    in the action log. Returns the ``Login.ReloadStatus``.

    ``previous``: the snapshot before the change that queued this reload. A CoA sets
    values but cannot take an attribute away, so a session that would lose one (a block
    lifted: ``Mikrotik-Address-List = blocked`` gone; a block: the speed gone) is
    disconnected instead, per NAS type (``attributes.reply_removes``), and comes back with
    exactly the new attributes.

    ``periodic`` (the regular refresh): sessions on a generic NAS, which can only be
    disconnected, are left alone, and an ACK is not written to the action log.
    """
    login = Login.objects.select_related("customer").get(pk=login.pk)
    sessions = list(RadiusSession.objects.filter(login=login, stopped_at__isnull=True,
                                           nas__isnull=False).select_related("nas"))
    status, details = Login.ReloadStatus.NO_SESSION, []
    rank = {Login.ReloadStatus.ACK: 1, Login.ReloadStatus.NAK: 2, Login.ReloadStatus.TIMEOUT: 3}
    for session in sessions:
        nas = session.nas
        if periodic and nas.kind == NasKind.GENERIC:
            continue
        cut = (disconnect or nas.kind == NasKind.GENERIC
               or (session.framed_ip or None) != (login.ip or None)
               or (previous is not None
                   and bool(reply_removes(previous, login.radius_snapshot, nas.kind))))
        result = coa.reload_send(
            nas_ip=nas.ip, port=nas.coa_port, secret=nas.secret, disconnect=cut,
            session={"User-Name": session.username,
                     "Acct-Session-Id": session.acct_session_id,
                     "Framed-IP-Address": session.framed_ip},
            reply=reply_for_nas(login.radius_snapshot, nas.kind))
        if status == Login.ReloadStatus.NO_SESSION or rank[result.status] > rank[status]:
            status = result.status
        kind = "Disconnect" if cut else "CoA"
        detail = f"{kind} {nas.name}: {Login.ReloadStatus(result.status).label}"
        if result.error_cause:
            detail += f" ({result.error_cause})"
        if result.skipped:
            detail += " " + _("not sent: %(names)s") % {"names": ", ".join(result.skipped)}
        details.append(detail)
    detail = "; ".join(details)[:250] or Login.ReloadStatus(status).label
    with transaction.atomic():
        Login.objects.filter(pk=login.pk).update(reload_status=status, reload_at=timezone.now(),
                                                 reload_detail=detail)
        if periodic and status in (Login.ReloadStatus.ACK, Login.ReloadStatus.NO_SESSION):
            return status
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.reload",
                   message=_("Settings of login %(login)s reloaded: %(detail)s")
                   % {"login": login.login, "detail": detail})
    return status


