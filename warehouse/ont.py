"""Remote configuration of customers' ONTs on the tenant's OLTs, and the OLTs themselves.

Every action — register, set profile and VLAN, reset, read status, remove — is a CLI
dialogue over SSH (``warehouse.olt.ssh``; status over SNMP first where the vendor
publishes OIDs) and is recorded as an ``OntAction`` — what was sent, what came back, how
it ended — and in the action log on the item's customer. The dialogue never runs inside
a database transaction: each service checks and locks what it must in a short
transaction, talks to the OLT, then records in another.

Nothing is half-applied silently: when a later command of an action is refused, times
out or the connection breaks, the action is recorded as failed with the commands the
OLT had accepted, and where the vendor has an undo (``ont delete``, ``no onu``) it is
tried at once over a new session and recorded too (as a "remove" action).

Registration reserves the ONT's place (OLT, port, ONT id) on the item first, in a
transaction — the database's unique constraint makes two registrations of one place
impossible, and the second is refused before it connects — and gives the place back when
the OLT refused and nothing is left on it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from core import netguard
from core.actionlog import action_log, diff_fields, staff_of

from .models import Olt, OntAction, OntProfile, Product, StockDocument, StockItem
from .olt import VENDORS, Profile, Reading, Step, Vendor
from .olt import snmp as olt_snmp
from .olt import ssh as olt_ssh
from .olt.address import host_addresses, host_clean
from .olt.base import Place, profile_name_clean, serial_clean, vlan_clean

Action = OntAction.Action
Outcome = OntAction.Outcome
MESSAGE_MAX = 500
SECRET_MAX = 255
OLT_FIELDS = ("name", "vendor", "host", "ssh_port", "username", "snmp_port", "active")
SECRETS = ("password", "enable_password", "snmp_community")


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def _timeouts() -> dict:
    return {"connect_timeout": _setting("WAREHOUSE_OLT_CONNECT_TIMEOUT", 10),
            "command_timeout": _setting("WAREHOUSE_OLT_COMMAND_TIMEOUT", 30)}


# --------------------------------------------------------------------------- OLTs

def _text(value, *, max_length: int, empty: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError(empty)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)s characters.") % {"n": max_length})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationError(_("Control characters (a line break, a tab) are not allowed."))
    return text


def _port(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("A port is a number from 1 to 65535."))
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValidationError(_("A port is a number from 1 to 65535."))
    return int(text)


def _secret(value, *, required: bool) -> str:
    secret = value if isinstance(value, str) else ""
    if not secret and required:
        raise ValidationError(_("Give the password."))
    if len(secret) > SECRET_MAX:
        raise ValidationError(_("At most %(n)s characters.") % {"n": SECRET_MAX})
    # The enable password is typed at the CLI: a line break would end it and type the rest.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in secret):
        raise ValidationError(_("Control characters (a line break, a tab) are not allowed."))
    return secret


def _username(value) -> str:
    name = _text(value, max_length=100, empty=_("Give the user name."))
    if any(ch.isspace() for ch in name):
        raise ValidationError(_("A user name has no spaces."))
    return name


def _vendor(value) -> str:
    if value not in VENDORS:
        raise ValidationError(_("Choose the OLT's vendor: Huawei, ZTE or Dasan."))
    return value


def _host(value) -> str:
    host = host_clean(value)
    host_addresses(host)  # resolves, and refuses loopback/link-local unless allowed
    return host


def _olt_values(values: dict) -> dict:
    checks = {
        "name": lambda v: _text(v, max_length=100, empty=_("Give the OLT a name.")),
        "vendor": _vendor, "host": _host, "ssh_port": _port, "snmp_port": _port,
        "username": _username,
        "password": lambda v: _secret(v, required=True),
        "enable_password": lambda v: _secret(v, required=False),
        "snmp_community": lambda v: _secret(v, required=False),
        "active": bool,
    }
    errors, clean = {}, {}
    for key, value in values.items():
        try:
            clean[key] = checks[key](value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def _olt_name_free(name: str, *, exclude_pk=None) -> None:
    if Olt.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [_("An OLT of this name exists.")]})


def olt_create(*, actor, name: str, vendor: str, host: str, username: str, password: str,
               ssh_port=22, enable_password: str = "", snmp_port=161,
               snmp_community: str = "", active: bool = True) -> Olt:
    """An OLT of the tenant. Its address is resolved and every address checked (no
    loopback or link-local unless ``PEER_ALLOWED_NETWORKS`` allows it); the
    secrets are kept encrypted and never written to the action log."""
    clean = _olt_values({"name": name, "vendor": vendor, "host": host, "ssh_port": ssh_port,
                         "username": username, "password": password,
                         "enable_password": enable_password, "snmp_port": snmp_port,
                         "snmp_community": snmp_community, "active": active})
    with transaction.atomic():
        _olt_name_free(clean["name"])
        try:
            with transaction.atomic():
                olt = Olt.objects.create(**clean)
        except IntegrityError:
            raise ValidationError({"name": [_("An OLT of this name exists.")]}) from None
        action_log(actor=actor, kind="olt.add", message=N_("OLT %(o)s added"),
                   params={"o": olt.name},
                   changes={k: [None, getattr(olt, k)] for k in OLT_FIELDS if k != "name"})
    return olt


def olt_update(*, actor, olt: Olt, name: str | None = None, vendor: str | None = None,
               host: str | None = None, ssh_port=None, username: str | None = None,
               password: str | None = None, enable_password: str | None = None,
               snmp_port=None, snmp_community: str | None = None, active: bool | None = None,
               forget_host_key: bool = False) -> Olt:
    """Change an OLT; a value left None stays (a secret also when empty, except the
    enable password and the community, which may be cleared with ""). A new address or
    SSH port forgets the kept host key and needs the password typed again (it is never
    sent to a new address unasked); ``forget_host_key`` forgets it for a replaced OLT.
    Locks the OLT."""
    given = {"name": name, "vendor": vendor, "host": host, "ssh_port": ssh_port,
             "username": username, "password": password or None,
             "enable_password": enable_password, "snmp_port": snmp_port,
             "snmp_community": snmp_community, "active": active}
    clean = _olt_values({k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        olt = Olt.objects.select_for_update().get(pk=olt.pk)
        if "name" in clean:
            _olt_name_free(clean["name"], exclude_pk=olt.pk)
        before = {k: getattr(olt, k) for k in (*OLT_FIELDS, *SECRETS, "host_key")}
        for key, value in clean.items():
            setattr(olt, key, value)
        moved = olt.host != before["host"] or olt.ssh_port != before["ssh_port"]
        if moved and "password" not in clean:
            raise ValidationError({"password": [_(
                "The OLT's address changed: type its password again.")]})
        if moved or forget_host_key:
            olt.host_key = ""
        changes = diff_fields(olt, before, OLT_FIELDS)
        for key in SECRETS:
            if before[key] != getattr(olt, key):
                changes[key] = ["•••", "•••"]
        if before["host_key"] and not olt.host_key:
            changes["host_key"] = ["•••", ""]
        if changes:
            olt.save()
            action_log(actor=actor, kind="olt.change", message=N_("OLT %(o)s changed"),
                       params={"o": olt.name}, changes=changes)
    return olt


def ont_profile_set(*, actor, olt: Olt, tariff=None, line_profile: str,
                    service_profile: str, vlan: int) -> OntProfile:
    """What an ONT of a customer with ``tariff`` gets on ``olt`` (no tariff: the OLT's
    default), created or changed; the names as the OLT knows them (they cross into its
    CLI: letters, digits, ``_ . -``). Locks the OLT."""
    values = {}
    errors = {}
    for key, clean, value in (("line_profile", profile_name_clean, line_profile),
                              ("service_profile", profile_name_clean, service_profile),
                              ("vlan", vlan_clean, vlan)):
        try:
            values[key] = clean(value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    if tariff is not None:
        from finance.models import Tariff

        tariff = Tariff.objects.get(pk=tariff.pk)  # scoped: another tenant's is not found
    with transaction.atomic():
        olt = Olt.objects.select_for_update().get(pk=olt.pk)
        row = OntProfile.objects.filter(olt=olt, tariff=tariff).first()
        before = {k: getattr(row, k) for k in values} if row else {}
        if row is None:
            row = OntProfile(olt=olt, tariff=tariff)
        for key, value in values.items():
            setattr(row, key, value)
        changes = diff_fields(row, before, values)
        if changes:
            row.save()
            action_log(actor=actor, kind="olt.change",
                       message=N_("OLT %(o)s: ONT profile for %(t)s set"),
                       params={"o": olt.name,
                               "t": _tariff_label(tariff)},
                       changes=changes)
    return row


def _tariff_label(tariff):
    """A profile's tariff as the action log names it (the OLT's default: any tariff)."""
    return tariff.name if tariff else gettext_lazy("any tariff")


def ont_profile_delete(*, actor, profile: OntProfile) -> None:
    """Delete an OLT's ONT profile (the tenant's own: another tenant's is
    ``OntProfile.DoesNotExist``, as is one deleted meanwhile). A customer with that tariff
    then gets the OLT's default at the next registration or profile apply
    (``ont_profile_for``), or a refusal saying the OLT has none; what the OLT gave the
    ONTs registered stays. Locks the OLT, as ``ont_profile_set`` does."""
    olt_id = OntProfile.objects.values_list("olt_id", flat=True).get(pk=profile.pk)
    with transaction.atomic():
        olt = Olt.objects.select_for_update().get(pk=olt_id)
        profile = OntProfile.objects.select_related("tariff").get(pk=profile.pk)
        tariff = profile.tariff
        changes = {key: [getattr(profile, key), None]
                   for key in ("line_profile", "service_profile", "vlan")}
        profile.delete()
        action_log(actor=actor, kind="olt.change",
                   message=N_("OLT %(o)s: ONT profile for %(t)s deleted"),
                   params={"o": olt.name,
                           "t": _tariff_label(tariff)},
                   changes=changes)


def olt_get(*, pk) -> Olt:
    """The active tenant's OLT (another tenant's: ``Olt.DoesNotExist``, a 404)."""
    return Olt.objects.get(pk=pk)


def ont_action_list(*, item: StockItem):
    """The item's ONT actions, newest first (who, when, what, result)."""
    return (OntAction.objects.filter(item=item).select_related("olt", "created_by")
            .order_by("-created_at", "-id"))


