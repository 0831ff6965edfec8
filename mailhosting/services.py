"""Every write of hosted mail: domains, mailboxes, forwardings, and their projection.

Each change of an address locks its domain's row first (``_domain_lock``), so two requests
creating the same address, or a forwarding and a mailbox at one address, follow one
another; the unique constraints stay the last word. Each writes the projection Dovecot and
the MTA read (``projection_sync``) in the same transaction, and the action log — never a
password. Nothing here talks to the network: Dovecot reads the projection when a user
logs in (no auth cache), so a changed password or a disabled mailbox counts at once.
"""

import secrets

from argon2 import PasswordHasher
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actionlog import N_, action_log, diff_fields
from customers.models import Customer

from .models import (
    FORWARD_MAX_DESTINATIONS,
    QUOTA_MAX_MB,
    QUOTA_MIN_MB,
    Mailbox,
    MailDomain,
    MailForward,
    MailHostedDomain,
    MailRoute,
    MailUser,
)
from .validators import destination_clean, domain_clean, local_part_clean, password_check

# The scheme Dovecot is told in the stored hash: ARGON2ID, verified by Dovecot 2.3 built
# with libsodium (Debian's: ``doveadm pw -l``). OWASP's profile (19 MiB, t=2, p=1), not
# argon2-cffi's 64 MiB: Dovecot verifies the hash at every IMAP/POP3 login of every
# mail client, often several at once per user. The parameters travel in the hash, so a
# later change of them applies to passwords set from then on.
SCHEME = "{ARGON2ID}"
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Generated passwords: no letters that read alike (l/1/I, O/0).
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 14


def password_hash(password: str) -> str:
    """``password`` as Dovecot verifies it: ``{ARGON2ID}$argon2id$v=19$…``."""
    return SCHEME + _hasher.hash(password)


def password_verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not stored.startswith(SCHEME):
        return False
    try:
        return _hasher.verify(stored[len(SCHEME):], password)
    except (VerificationError, InvalidHashError):
        return False


def password_generate() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))


def _password_or_generated(password: str | None) -> tuple[str, str]:
    """(hash, the generated password to show once — "" when staff typed it)."""
    if password:
        try:
            password_check(password)
        except ValidationError as e:
            raise ValidationError({"password": e.messages}) from None
        return password_hash(password), ""
    generated = password_generate()
    return password_hash(generated), generated


def _quota_clean(quota_mb) -> int:
    try:
        value = int(quota_mb)
    except (TypeError, ValueError):
        value = 0
    if not QUOTA_MIN_MB <= value <= QUOTA_MAX_MB:
        raise ValidationError({"quota_mb": [
            _("Enter a quota from %(min)d to %(max)d MB.")
            % {"min": QUOTA_MIN_MB, "max": QUOTA_MAX_MB}]})
    return value


def _field(name: str, clean, value):
    try:
        return clean(value)
    except ValidationError as e:
        raise ValidationError({name: e.messages}) from None


def _all_or_errors(*checks) -> list:
    """Each check's value; or one ``ValidationError`` with every field's messages, so a
    form shows all that is wrong at once."""
    values, errors = [], {}
    for check in checks:
        try:
            values.append(check())
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def _domain_lock(domain: MailDomain) -> MailDomain:
    """Lock ``domain``'s row: every change of its addresses takes this lock first."""
    return MailDomain.objects.select_for_update().get(pk=domain.pk)


# --------------------------------------------------------------------------- projection


