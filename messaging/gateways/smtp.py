"""E-mail through the tenant's SMTP server, with Django's mail API.

The e-mail is built once (``EmailMessage``) and the very bytes handed to the server are
kept (``Accepted.raw``): "Podgląd wiadomości" shows exactly what was sent — the Date and
the MIME boundaries would differ if it were built again. The Message-ID is the attempt's
key in the sender's domain (``<key@domain>``): a retry of the same attempt reaches the
recipient's server with the same id (it may drop the duplicate), "Wyślij ponownie" is a
new attempt and a new id.

Replies map to the pipeline's outcomes (``messaging.services``): a 4xx reply, a server
that cannot be reached or that drops the connection is a ``TemporaryError`` (tried again
with backoff); a 5xx reply is a ``PermanentError`` with the server's words ("550 5.1.1
…"). ``send_many`` uses one connection for the whole batch; a recipient refused in a
batch fails only its own message.
"""

import contextlib
import smtplib
from email.header import Header
from email.utils import formataddr, formatdate

from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.message import sanitize_address
from django.utils.translation import gettext as _

from . import (
    Accepted,
    GatewayBase,
    GatewayError,
    NotConfigured,
    PermanentError,
    TemporaryError,
    register,
)

BACKEND = "django.core.mail.backends.smtp.EmailBackend"
TIMEOUT = 30  # seconds for each SMTP command: a server that hangs is a temporary error


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _reply(code: int, text) -> GatewayError:
    """The outcome for an SMTP reply: 5xx is final, 4xx (or a reply that is no reply,
    smtplib's -1) is tried again."""
    reply = f"{code} {_text(text)}".strip()
    return PermanentError(reply) if 500 <= code < 600 else TemporaryError(reply)