# --------------------------------------------------------------------------- ONT checks

def _olt(olt: Olt) -> Olt:
    olt = Olt.objects.get(pk=olt.pk)  # scoped: another tenant's OLT is not found
    if not olt.active:
        raise ValidationError(_("The OLT %(o)s is not active.") % {"o": olt.name})
    return olt


def _ont_item(item: StockItem) -> StockItem:
    item = StockItem.objects.select_related("product", "customer", "olt").get(pk=item.pk)
    if item.product.kind != Product.Kind.ONT:
        raise ValidationError(_("%(s)s is a %(k)s, not an ONT.")
                              % {"s": item.serial, "k": item.product.get_kind_display()})
    if not item.gpon_serial:
        raise ValidationError(_("%(s)s has no GPON serial: the OLT registers an ONT by it.")
                              % {"s": item.serial})
    serial_clean(item.gpon_serial)
    return item


def _item_locked(pk) -> StockItem:
    # Only the item's row is locked; its customer and OLT are read along (or absent).
    return (StockItem.objects.select_for_update(of=("self",))
            .select_related("customer", "olt").get(pk=pk))


def _registered(item: StockItem) -> tuple[StockItem, Olt, Vendor, Place]:
    item = _ont_item(item)
    if item.olt_id is None or item.ont_id is None:
        raise ValidationError(_("%(s)s is not registered on an OLT.") % {"s": item.serial})
    olt = _olt(item.olt)
    vendor = VENDORS[olt.vendor]
    return item, olt, vendor, vendor.place(item.olt_port, item.ont_id)