def projection_sync(*, domain: MailDomain, local_parts=None) -> None:
    """Write what Dovecot and the MTA read for ``domain`` — only the addresses
    ``local_parts`` when given — from the mailboxes and forwardings as they are now: the
    one place that decides who may log in and where mail goes. A disabled domain, a
    disabled mailbox or forwarding has no row. Call it inside the change's transaction."""
    if domain.active:
        MailHostedDomain.objects.update_or_create(domain=domain, defaults={"name": domain.name})
    else:
        MailHostedDomain.objects.filter(domain=domain).delete()
    mailboxes = Mailbox.objects.filter(domain=domain)
    forwards = MailForward.objects.filter(domain=domain)
    users = MailUser.objects.filter(mailbox__domain=domain)
    routes = MailRoute.objects.filter(forward__domain=domain)
    if local_parts is not None:
        addresses = [f"{lp}@{domain.name}" for lp in local_parts]
        mailboxes = mailboxes.filter(local_part__in=local_parts)
        forwards = forwards.filter(local_part__in=local_parts)
        users = MailUser.objects.filter(email__in=addresses)
        routes = MailRoute.objects.filter(source__in=addresses)
    users.delete()
    routes.delete()
    if not domain.active:
        return
    MailUser.objects.bulk_create([
        MailUser(mailbox=m, email=f"{m.local_part}@{domain.name}", password=m.password_hash,
                 quota_bytes=m.quota_mb * 1024 * 1024, home=f"{domain.name}/{m.pk}")
        for m in mailboxes.filter(active=True)])
    boxes = set(mailboxes.filter(active=True).values_list("local_part", flat=True))
    rows = []
    for forward in forwards.filter(active=True):
        source = f"{forward.local_part}@{domain.name}"
        targets = list(forward.destinations)
        if forward.keep_copy and forward.local_part in boxes and source not in targets:
            targets.append(source)
        rows += [MailRoute(forward=forward, source=source, destination=d) for d in targets]
    MailRoute.objects.bulk_create(rows)


def _address_owner_check(*, domain: MailDomain, local_part: str, customer: Customer,
                         mailbox: bool) -> None:
    """An address belongs to one customer: a forwarding on another customer's mailbox
    would take their mail. Checked under the domain's lock."""
    mailbox_owner = Mailbox.objects.filter(domain=domain, local_part=local_part) \
        .values_list("customer_id", flat=True).first()
    forward_owner = MailForward.objects.filter(domain=domain, local_part=local_part) \
        .values_list("customer_id", flat=True).first()
    if mailbox and mailbox_owner is not None:
        raise ValidationError({"local_part": [_("This address has a mailbox already.")]})
    if not mailbox and forward_owner is not None:
        raise ValidationError({"local_part": [_("This address has a forwarding already.")]})
    other = mailbox_owner if not mailbox else forward_owner
    if other is not None and other != customer.pk:
        raise ValidationError({"local_part": [_("This address belongs to another customer.")]})


# --------------------------------------------------------------------------- domains


def maildomain_add(*, actor, name: str) -> MailDomain:
    """Host mail for ``name``. A domain another ISP hosts is refused by the unique
    constraint, without saying who hosts it."""
    clean = _field("name", domain_clean, name)
    try:
        with transaction.atomic():
            domain = MailDomain.objects.create(name=clean)
            projection_sync(domain=domain)
            action_log(actor=actor, kind="maildomain.add",
                       message=N_("Mail domain %(d)s added"), params={"d": clean})
    except IntegrityError:
        raise ValidationError({"name": [_("This domain is hosted already.")]}) from None
    return domain


def maildomain_update(*, actor, domain: MailDomain, active: bool) -> MailDomain:
    """Switch ``domain`` on or off: off, none of its mailboxes logs in and no mail is
    accepted for it; on, they are back as they were."""
    with transaction.atomic():
        domain = _domain_lock(domain)
        before = {"active": domain.active}
        domain.active = active
        changes = diff_fields(domain, before, ["active"])
        if not changes:
            return domain
        domain.save(update_fields=["active"])
        projection_sync(domain=domain)
        action_log(actor=actor, kind="maildomain.change",
                   message=N_("Mail domain %(d)s changed"), params={"d": domain.name},
                   changes=changes)
    return domain


def maildomain_remove(*, actor, domain: MailDomain) -> None:
    """Stop hosting ``domain``: refused while it has mailboxes or forwardings."""
    with transaction.atomic():
        domain = _domain_lock(domain)
        if Mailbox.objects.filter(domain=domain).exists() or \
                MailForward.objects.filter(domain=domain).exists():
            raise ValidationError(_("Remove the domain's mailboxes and forwardings first."))
        name = domain.name
        domain.delete()
        action_log(actor=actor, kind="maildomain.remove",
                   message=N_("Mail domain %(d)s removed"), params={"d": name})


