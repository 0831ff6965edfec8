"""E-mail to case: reading one message as the helpdesk needs it (no database, no network).

``mail_parse(raw, own_address=...)`` gives the sender, the subject (encoded words decoded,
Polish letters kept), the text (text/plain preferred; HTML turned into text; any charset
Python knows, ISO-8859-2 included, and undecodable bytes replaced rather than refused),
the attachments, the case number a reply carries in its subject (``[#123]``) and — when
the message must not become a case — why: an automatic reply (``Auto-Submitted``,
``X-Autoreply``, ``X-Autorespond``, ``Precedence: auto_reply``, a bounce with an empty
``Return-Path``, MAILER-DAEMON / postmaster) or a loop (``Precedence: bulk|junk|list``,
``List-Id``/``List-Unsubscribe``, a message from the helpdesk address itself).

The key a message is remembered by (``message_key``) is the SHA-256 of its Message-ID, or
of the raw bytes when it has none: the same message read twice is recognised.
"""

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from django.utils.translation import gettext_lazy as _

from .models.mail import IngestOutcome

# ``[#123]`` anywhere in the subject ("Re: [#123] Brak internetu", "AW: RE: [#123] …").
CASE_NUMBER = re.compile(r"\[#(\d{1,9})\]")
AUTO_SENDERS = ("mailer-daemon", "postmaster")
LOOP_PRECEDENCE = ("bulk", "junk", "list")


class MailParseError(ValueError):
    """The message cannot be read as an e-mail the helpdesk can act on."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content: bytes
    content_type: str


@dataclass
class ParsedMail:
    key: str
    message_id: str
    sender: str  # the From address, lower-cased
    sender_name: str
    subject: str
    body: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Set when the message must create no case: (outcome, reason shown to staff).
    ignored: tuple[str, str] | None = None

    @property
    def case_number(self) -> int | None:
        return case_number_find(self.subject)


def message_key(raw: bytes, message_id: str = "") -> str:
    message_id = (message_id or "").strip()
    return hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def case_number_find(subject: str) -> int | None:
    found = CASE_NUMBER.search(subject or "")
    return int(found.group(1)) if found else None


def _header(message: EmailMessage, name: str) -> str:
    """A header as text; a malformed one (a broken encoded word) is read as it stands
    rather than refusing the whole message."""
    try:
        value = message.get(name)
    except Exception:  # the policy's parser raised on a malformed header
        value = message.get_all(name, [""])[0] if name in message else None
    if value is None:
        return ""
    return " ".join(str(value).split())


def _sender(message: EmailMessage) -> tuple[str, str]:
    for name in ("From", "Sender", "Reply-To"):
        try:
            header = message.get(name)
            addresses = getattr(header, "addresses", ()) if header is not None else ()
        except Exception:
            addresses = ()
        for address in addresses:
            if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                return address.addr_spec.strip().lower(), (address.display_name or "").strip()
    return "", ""


def _decode(part) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
             "blockquote", "pre", "hr", "ul", "ol"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML e-mail: tags dropped, scripts and styles skipped,
    entities decoded, blocks on their own lines."""
    parser = _TextOfHtml()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except Exception:  # HTMLParser is lenient; anything left is stripped crudely
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[ParsedAttachment]]:
    plain, markup, attachments = None, None, []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if filename or disposition == "attachment" or not content_type.startswith("text/"):
            if content_type.startswith("message/") and not filename:
                continue
            content = part.get_payload(decode=True) or b""
            name = " ".join((filename or "attachment").split())
            name = name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "attachment"
            attachments.append(ParsedAttachment(name, content, content_type))
        elif content_type == "text/plain" and plain is None:
            plain = _decode(part)
        elif content_type == "text/html" and markup is None:
            markup = _decode(part)
    if plain is not None and plain.strip():
        body = plain
    elif markup is not None:
        body = html_to_text(markup)
    else:
        body = plain or ""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    return body.strip(), attachments


def ignored_reason(message: EmailMessage, *, sender: str,
                   own_address: str) -> tuple[str, str] | None:
    """Why ``message`` creates no case (outcome, reason), or None: the one rule for every
    path that reads the helpdesk mailbox."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return IngestOutcome.AUTO_REPLY, "Auto-Submitted: " + auto_submitted[:100]
    for name in ("X-Autoreply", "X-Autorespond"):
        if name in message:
            return IngestOutcome.AUTO_REPLY, name
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return IngestOutcome.AUTO_REPLY, "Precedence: auto_reply"
    if precedence in LOOP_PRECEDENCE:
        return IngestOutcome.LOOP, "Precedence: " + precedence
    for name in ("List-Id", "List-Unsubscribe"):
        if name in message:
            return IngestOutcome.LOOP, name
    if "Return-Path" in message:
        return_path = _header(message, "Return-Path").strip("<> ")
        if not return_path:
            return IngestOutcome.AUTO_REPLY, str(_("a bounce (empty Return-Path)"))
    local = sender.partition("@")[0]
    if local in AUTO_SENDERS:
        return IngestOutcome.AUTO_REPLY, sender
    if own_address and sender == own_address.strip().lower():
        return IngestOutcome.LOOP, str(_("sent from the helpdesk address itself"))
    return None


def mail_parse(raw: bytes, *, own_address: str = "") -> ParsedMail:
    """``raw`` read as the helpdesk needs it; raises ``MailParseError`` for bytes that are
    no e-mail (no headers, no sender)."""
    if not raw or not raw.strip():
        raise MailParseError(_("The message is empty."))
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as e:
        raise MailParseError(_("The message cannot be read: %(e)s") % {"e": e}) from None
    if not message.keys():
        raise MailParseError(_("The message has no headers."))
    message_id = _header(message, "Message-ID")[:255]
    sender, sender_name = _sender(message)
    if not sender:
        raise MailParseError(_("The message has no sender address."))
    subject = _header(message, "Subject").replace("\0", "")[:255]
    try:
        body, attachments = _body_and_attachments(message)
    except Exception as e:
        raise MailParseError(_("The message's text cannot be read: %(e)s") % {"e": e}) from None
    return ParsedMail(key=message_key(raw, message_id), message_id=message_id, sender=sender,
                      sender_name=sender_name[:200], subject=subject, body=body,
                      attachments=attachments,
                      ignored=ignored_reason(message, sender=sender, own_address=own_address))