def _tariff_of(customer):
    """The tariff of the customer's subscription running today (the latest started) —
    not an equipment lease a WZ put on (its tariff is the device's rent, not the service
    the ONT carries)."""
    from finance.models import Subscription

    if customer is None:
        return None
    today = timezone.localdate()
    leases = StockDocument.objects.filter(customer=customer, subscription__isnull=False)
    subscription = (Subscription.objects.filter(customer=customer, start_date__lte=today)
                    .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
                    .exclude(pk__in=leases.values("subscription_id"))
                    .select_related("tariff").order_by("-start_date", "-id").first())
    return subscription.tariff if subscription else None


def ont_profile_for(*, olt: Olt, customer) -> Profile:
    """The line and service profile and the VLAN the customer's ONT gets on ``olt``: the
    profile for the tariff of the customer's running subscription, else the OLT's
    default, else a clear refusal."""
    tariff = _tariff_of(customer)
    profiles = OntProfile.objects.filter(olt=olt)
    row = (profiles.filter(tariff=tariff).first() if tariff else None) \
        or profiles.filter(tariff__isnull=True).first()
    if row is None:
        if tariff is not None:
            raise ValidationError(_("The OLT %(o)s has no ONT profile for the tariff %(t)s "
                                    "and no default one: add one.")
                                  % {"o": olt.name, "t": tariff.name})
        raise ValidationError(_("The OLT %(o)s has no default ONT profile (the customer has "
                                "no running subscription): add one.") % {"o": olt.name})
    return Profile(row.line_profile, row.service_profile, row.vlan)