# --------------------------------------------------------------------------- mailboxes


def mailbox_create(*, actor, customer: Customer, domain: MailDomain, local_part: str,
                   password: str | None = None, quota_mb: int = 1024,
                   active: bool = True) -> tuple[Mailbox, str]:
    """A mailbox for ``customer``; without ``password`` one is generated. Returns the
    mailbox and the generated password, to be shown once ("" when typed). Locks the
    domain's row."""
    local, quota, (hashed, generated) = _all_or_errors(
        lambda: _field("local_part", local_part_clean, local_part),
        lambda: _quota_clean(quota_mb), lambda: _password_or_generated(password))
    try:
        with transaction.atomic():
            domain = _domain_lock(domain)
            if not domain.active:
                raise ValidationError({"domain": [_("This domain is switched off.")]})
            _address_owner_check(domain=domain, local_part=local, customer=customer,
                                 mailbox=True)
            mailbox = Mailbox.objects.create(
                customer=customer, domain=domain, local_part=local, password_hash=hashed,
                quota_mb=quota, active=active, password_changed_at=timezone.now())
            projection_sync(domain=domain, local_parts=[local])
            action_log(actor=actor, customer=customer, kind="mailbox.add",
                       message=N_("Mailbox %(a)s added"), params={"a": mailbox.address},
                       changes={"quota_mb": quota, "active": active})
    except IntegrityError:
        raise ValidationError({"local_part": [_("This address has a mailbox already.")]}) \
            from None
    return mailbox, generated


def mailbox_update(*, actor, mailbox: Mailbox, quota_mb: int | None = None,
                   active: bool | None = None) -> Mailbox:
    """Change the quota or switch the mailbox on or off (off: it cannot log in)."""
    quota = _quota_clean(quota_mb) if quota_mb is not None else None
    with transaction.atomic():
        domain = _domain_lock(mailbox.domain)
        mailbox = Mailbox.objects.select_related("domain", "customer").get(pk=mailbox.pk)
        before = {"quota_mb": mailbox.quota_mb, "active": mailbox.active}
        if quota is not None:
            mailbox.quota_mb = quota
        if active is not None:
            mailbox.active = active
        changes = diff_fields(mailbox, before, before)
        if not changes:
            return mailbox
        mailbox.save()
        projection_sync(domain=domain, local_parts=[mailbox.local_part])
        action_log(actor=actor, customer=mailbox.customer, kind="mailbox.change",
                   message=N_("Mailbox %(a)s changed"), params={"a": mailbox.address},
                   changes=changes)
    return mailbox


def mailbox_password_set(*, actor, mailbox: Mailbox, password: str | None = None) -> str:
    """A new password (generated without ``password``); returns the generated one to be
    shown once ("" when typed). The log says that it changed, never what to."""
    hashed, generated = _password_or_generated(password)
    with transaction.atomic():
        domain = _domain_lock(mailbox.domain)
        mailbox = Mailbox.objects.select_related("domain", "customer").get(pk=mailbox.pk)
        mailbox.password_hash = hashed
        mailbox.password_changed_at = timezone.now()
        mailbox.save()
        projection_sync(domain=domain, local_parts=[mailbox.local_part])
        action_log(actor=actor, customer=mailbox.customer, kind="mailbox.password",
                   message=N_("Password of mailbox %(a)s changed"),
                   params={"a": mailbox.address})
    return generated


def mailbox_remove(*, actor, mailbox: Mailbox) -> None:
    """Delete the mailbox: it logs in no more and receives no mail (its forwarding stays
    until removed, without the copy)."""
    with transaction.atomic():
        domain = _domain_lock(mailbox.domain)
        mailbox = Mailbox.objects.select_related("domain", "customer").get(pk=mailbox.pk)
        address, customer, local = mailbox.address, mailbox.customer, mailbox.local_part
        mailbox.delete()
        projection_sync(domain=domain, local_parts=[local])
        action_log(actor=actor, customer=customer, kind="mailbox.remove",
                   message=N_("Mailbox %(a)s removed"), params={"a": address})


