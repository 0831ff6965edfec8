"""E-mail to case (owned by the mail part): the helpdesk mailbox's settings, reading it over
IMAP, and staff replies going back out by e-mail.

Reading (``mailbox_poll``) holds a per-mailbox advisory lock for the whole read, so two
beats never read the same mailbox at once. No transaction is open while the IMAP server
is talked to: each message is decided and written in its own transaction
(``message_ingest``), and only then marked ``\\Seen`` on the server (never deleted). A
message is remembered by its key (``MailIngest.message_key``, unique per tenant): read
again — the next beat, a changed UIDVALIDITY, a copy in the folder — it is skipped. A
message that cannot be read, or whose case cannot be written, is recorded ``rejected``
and the read goes on.

Replies out: a public comment by staff on a case with an e-mail contact queues an
e-mail through messaging (``case_reply_email_queue``, called on ``case.comment_added``),
its subject ``Re: [#<number>] <title>`` so the customer's answer threads back.
"""

import contextlib
import ipaddress
import logging
import ssl
from collections import Counter
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import EmailValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core import netguard
from core.actionlog import action_log, diff_fields, sentence
from core.tenancy import current_tenant

from ..mail_parse import MailParseError, ParsedMail, mail_parse, message_key
from ..models import Case, CaseStatus, CaseType, Queue
from ..models.mail import HelpdeskMailbox, ImapSecurity, IngestOutcome, MailIngest

log = logging.getLogger(__name__)

# pg_advisory_lock(LOCK_SPACE, mailbox id): one read of a mailbox at a time ("HM").
LOCK_SPACE = 0x484D
BATCH = 50  # messages fetched per IMAP round trip
MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # larger: recorded rejected, not fetched
IMAP_TIMEOUT = 30  # seconds for each IMAP command
HOURLY_LIMIT_MAX = 10_000
LOGGED = ("address", "host", "port", "security", "username", "folder", "is_active",
          "case_type", "queue", "sender_hourly_limit")

LOOPBACK_NAMES = ("localhost", "localhost.")


# --------------------------------------------------------------------------- settings

def mailbox_get() -> HelpdeskMailbox | None:
    """The active tenant's helpdesk mailbox (one per tenant), or None."""
    return HelpdeskMailbox.objects.select_related("case_type", "queue").first()


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_valid(host: str) -> bool:
    """An IP address, or a host name by the platform's one rule
    (``core.netguard.hostname_valid``)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return netguard.hostname_valid(host)


def mailbox_clean(*, address: str, host: str, port=None, security: str = ImapSecurity.SSL,
                  username: str, password: str = "", folder: str = "INBOX",
                  is_active: bool = True, case_type=None, queue=None,
                  sender_hourly_limit=5, existing: HelpdeskMailbox | None = None) -> dict:
    """The fields as stored: the one rule for the page and the API. ``password`` empty
    keeps ``existing``'s. Raises ``ValidationError`` by field."""
    errors: dict[str, list] = {}
    address = (address or "").strip().lower()
    host, username = (host or "").strip(), (username or "").strip()
    folder = (folder or "").strip() or "INBOX"
    password = password or ""
    for name, value in (("address", address), ("host", host), ("username", username),
                        ("password", password), ("folder", folder)):
        if any(c in value for c in "\r\n\0"):
            errors[name] = [_("Line breaks are not allowed here.")]
    try:
        EmailValidator()(address)
    except ValidationError:
        errors.setdefault("address", [_("Enter a valid e-mail address.")])
    if not host:
        errors.setdefault("host", [_("Enter the IMAP server's host name or address.")])
    elif not _host_valid(host):
        errors.setdefault("host", [_("Enter a valid host name or IP address.")])
    if security not in ImapSecurity.values:
        errors["security"] = [_("Choose how the connection is secured.")]
    elif security == ImapSecurity.NONE and host and not _is_loopback(host):
        errors["security"] = [_("Without encryption the password would cross the network "
                                "in clear: only a server on this machine (127.0.0.1, "
                                "localhost) may be used so.")]
    if port in (None, ""):
        port = 993 if security == ImapSecurity.SSL else 143
    try:
        port = int(port)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        errors["port"] = [_("A port is a number from 1 to 65535.")]
    if not username:
        errors.setdefault("username", [_("Enter the user name of the mailbox.")])
    if not password and not (existing and existing.password):
        errors.setdefault("password", [_("Enter the password of the mailbox.")])
    if len(folder) > 100:
        errors.setdefault("folder", [_("The folder name is longer than 100 characters.")])
    tenant_id = current_tenant().pk
    if not (isinstance(case_type, CaseType) and case_type.is_active
            and case_type.tenant_id == tenant_id):
        errors["case_type"] = [_("Choose an active case type.")]
    if not (isinstance(queue, Queue) and queue.is_active and queue.tenant_id == tenant_id):
        errors["queue"] = [_("Choose an active queue.")]
    try:
        limit = int(sender_hourly_limit)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= HOURLY_LIMIT_MAX:
        errors["sender_hourly_limit"] = [_("New cases per sender per hour: from 1 to "
                                           "%(n)s.") % {"n": HOURLY_LIMIT_MAX}]
    if errors:
        raise ValidationError(errors)
    data = {"address": address, "host": host, "port": port, "security": security,
            "username": username, "folder": folder, "is_active": bool(is_active),
            "case_type": case_type, "queue": queue, "sender_hourly_limit": limit}
    if password:
        data["password"] = password
    return data