# --------------------------------------------------------------------------- the dialogue

def olt_address(olt: Olt) -> str | None:
    """The address to connect to ``olt`` at: its name resolved now, every address checked
    (``core.netguard``: one the platform refuses is a ``ValidationError`` naming its rule,
    as when the OLT was saved). None when the name does not resolve: the caller says so in
    the words of an OLT that does not answer (``olt_ssh.no_service``) — which names the
    platform's resolver knows is no tenant's to probe. Talks to the resolver."""
    try:
        return host_addresses(olt.host)[0]
    except ValidationError as exc:
        if exc.code == netguard.UNRESOLVED:
            return None
        raise


def _snmp_no_answer() -> str:
    # SNMP is UDP: a closed port, a filtered one, a wrong community and an unreachable
    # network all look alike, and are told alike (as for SSH: no port scanner).
    return _("The OLT did not answer SNMP within %(s)s s.") % {
        "s": f"{_setting('WAREHOUSE_OLT_SNMP_TIMEOUT', 2):g}"}


def _run(olt: Olt, vendor: Vendor, steps: list[Step], *,
         host_key: str | None = None) -> olt_ssh.RunResult:
    try:
        address = olt_address(olt)
    except ValidationError as exc:
        return olt_ssh.RunResult(olt_ssh.ERROR, " ".join(exc.messages))
    if address is None:
        return olt_ssh.no_service(host=olt.host, port=olt.ssh_port)
    return olt_ssh.run(vendor=vendor, host=olt.host, address=address, port=olt.ssh_port,
                       username=olt.username, password=olt.password,
                       enable_password=olt.enable_password,
                       host_key=olt.host_key if host_key is None else host_key,
                       steps=steps, **_timeouts())


def _commands(steps) -> str:
    return ", ".join(f"“{s.command}”" for s in steps)


def _cut(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX - 1] + "…"