# --------------------------------------------------------------------------- forwardings


def _destinations_clean(destinations, source: str) -> list[str]:
    if isinstance(destinations, str):
        destinations = destinations.replace(",", "\n").replace(";", "\n").splitlines()
    cleaned = []
    errors = []
    for raw in destinations or ():
        if not str(raw).strip():
            continue
        try:
            address = destination_clean(str(raw))
        except ValidationError as e:
            errors += e.messages
            continue
        if address != source and address not in cleaned:
            cleaned.append(address)
    if errors:
        raise ValidationError({"destinations": errors})
    if not cleaned:
        raise ValidationError({"destinations": [_("Enter at least one address to forward "
                                                  "to, other than the address itself.")]})
    if len(cleaned) > FORWARD_MAX_DESTINATIONS:
        raise ValidationError({"destinations": [
            _("A forwarding may have at most %(n)d addresses.")
            % {"n": FORWARD_MAX_DESTINATIONS}]})
    return cleaned


def mailforward_create(*, actor, customer: Customer, domain: MailDomain, local_part: str,
                       destinations, keep_copy: bool = False,
                       active: bool = True) -> MailForward:
    """Forward mail to ``local_part@domain`` to ``destinations``: the customer's own
    mailbox's forwarding, or an alias of theirs. Locks the domain's row."""
    local = _field("local_part", local_part_clean, local_part)
    targets = _destinations_clean(destinations, f"{local}@{domain.name}")
    try:
        with transaction.atomic():
            domain = _domain_lock(domain)
            if not domain.active:
                raise ValidationError({"domain": [_("This domain is switched off.")]})
            _address_owner_check(domain=domain, local_part=local, customer=customer,
                                 mailbox=False)
            forward = MailForward.objects.create(
                customer=customer, domain=domain, local_part=local, destinations=targets,
                keep_copy=keep_copy, active=active)
            projection_sync(domain=domain, local_parts=[local])
            action_log(actor=actor, customer=customer, kind="mailforward.add",
                       message=N_("Forwarding of %(a)s to %(to)s added"),
                       params={"a": forward.address, "to": ", ".join(targets)})
    except IntegrityError:
        raise ValidationError({"local_part": [_("This address has a forwarding already.")]}) \
            from None
    return forward


def mailforward_update(*, actor, forward: MailForward, destinations=None,
                       keep_copy: bool | None = None, active: bool | None = None) -> MailForward:
    with transaction.atomic():
        domain = _domain_lock(forward.domain)
        forward = MailForward.objects.select_related("domain", "customer").get(pk=forward.pk)
        before = {"destinations": list(forward.destinations), "keep_copy": forward.keep_copy,
                  "active": forward.active}
        if destinations is not None:
            forward.destinations = _destinations_clean(destinations, forward.address)
        if keep_copy is not None:
            forward.keep_copy = keep_copy
        if active is not None:
            forward.active = active
        changes = diff_fields(forward, before, before)
        if not changes:
            return forward
        forward.save()
        projection_sync(domain=domain, local_parts=[forward.local_part])
        action_log(actor=actor, customer=forward.customer, kind="mailforward.change",
                   message=N_("Forwarding of %(a)s changed"), params={"a": forward.address},
                   changes=changes)
    return forward


def mailforward_remove(*, actor, forward: MailForward) -> None:
    with transaction.atomic():
        domain = _domain_lock(forward.domain)
        forward = MailForward.objects.select_related("domain", "customer").get(pk=forward.pk)
        address, customer, local = forward.address, forward.customer, forward.local_part
        forward.delete()
        projection_sync(domain=domain, local_parts=[local])
        action_log(actor=actor, customer=customer, kind="mailforward.remove",
                   message=N_("Forwarding of %(a)s removed"), params={"a": address})