@transaction.atomic
def mailbox_save(*, actor, mailbox: HelpdeskMailbox | None = None, **fields) -> HelpdeskMailbox:
    """Set up the tenant's helpdesk mailbox (``mailbox`` None) or change it. The password
    is kept when left empty and never written to the log; a change of the server, user
    or folder starts reading it afresh (UIDVALIDITY unknown). Locks the mailbox."""
    if mailbox is None:
        if HelpdeskMailbox.objects.exists():
            raise ValidationError(_("The helpdesk mailbox is already set up."))
        data = mailbox_clean(**fields)
        mailbox = HelpdeskMailbox(**data)
        try:
            with transaction.atomic():
                mailbox.save()
        except IntegrityError:  # set up at the same moment by someone else
            raise ValidationError(_("The helpdesk mailbox is already set up.")) from None
        action_log(actor=actor, kind="helpdeskmailbox.create",
                   message=N_("Helpdesk mailbox %(address)s set up"),
                   params={"address": mailbox.address})
        return mailbox
    mailbox = HelpdeskMailbox.objects.select_for_update().get(pk=mailbox.pk)
    data = mailbox_clean(existing=mailbox, **fields)
    before = {name: getattr(mailbox, name) for name in LOGGED}
    password_changed = "password" in data and data["password"] != mailbox.password
    for name, value in data.items():
        setattr(mailbox, name, value)
    changes = diff_fields(mailbox, before, LOGGED)
    if {"host", "port", "username", "folder"} & changes.keys():
        mailbox.uidvalidity, mailbox.last_uid = None, 0
    mailbox.save()
    if changes or password_changed:
        action_log(actor=actor, kind="helpdeskmailbox.update",
                   message=N_("Helpdesk mailbox %(address)s changed"),
                   params={"address": mailbox.address}, changes=changes,
                   more=[sentence(N_("The password was changed."))] if password_changed
                   else None)
    return mailbox


# --------------------------------------------------------------------------- IMAP

class MailboxUnavailable(Exception):
    """The IMAP server cannot be reached, refused the login, or has no such folder."""