def _record(*, actor, item: StockItem, olt: Olt, action: str, outcome: str, commands: str,
            answer: str, message: str, reading: Reading | None = None,
            new_host_key: str = "") -> OntAction:
    """One ``OntAction`` and its action-log entry on the item's customer. Call inside
    the recording transaction."""
    if new_host_key:
        name = olt.host if olt.ssh_port == 22 else f"[{olt.host}]:{olt.ssh_port}"
        Olt.objects.filter(pk=olt.pk, host_key="").update(host_key=f"{name} {new_host_key}")
    record = OntAction.objects.create(
        item=item, olt=olt, action=action, commands=commands, answer=answer,
        outcome=outcome, message=_cut(message),
        reading=reading.as_json() if reading is not None else None,
        created_by=staff_of(actor))
    action_log(actor=actor, kind=f"ont.{action}",
               message=N_("ONT %(s)s on the OLT %(o)s: %(a)s — %(r)s"),
               params={"s": item.serial, "o": olt.name, "a": Action(action).label,
                       "r": Outcome(outcome).label},
               customer=item.customer, more=[_cut(message)] if message else None)
    return record


def _failure_text(result: olt_ssh.RunResult) -> str:
    """What a failed dialogue says, for its ``OntAction``, the action log and the page.
    No more detail than "test connection" gives: the history is read by whoever sees ONT
    actions (operators, accountants), and who may aim an OLT at any address could read
    there what the check keeps to itself — so ``olt_ssh``'s words as they are, one text
    for every failure before an SSH server answered."""
    if result.outcome == Outcome.FAILED and result.failed_step is not None:
        text = _("The OLT refused “%(c)s”: %(e)s") % {"c": result.failed_step.command,
                                                      "e": result.message}
    else:
        text = result.message
    if not any(e.step.changes for e in result.exchanges) and not (
            result.failed_step is not None and result.failed_step.changes):
        return text
    applied = (_("Applied before it: %(c)s.") % {"c": _commands(result.applied)}
               if result.applied else _("Nothing was applied before it."))
    return f"{text} {applied}"


# --------------------------------------------------------------------------- the actions

def ont_register(*, actor, item: StockItem, olt: Olt, port: str, ont_id: int) -> OntAction:
    """Register the customer's ONT (by its GPON serial) on ``olt`` at ``port``
    ("frame/slot/port") as ONT ``ont_id``, with the line and service profile and the VLAN
    of the customer's tariff (``ont_profile_for``). Everything is checked before any
    connection. Locks the item while it reserves the place (a place taken, or the same
    place asked twice at once, is refused there); a failure takes back what the OLT
    accepted (recorded as a "remove" action) and gives the place back when nothing is
    left on the OLT. Talks to the network: never call it inside a transaction."""
    olt = _olt(olt)
    vendor = VENDORS[olt.vendor]
    place = vendor.place(port, ont_id)
    item = _ont_item(item)
    if item.state != StockItem.State.ISSUED or item.customer_id is None:
        raise ValidationError(_("%(s)s is not at a customer: issue it to the customer before "
                                "registering it.") % {"s": item.serial})
    profile = ont_profile_for(olt=olt, customer=item.customer)
    steps = vendor.register(place, serial_clean(item.gpon_serial), profile,
                            onu_type=item.product.model)
    _place_reserve(item=item, olt=olt, place=place)

    result = _run(olt, vendor, steps)
    undo = None
    if result.outcome != Outcome.OK:
        uncertain = ([result.failed_step] if result.outcome != Outcome.FAILED
                     and result.failed_step is not None and result.failed_step.changes else [])
        undo_steps = vendor.undo([*result.applied, *uncertain])
        if undo_steps:
            # the key the OLT just showed, if none was kept: the same OLT must answer
            undo = _run(olt, vendor, undo_steps,
                        host_key=olt.host_key or result.new_host_key)

    with transaction.atomic():
        item = _item_locked(item.pk)
        if result.outcome == Outcome.OK:
            message = _("Registered at %(p)s as ONT %(i)s: line profile %(l)s, service "
                        "profile %(s)s, VLAN %(v)s.") % {
                "p": place.port_text, "i": place.ont_id, "l": profile.line,
                "s": profile.service, "v": profile.vlan}
        else:
            message = f"{_failure_text(result)} {_undo_text(undo)}"
        record = _record(actor=actor, item=item, olt=olt, action=Action.REGISTER,
                         outcome=result.outcome, commands=result.commands,
                         answer=result.answer, message=message,
                         new_host_key=result.new_host_key)
        if undo is not None:
            _record(actor=actor, item=item, olt=olt, action=Action.REMOVE,
                    outcome=undo.outcome, commands=undo.commands, answer=undo.answer,
                    message=" ".join(filter(None, [
                        _("Taking back the failed registration."), undo.message])))
        if result.outcome != Outcome.OK and (undo is None or undo.outcome == Outcome.OK):
            _place_release(item)
    return record