def smtp_error(error: Exception) -> GatewayError:
    """Map what smtplib / the socket raised to ``TemporaryError`` or ``PermanentError``."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # One recipient per message: its own reply.
        code, text = next(iter(error.recipients.values()), (550, b"recipient refused"))
        return _reply(code, text)
    if isinstance(error, smtplib.SMTPResponseException):  # MAIL, DATA, AUTH, HELO refused
        return _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryError(_("The SMTP server closed the connection: %(e)s")
                              % {"e": str(error) or "-"})
    if isinstance(error, smtplib.SMTPNotSupportedError):  # e.g. no STARTTLS: settings
        return PermanentError(_("SMTP server: %(e)s") % {"e": error})
    if isinstance(error, (OSError, smtplib.SMTPException)):  # refused, timeout, DNS, TLS
        return TemporaryError(_("SMTP server unreachable: %(e)s") % {"e": error})
    raise error


@register("smtp")
class SmtpGateway(GatewayBase):
    """The tenant's SMTP server (``Gateway`` kind ``smtp``: host, port, user, password,
    STARTTLS or SSL, the From address; the display name is the tenant's name)."""

    def __init__(self, config):
        super().__init__(config)
        if not config.host or not config.from_address:
            raise NotConfigured(_("The SMTP server or the sender address is not set."))
        self.from_address = config.from_address.strip()
        self.domain = self.from_address.rpartition("@")[2] or "abonent"
        # The tenant's name as the sender's display name; a line break in it would be a
        # header injection, so it is folded to spaces.
        self.from_email = formataddr((" ".join(config.tenant.name.split()), self.from_address))
        self.backend = None

    # --- building --------------------------------------------------------------------

    def message_id(self, attempt) -> str:
        return f"<{attempt.key}@{self.domain}>"

    def build(self, message, attempt, attachments=()) -> tuple[bytes, str, list[str]]:
        """The e-mail as bytes, with the envelope sender and recipients; raises
        ``PermanentError`` for a message that cannot be written (a header with a line
        break: Django refuses it instead of creating a header)."""
        email = EmailMessage(subject=message.subject, body=message.text_to_send,
                             from_email=self.from_email, to=[message.recipient],
                             headers={"Message-ID": self.message_id(attempt),
                                      "Date": formatdate(localtime=True)})
        for a in attachments:
            email.attach(a.filename, bytes(a.content), a.content_type)
        try:
            mime = email.message()
            if not message.subject.isascii():
                # Django folds a long encoded subject right after "Subject:", and readers
                # then show it with a leading space: encode it knowing the header's name.
                mime.replace_header("Subject", Header(message.subject, "utf-8",
                                                      header_name="Subject").encode())
            envelope_from = sanitize_address(self.from_address, email.encoding or "utf-8")
            recipients = [sanitize_address(r, email.encoding or "utf-8")
                          for r in email.recipients()]
        except (BadHeaderError, ValueError) as e:
            raise PermanentError(_("The message cannot be written: %(e)s") % {"e": e}) from None
        return mime.as_bytes(linesep="\r\n"), envelope_from, recipients

    # --- sending ---------------------------------------------------------------------

    def _alive(self) -> bool:
        # smtplib closes the socket itself after a 421 ("closing channel").
        return (self.backend is not None and self.backend.connection is not None
                and getattr(self.backend.connection, "sock", None) is not None)

    def _open(self):
        """A connection to the server, logged in; ``TemporaryError``/``PermanentError``
        when it cannot be had (the whole batch gets that answer)."""
        if self._alive():
            return self.backend.connection
        self._close()
        c = self.config
        self.backend = get_connection(backend=BACKEND, host=c.host, port=c.port or 25,
                                      username=c.username, password=c.password,
                                      use_tls=c.use_tls, use_ssl=c.use_ssl, timeout=TIMEOUT,
                                      fail_silently=False)
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError) as e:  # OSError: refused, timeout
            self._close()
            raise smtp_error(e) from None
        return self.backend.connection

    def _close(self) -> None:
        if self.backend is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.backend.close()
            self.backend = None

    def _send_one(self, message, attempt, attachments) -> Accepted:
        raw, envelope_from, recipients = self.build(message, attempt, attachments)
        connection = self._open()
        try:
            connection.sendmail(envelope_from, recipients, raw)
        except (smtplib.SMTPException, OSError) as e:
            outcome = smtp_error(e)
            # A refusal keeps the session (smtplib sent RSET); a lost connection does not.
            # (SMTPException is an OSError too.)
            if isinstance(e, smtplib.SMTPServerDisconnected) or \
                    not isinstance(e, smtplib.SMTPException):
                self._close()
            raise outcome from None
        return Accepted(gateway_id=self.message_id(attempt), reply="250 OK", raw=raw)

    def _attachments(self, items) -> dict:
        from ..models import MessageAttachment

        by_message: dict[int, list] = {}
        for a in MessageAttachment.objects.filter(message__in=[m.pk for m, _a in items]):
            by_message.setdefault(a.message_id, []).append(a)
        return by_message

    def send(self, message, attempt) -> Accepted:
        outcome = self.send_many([(message, attempt)])[attempt.key]
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    def send_many(self, items) -> dict:
        """One connection for the batch. A connection that cannot be opened raises (the
        whole batch gets that answer); one lost midway is opened again once for the
        messages after it; a refused message fails alone."""
        attachments = self._attachments(items)
        outcomes = {}
        reconnected = False
        try:
            self._open()
            for message, attempt in items:
                try:
                    outcomes[attempt.key] = self._send_one(message, attempt,
                                                           attachments.get(message.pk, ()))
                except GatewayError as e:
                    outcomes[attempt.key] = e
                    if not self._alive():  # the connection is gone: one more try at it
                        if reconnected:
                            break
                        reconnected = True
        finally:
            self._close()
        for _message, attempt in items:  # not tried: the server went away
            outcomes.setdefault(attempt.key, TemporaryError(
                _("Not sent: the connection to the SMTP server was lost.")))
        return outcomes