def _connect(mailbox: HelpdeskMailbox):
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError

    try:
        context = ssl.create_default_context()
        client = IMAPClient(mailbox.host, port=mailbox.port,
                            ssl=mailbox.security == ImapSecurity.SSL, ssl_context=context,
                            timeout=IMAP_TIMEOUT)
    except (OSError, IMAPClientError) as e:  # refused, timeout, DNS, TLS
        raise MailboxUnavailable(_("The IMAP server cannot be reached: %(e)s")
                                 % {"e": e}) from None
    try:
        if mailbox.security == ImapSecurity.STARTTLS:
            client.starttls(context)
        client.login(mailbox.username, mailbox.password)
    except (OSError, IMAPClientError) as e:
        with contextlib.suppress(Exception):
            client.shutdown()
        text = e.args[0] if e.args else e
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        raise MailboxUnavailable(_("The IMAP server refused the login: %(e)s")
                                 % {"e": text}) from None
    return client


def _select(client, folder: str) -> dict:
    from imapclient.exceptions import IMAPClientError

    try:
        return client.select_folder(folder)
    except IMAPClientError as e:
        raise MailboxUnavailable(_("The folder %(folder)s cannot be opened: %(e)s")
                                 % {"folder": folder, "e": e}) from None


def mailbox_test(*, mailbox: HelpdeskMailbox) -> str:
    """Log in and open the folder ("Test connection"); the answer for staff. Writes
    nothing; raises ``ValidationError`` with the server's words when it fails."""
    try:
        client = _connect(mailbox)
    except MailboxUnavailable as e:
        raise ValidationError(str(e)) from None
    try:
        selected = _select(client, mailbox.folder)
    except MailboxUnavailable as e:
        raise ValidationError(str(e)) from None
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return _("Connected: %(count)s messages in %(folder)s.") % {
        "count": selected.get(b"EXISTS", 0), "folder": mailbox.folder}