def _undo_text(undo: olt_ssh.RunResult | None) -> str:
    if undo is None:
        return _("Nothing to take back.")
    if undo.outcome == Outcome.OK:
        return _("Taken back: %(c)s.") % {
            "c": _commands(e.step for e in undo.exchanges if e.step.changes)}
    return _("Taking it back failed too (%(e)s): check the ONT on the OLT and remove it.") \
        % {"e": undo.message}


def _place_reserve(*, item: StockItem, olt: Olt, place: Place) -> None:
    taken_message = _("ONT %(i)s on port %(p)s of the OLT %(o)s is taken by %(s)s.")
    with transaction.atomic():
        item = _item_locked(item.pk)
        if item.state != StockItem.State.ISSUED or item.customer_id is None:
            # returned (ZW) since it was checked: nothing goes to the OLT
            raise ValidationError(_("%(s)s is no longer at a customer.") % {"s": item.serial})
        if item.olt_id is not None:
            raise ValidationError(_("%(s)s is registered on the OLT %(o)s (%(p)s, ONT %(i)s): "
                                    "remove it there first.") % {
                "s": item.serial, "o": item.olt.name, "p": item.olt_port, "i": item.ont_id})
        taken = (StockItem.objects.filter(olt=olt, olt_port=place.port_text,
                                          ont_id=place.ont_id).exclude(pk=item.pk).first())
        if taken is not None:
            raise ValidationError(taken_message % {"i": place.ont_id, "p": place.port_text,
                                                   "o": olt.name, "s": taken.serial})
        item.olt, item.olt_port, item.ont_id = olt, place.port_text, place.ont_id
        try:
            with transaction.atomic():
                item.save(update_fields=["olt", "olt_port", "ont_id"])
        except IntegrityError:  # the same place reserved at this very moment
            raise ValidationError(taken_message % {"i": place.ont_id, "p": place.port_text,
                                                   "o": olt.name, "s": _("another ONT")}) \
                from None


def _place_release(item: StockItem) -> None:
    item.olt, item.olt_port, item.ont_id = None, "", None
    item.save(update_fields=["olt", "olt_port", "ont_id"])


def _simple(*, actor, item, action: str, build, on_ok=None) -> OntAction:
    """An action of one dialogue on a registered ONT: ``build(vendor, place, item)``
    gives the steps and the message of success."""
    item, olt, vendor, place = _registered(item)
    steps, ok_message = build(vendor, place, item)
    result = _run(olt, vendor, steps)
    with transaction.atomic():
        item = _item_locked(item.pk)
        if result.outcome == Outcome.OK:
            message = ok_message
            if on_ok is not None:
                on_ok(item)
        else:
            message = _failure_text(result)
        return _record(actor=actor, item=item, olt=olt, action=action, outcome=result.outcome,
                       commands=result.commands, answer=result.answer, message=message,
                       new_host_key=result.new_host_key)


def ont_profile_apply(*, actor, item: StockItem) -> OntAction:
    """Give the registered ONT the line and service profile and the VLAN of its
    customer's tariff again (after a change of tariff). The OLT's previous profile is not
    known here, so a failure after some commands is recorded with them (nothing is taken
    back): apply again when the cause is fixed. Talks to the network."""
    def build(vendor, place, item):
        profile = ont_profile_for(olt=item.olt, customer=item.customer)
        return vendor.profile(place, profile), _(
            "Line profile %(l)s, service profile %(s)s, VLAN %(v)s set.") % {
            "l": profile.line, "s": profile.service, "v": profile.vlan}

    return _simple(actor=actor, item=item, action=Action.PROFILE, build=build)


def ont_reset(*, actor, item: StockItem) -> OntAction:
    """Restart the registered ONT from the OLT. Talks to the network."""
    return _simple(actor=actor, item=item, action=Action.RESET,
                   build=lambda vendor, place, item: (vendor.reset(place),
                                                      _("The OLT restarts the ONT.")))


def ont_remove(*, actor, item: StockItem) -> OntAction:
    """Remove the registered ONT from its OLT (its service ports first, where the vendor
    keeps them apart; an ONT the OLT no longer has counts as removed); the item's place is
    cleared once the OLT confirmed. Talks to the network."""
    return _simple(actor=actor, item=item, action=Action.REMOVE,
                   build=lambda vendor, place, item: (vendor.remove(place), _(
                       "Removed from %(p)s, ONT %(i)s.") % {"p": place.port_text,
                                                             "i": place.ont_id}),
                   on_ok=_place_release)


def reading_text(reading: Reading | dict | None) -> str:
    """A reading as staff read it: "online, receiving -21.50 dBm" / "offline, optical
    power not available"."""
    if isinstance(reading, dict):
        reading = Reading(online=reading.get("online"), state=reading.get("state") or "",
                          rx_dbm=reading.get("rx_power_dbm"))
    if reading is None:
        return ""
    state = {True: _("online"), False: _("offline")}.get(reading.online, _("state unknown"))
    if reading.state and reading.state.lower() not in ("online", "offline"):
        state = f"{state} ({reading.state})"
    power = (_("receiving %(p)s dBm") % {"p": reading.rx_dbm} if reading.rx_dbm is not None
             else _("optical power not available"))
    return f"{state}, {power}"


def ont_status(*, actor, item: StockItem) -> OntAction:
    """Read the registered ONT's state and received optical power: over SNMP where the
    vendor publishes OIDs and the OLT has a community, else — or when SNMP does not
    answer — over the CLI. Talks to the network."""
    item, olt, vendor, place = _registered(item)
    oids = vendor.snmp_oids(place) if olt.snmp_community else None
    commands, answers, notes = [], [], []
    reading = None
    if oids:
        commands += [f"SNMP GET {oid}" for oid in oids.values()]
        try:
            address = olt_address(olt)
            if address is None:  # the name does not resolve: told as no answer
                raise olt_snmp.SnmpError("")
            values = olt_snmp.get(address=address, port=olt.snmp_port,
                                  community=olt.snmp_community, oids=oids,
                                  timeout=_setting("WAREHOUSE_OLT_SNMP_TIMEOUT", 2),
                                  retries=int(_setting("WAREHOUSE_OLT_SNMP_RETRIES", 1)))
        except ValidationError as exc:  # the platform's rule for addresses
            notes.append(exc.messages[0])
        except olt_snmp.SnmpError:
            notes.append(_snmp_no_answer())
        else:
            answers += [f"{oids[name]} = {value}" for name, value in values.items()]
            if any(value is not None for value in values.values()):
                reading = vendor.snmp_read(values)
            else:
                notes.append(_("The OLT's SNMP agent has no values for this ONT."))
    result = None
    if reading is None:
        result = _run(olt, vendor, vendor.status(place))
        commands.append(result.commands)
        answers.append(result.answer)
        if result.outcome == Outcome.OK:
            reading = vendor.status_read([e.output for e in result.exchanges])
    outcome = Outcome.OK if reading is not None else result.outcome
    if reading is not None:
        message = reading_text(reading)
        if notes:
            message = _("%(n)s Read over SSH: %(r)s") % {"n": " ".join(notes), "r": message}
    else:
        message = " ".join([*notes, _failure_text(result)])
    with transaction.atomic():
        item = StockItem.objects.select_related("customer").get(pk=item.pk)
        return _record(actor=actor, item=item, olt=olt, action=Action.STATUS, outcome=outcome,
                       commands="\n".join(c for c in commands if c),
                       answer="\n".join(a for a in answers if a), message=message,
                       reading=reading,
                       new_host_key=result.new_host_key if result is not None else "")