@contextlib.contextmanager
def _mailbox_lock(mailbox: HelpdeskMailbox):
    """A session advisory lock on the mailbox for the whole read (network included, so not
    a transaction's lock); yields False when another read holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_SPACE, mailbox.pk])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, mailbox.pk])


def _state_save(mailbox: HelpdeskMailbox, **fields) -> None:
    HelpdeskMailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)


def mailbox_poll(*, mailbox: HelpdeskMailbox, now=None) -> dict[str, int]:
    """Read the mailbox's new messages (UID above ``last_uid``) in batches and turn each
    into a case, a reply on a case, or a recorded refusal; returns the count of each
    outcome (plus ``duplicate``, ``skipped`` when another read holds the mailbox,
    ``error`` when the server could not be read — its words kept in ``last_error``).

    A changed UIDVALIDITY means the server renumbered the folder: it is read again from
    the start, and the messages already read are recognised by their keys."""
    if mailbox.tenant_id != current_tenant().pk:
        raise PermissionError("a mailbox is read only under its own tenant")
    counts: Counter = Counter()
    with _mailbox_lock(mailbox) as got:
        if not got:
            counts["skipped"] += 1
            return dict(counts)
        mailbox.refresh_from_db()
        try:
            client = _connect(mailbox)
        except MailboxUnavailable as e:
            _state_save(mailbox, last_polled_at=timezone.now(), last_error=str(e)[:2000])
            counts["error"] += 1
            return dict(counts)
        try:
            _read(client, mailbox, counts, now)
        except MailboxUnavailable as e:
            _state_save(mailbox, last_polled_at=timezone.now(), last_error=str(e)[:2000])
            counts["error"] += 1
            return dict(counts)
        except (TimeoutError, OSError, ssl.SSLError) as e:
            _state_save(mailbox, last_polled_at=timezone.now(),
                        last_error=(_("The connection was lost: %(e)s") % {"e": e})[:2000])
            counts["error"] += 1
            return dict(counts)
        finally:
            with contextlib.suppress(Exception):
                client.logout()
        _state_save(mailbox, last_polled_at=timezone.now(), last_error="")
    return dict(counts)


def _read(client, mailbox: HelpdeskMailbox, counts: Counter, now) -> None:
    from imapclient.exceptions import IMAPClientError

    selected = _select(client, mailbox.folder)
    uidvalidity = int(selected.get(b"UIDVALIDITY", 0) or 0)
    if mailbox.uidvalidity != uidvalidity:
        if mailbox.uidvalidity is not None:
            log.info("helpdesk mailbox %s: UIDVALIDITY %s -> %s, reading the folder again",
                     mailbox.pk, mailbox.uidvalidity, uidvalidity)
        _state_save(mailbox, uidvalidity=uidvalidity, last_uid=0)
    try:
        # "n:*" always matches the highest message, even below n: filtered below.
        uids = sorted(u for u in client.search(["UID", f"{mailbox.last_uid + 1}:*"])
                      if u > mailbox.last_uid)
    except IMAPClientError as e:
        raise MailboxUnavailable(_("The folder cannot be searched: %(e)s") % {"e": e}) from None
    for start in range(0, len(uids), BATCH):
        batch = uids[start:start + BATCH]
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        small = [u for u in batch if sizes.get(u, {}).get(b"RFC822.SIZE", 0) <= MAX_MESSAGE_BYTES]
        bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        for uid in batch:
            if uid in bodies:
                raw = bodies[uid].get(b"BODY[]") or b""
                outcome = _ingest_safely(mailbox=mailbox, raw=raw, uid=uid, now=now)
            else:
                outcome = _too_large(client, mailbox, uid, sizes.get(uid, {}))
            counts[outcome] += 1
        client.add_flags(batch, [b"\\Seen"], silent=True)
        _state_save(mailbox, last_uid=batch[-1])


def _too_large(client, mailbox, uid, size_row) -> str:
    """A message over the limit: its headers only, recorded rejected."""
    headers = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]", b"")
    size = size_row.get(b"RFC822.SIZE", 0)
    detail = _("The message is larger than %(mb)s MB (%(size)s bytes).") % {
        "mb": MAX_MESSAGE_BYTES // (1024 * 1024), "size": size}
    try:
        parsed = mail_parse(headers + b"\r\n", own_address=mailbox.address)
        key, sender, subject = parsed.key, parsed.sender, parsed.subject
    except MailParseError:
        fallback = headers or f"{mailbox.uidvalidity}:{uid}".encode()
        key, sender, subject = message_key(fallback), "", ""
    return _record(mailbox=mailbox, key=key, uid=uid, sender=sender, subject=subject,
                   outcome=IngestOutcome.REJECTED, detail=detail)


def _record(*, mailbox, key, uid, sender, subject, outcome, detail="", case=None) -> str:
    """An ingest row on its own; ``duplicate`` when the key is known already."""
    try:
        with transaction.atomic():
            MailIngest.objects.create(mailbox=mailbox, message_key=key, uid=uid,
                                      sender=sender[:254], subject=subject[:255],
                                      outcome=outcome, detail=str(detail)[:500], case=case)
    except IntegrityError:
        return "duplicate"
    return outcome


def _ingest_safely(*, mailbox, raw: bytes, uid, now) -> str:
    try:
        return message_ingest(mailbox=mailbox, raw=raw, uid=uid, now=now)[0]
    except Exception as e:  # one bad message must not stop the read of the rest
        log.exception("helpdesk mailbox %s: message uid %s not ingested", mailbox.pk, uid)
        try:
            parsed = mail_parse(raw, own_address=mailbox.address)
            key, sender, subject = parsed.key, parsed.sender, parsed.subject
        except MailParseError:
            key, sender, subject = message_key(raw), "", ""
        messages = getattr(e, "messages", None)
        detail = "; ".join(messages) if messages else _("The case could not be written.")
        return _record(mailbox=mailbox, key=key, uid=uid, sender=sender, subject=subject,
                       outcome=IngestOutcome.REJECTED, detail=detail)


def _customer_owning(address: str):
    """The customer whose e-mail ``address`` is, when exactly one customer has it."""
    from customers.models import Email

    owners = list(Email.objects.filter(address__iexact=address)
                  .values_list("customer_id", flat=True).distinct()[:2])
    if len(owners) != 1:
        return None
    from customers.models import Customer

    return Customer.objects.filter(pk=owners[0]).first()


def _case_of_reply(parsed: ParsedMail) -> Case | None:
    """The case a reply belongs to: the number in its subject, sent from the case's
    contact address or one of its customer's addresses; otherwise None (a number of
    another customer's case is not a way into it)."""
    from customers.models import Email

    number = parsed.case_number
    if number is None:
        return None
    case = Case.objects.select_related("customer").filter(number=number).first()
    if case is None:
        return None
    if case.contact_email and case.contact_email.strip().lower() == parsed.sender:
        return case
    if case.customer_id and Email.objects.filter(customer_id=case.customer_id,
                                                 address__iexact=parsed.sender).exists():
        return case
    return None


def _attachments_add(*, case, comment, parsed: ParsedMail) -> list[str]:
    """Each attachment through the cases part's content check; what was refused, as
    lines for a note on the case."""
    from .cases import case_attachment_add

    dropped = []
    for a in parsed.attachments:
        upload = SimpleUploadedFile(a.filename, a.content, a.content_type)
        try:
            with transaction.atomic():
                case_attachment_add(actor=None, case=case, uploaded_file=upload,
                                    comment=comment, is_public=True)
        except ValidationError as e:
            dropped.append(f"{a.filename}: {' '.join(e.messages)}")
    return dropped


def _dropped_note(*, case, dropped: list[str]) -> None:
    from .cases import case_comment_add

    if dropped:
        body = _("Attachments of the e-mail that were not kept:") + "\n" + "\n".join(
            f"- {line}" for line in dropped)
        case_comment_add(actor=None, case=case, body=body, is_public=False,
                         by_customer=False, source="email")


@transaction.atomic
def message_ingest(*, mailbox: HelpdeskMailbox, raw: bytes, uid=None,
                   now=None) -> tuple[str, MailIngest | None]:
    """Decide what one message becomes and write it: a new case, a reply appended to its
    case (a resolved case reopens), or an ignored message (automatic reply, loop, over the
    sender's hourly limit, unreadable). Returns (outcome, ingest); ``duplicate`` and no
    row when the message was read before. Locks the mailbox row, so two reads of the same
    message — or two messages of one sender racing the hourly limit — are decided one
    after the other."""
    from .cases import case_comment_add, case_create

    now = now or timezone.now()
    HelpdeskMailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
    try:
        parsed = mail_parse(raw, own_address=mailbox.address)
    except MailParseError as e:
        key = message_key(raw)
        if MailIngest.objects.filter(message_key=key).exists():
            return "duplicate", None
        ingest = MailIngest.objects.create(mailbox=mailbox, message_key=key, uid=uid,
                                           outcome=IngestOutcome.REJECTED, detail=str(e)[:500])
        return ingest.outcome, ingest
    if MailIngest.objects.filter(message_key=parsed.key).exists():
        return "duplicate", None
    row = {"mailbox": mailbox, "message_key": parsed.key, "uid": uid,
           "sender": parsed.sender[:254], "subject": parsed.subject[:255]}
    if parsed.ignored is not None:
        outcome, reason = parsed.ignored
        ingest = MailIngest.objects.create(outcome=outcome, detail=reason[:500], **row)
        return outcome, ingest
    body = parsed.body or _("(the e-mail has no text)")
    case = _case_of_reply(parsed)
    if case is not None and case.status != CaseStatus.CLOSED:
        comment = case_comment_add(actor=None, case=case, body=body[:20_000], is_public=True,
                                   by_customer=True, source="email",
                                   email_message_id=parsed.message_id)
        dropped = _attachments_add(case=case, comment=comment, parsed=parsed)
        # The customer's comment itself reopens a resolved case (case_comment_add).
        _dropped_note(case=case, dropped=dropped)
        ingest = MailIngest.objects.create(outcome=IngestOutcome.APPENDED, case=case,
                                           detail="; ".join(dropped)[:500], **row)
        return ingest.outcome, ingest
    recent = MailIngest.objects.filter(sender=parsed.sender, outcome=IngestOutcome.CREATED,
                                       received_at__gte=now - timedelta(hours=1)).count()
    if recent >= mailbox.sender_hourly_limit:
        ingest = MailIngest.objects.create(
            outcome=IngestOutcome.RATE_LIMITED,
            detail=_("%(n)s new cases from this sender in the last hour.") % {"n": recent},
            **row)
        return ingest.outcome, ingest
    description = body
    if case is not None:  # a reply to a closed case starts a new one
        description = _("Follow-up to the closed case #%(number)s.") % {
            "number": case.number} + "\n\n" + body
    new_case = case_create(
        actor=None, case_type=mailbox.case_type, queue=mailbox.queue,
        title=(parsed.subject or _("(no subject)"))[:200], description=description[:20_000],
        customer=_customer_owning(parsed.sender), contact_name=parsed.sender_name,
        contact_email=parsed.sender, source="email", by_customer=True, now=now)
    dropped = _attachments_add(case=new_case, comment=None, parsed=parsed)
    _dropped_note(case=new_case, dropped=dropped)
    ingest = MailIngest.objects.create(outcome=IngestOutcome.CREATED, case=new_case,
                                       detail="; ".join(dropped)[:500], **row)
    return ingest.outcome, ingest


def mail_ingest_list(*, outcome: str = "", sender: str = ""):
    """The messages read, newest first, with their cases (one query per page)."""
    rows = MailIngest.objects.select_related("case")
    if outcome:
        rows = rows.filter(outcome=outcome)
    if sender:
        rows = rows.filter(sender__icontains=sender.strip())
    return rows.order_by("-received_at", "-id")


# --------------------------------------------------------------------------- replies out

def _reply_recipient(case: Case) -> str:
    if case.contact_email:
        return case.contact_email
    if case.customer_id is None:
        return ""
    from customers.models import Email

    email = (Email.objects.filter(customer_id=case.customer_id)
             .order_by("-for_notifications", "id").first())
    return email.address if email else ""


def case_reply_email_queue(*, case_id: int, comment_id: int):
    """Queue the e-mail of a staff public reply to the case's e-mail contact (the case's
    contact address, else the customer's first notification address); nothing for an
    internal note, a customer's own comment or a case with no address. Once per comment:
    the message is related to it. Returns the message or None. The sending happens after
    commit, by messaging."""
    from messaging.models import Message
    from messaging.services import message_queue

    from ..models import CaseComment

    comment = (CaseComment.objects.select_related("case", "case__customer", "author")
               .filter(pk=comment_id, case_id=case_id).first())
    if comment is None or not comment.is_public or comment.by_customer:
        return None
    if comment.source == "email" or comment.author_id is None:
        return None
    case = comment.case
    recipient = _reply_recipient(case)
    if not recipient:
        return None
    if Message.objects.filter(related_kind="case_comment", related_id=comment.pk).exists():
        return None
    footer = _("Reply to this e-mail keeping [#%(number)s] in the subject.") % {
        "number": case.number}
    with transaction.atomic():
        return message_queue(customer=case.customer, channel="email", recipient=recipient,
                             subject=f"Re: [#{case.number}] {case.title}",
                             body=f"{comment.body}\n\n-- \n{footer}", author=comment.author,
                             related=("case_comment", comment.pk))


def on_case_comment_added(*, case_id, comment_id, is_public=True, by_customer=False,
                          source="staff", **_ignored) -> None:
    """``case.comment_added``: a staff public reply goes out by e-mail."""
    if not is_public or by_customer or source == "email":
        return
    try:
        case_reply_email_queue(case_id=case_id, comment_id=comment_id)
    except ValidationError as e:  # no valid address, an empty text: staff see no e-mail
        log.warning("case %s: reply not e-mailed: %s", case_id, "; ".join(e.messages))
