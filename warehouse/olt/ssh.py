"""The SSH dialogue with an OLT's CLI, on netmiko (paramiko underneath).

netmiko because it is maintained, synchronous (our services are), and knows the session
preparation of Huawei SmartAX (``undo smart``, ``infoswitch cli OFF``, ``scroll``, the
log-out question) and ZTE ZXAN (``terminal length 0``); Dasan's NOS gets a small
Cisco-like class of its own (``dasan.py``).

The host key: the key an OLT showed first is kept on ``Olt.host_key``; from then on the
client knows only that key for the address and refuses any other (paramiko's
``RejectPolicy``) *before* it sends the password.

``run`` types the steps one by one, reads each answer to the prompt (or to the step's
question, answered with its reply), and stops at the first answer the vendor reads as a
refusal. It never raises for what the device does: the result says what was sent, what
came back, which changing steps got through and how it ended (ok / failed / timeout /
error). Never call it inside a database transaction.

Whatever keeps an SSH server from answering — a refused or filtered port, a host that is
down, a name that does not resolve, a service that is no SSH, a broken banner or key
exchange — is one text and one outcome (``no_service``): an OLT's address and port are
typed by a tenant's staff, and distinct texts would make "test connection" a port scanner
over the platform's networks. What happens once an SSH server answered keeps its own
words (the host key refused, the login refused, enable refused, the prompt not
recognised): they help staff and tell nothing about other ports. The transport's own
words go to the server's log, for the platform's operators.
"""

import logging
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .base import Step, Vendor

OK, FAILED, TIMEOUT, ERROR = "ok", "failed", "timeout", "error"
log = logging.getLogger(__name__)


class _ClosedSessionIsNoError(logging.Filter):
    """netmiko logs "Unable to send" with a traceback at ERROR when it probes a session the
    OLT has closed — which a Huawei OLT does after every log-out, and which we probe on
    purpose after a dropped session. What happened is in the recorded action instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Unable to send"


logging.getLogger("netmiko").addFilter(_ClosedSessionIsNoError())


@dataclass
class Exchange:
    step: Step
    output: str


@dataclass
class RunResult:
    outcome: str
    message: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    # the changing steps the device accepted, in order
    applied: list[Step] = field(default_factory=list)
    failed_step: Step | None = None
    # the host key the OLT showed when none was kept ("<type> <base64>")
    new_host_key: str = ""

    @property
    def commands(self) -> str:
        lines = []
        for exchange in self.exchanges:
            lines.append(exchange.step.command)
            if exchange.step.question:
                lines.append(exchange.step.reply)
        if self.failed_step is not None and (not self.exchanges
                                             or self.exchanges[-1].step is not self.failed_step):
            lines.append(self.failed_step.command)
        return "\n".join(lines)

    @property
    def answer(self) -> str:
        return "\n".join(f"> {e.step.command}\n{e.output}".rstrip() for e in self.exchanges)


class HostKeyChanged(Exception):
    pass


def _pinned(netmiko_class, host_key: str):
    """``netmiko_class`` that trusts ``host_key`` alone for the address (or, with none
    kept, whatever key the OLT shows: it is then kept). ``logged_in`` (on the class, made
    per connection) turns true once the SSH server accepted the login: what fails before
    is ``no_service`` unless it is the host key or the login refused."""
    import paramiko

    class Pinned(netmiko_class):
        logged_in = False

        def _build_ssh_client(self):
            client = super()._build_ssh_client()
            if host_key:
                key_type, key_data = host_key.split()[-2:]
                name = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
                key = paramiko.PKey.from_type_string(key_type, _b64(key_data))
                client.get_host_keys().add(name, key_type, key)
                client.set_missing_host_key_policy(paramiko.RejectPolicy())
            else:
                client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            connect = client.connect

            def connect_and_note(*args, **kwargs):
                connect(*args, **kwargs)  # returns once the password was accepted
                Pinned.logged_in = True

            client.connect = connect_and_note
            return client

        def establish_connection(self, *args, **kwargs):
            try:
                return super().establish_connection(*args, **kwargs)
            except Exception as exc:
                cause = exc.__context__
                if isinstance(cause, paramiko.BadHostKeyException) or (
                        isinstance(cause, paramiko.SSHException)
                        and "not found in known_hosts" in str(cause)):
                    raise HostKeyChanged(str(cause)) from None
                raise

    return Pinned


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _prompt_regex(base_prompt: str) -> str:
    # MA5800-X7>, MA5800-X7(config-if-gpon-0/1)#, ZXAN(gpon-onu-mng)#, dasan(gpon-olt[1])#
    return re.escape(base_prompt) + r"(\([^\n]*\))?[>#]\s*$"


def no_service(*, host: str, port: int) -> RunResult:
    """The one text of an OLT at which no SSH server answered, whatever the cause (the
    module's docstring says why): ``host`` as staff typed it — never what a name resolved
    to."""
    return RunResult(ERROR, _("No SSH service answered at %(h)s port %(p)s (check the "
                              "address, the port and the firewall).") % {"h": host, "p": port})


def run(*, vendor: Vendor, host: str, address: str, port: int, username: str, password: str,
        enable_password: str, host_key: str, steps: list[Step], connect_timeout: float,
        command_timeout: float) -> RunResult:
    """Log in to the OLT at ``address`` (an IP address, already checked; ``host`` is the
    address as staff typed it, for the messages), go to enable mode and type ``steps``."""
    import paramiko
    from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

    result = RunResult(outcome=OK)
    cls = _pinned(vendor.netmiko_class(), host_key)
    try:
        conn = cls(host=address, port=port, username=username, password=password,
                   secret=enable_password, conn_timeout=connect_timeout,
                   auth_timeout=connect_timeout, banner_timeout=connect_timeout,
                   timeout=command_timeout, fast_cli=True,
                   use_keys=False, allow_agent=False, system_host_keys=False,
                   alt_host_keys=False)
    except HostKeyChanged:
        return RunResult(ERROR, _("The OLT's SSH host key is not the one it showed before: "
                                  "refused (nothing was sent). If the OLT was replaced, "
                                  "clear its stored key."))
    except NetmikoAuthenticationException:
        return RunResult(ERROR, _("The OLT refused the user name or password."))
    except (paramiko.SSHException, ReadTimeout, OSError, EOFError, ValueError) as exc:
        if not cls.logged_in:
            # netmiko wraps paramiko's error (a refused or silent port, a banner that is
            # no SSH) in its own: the one it wrapped is what the log wants.
            log.info("OLT %s port %s: no SSH session: %s", address, port,
                     _short(exc.__context__ or exc))
            return no_service(host=host, port=port)
        if isinstance(exc, OSError | EOFError) and not isinstance(exc, TimeoutError):
            return RunResult(ERROR, _("The SSH session to the OLT broke: %(e)s")
                             % {"e": _short(exc)})
        # Logged in, but netmiko's session preparation did not find the prompt it expects.
        return RunResult(ERROR, _("Logged in, but the OLT's prompt was not recognised (is "
                                  "the vendor right?)."))
    if not host_key:
        key = conn.remote_conn_pre.get_transport().get_remote_server_key()
        result.new_host_key = f"{key.get_name()} {key.get_base64()}"
    try:
        conn.enable()
    except (ValueError, ReadTimeout, OSError, EOFError):
        conn.paramiko_cleanup()
        result.outcome = ERROR
        result.message = _("The OLT did not let us into its enable mode (the enable "
                           "password?).")
        return result
    healthy = True
    try:
        prompt = _prompt_regex(conn.base_prompt)
        for step in steps:
            result.failed_step = step
            expect = prompt if not step.question else f"(?:{prompt})|(?:{step.question})"
            output = conn.send_command(step.command, expect_string=expect,
                                       read_timeout=command_timeout, strip_prompt=True,
                                       strip_command=True)
            if step.question and re.search(step.question, output):
                output += "\n" + conn.send_command(step.reply, expect_string=prompt,
                                                   read_timeout=command_timeout)
            result.exchanges.append(Exchange(step, output))
            error = vendor.error_in(output, step)
            if error:
                result.outcome = FAILED
                result.message = error
                return result
            if step.changes:
                result.applied.append(step)
        result.failed_step = None
        return result
    except ReadTimeout:
        healthy = False
        alive = conn.is_alive()
        result.outcome = TIMEOUT if alive else ERROR
        result.message = (_("No answer to “%(c)s” within %(s)s s.") if alive else
                          _("The OLT closed the connection after “%(c)s”.")) % {
            "c": result.failed_step.command,
            "s": _seconds(command_timeout)}
        return result
    except (OSError, EOFError, ValueError) as exc:
        healthy = False
        result.outcome = ERROR
        result.message = _("The SSH session to the OLT broke: %(e)s") % {"e": _short(exc)}
        return result
    finally:
        if healthy:
            conn.disconnect()
        else:
            # A hung or dropped session: no polite log-out, which would wait for it.
            conn.paramiko_cleanup()


def _seconds(value: float) -> str:
    return f"{value:g}"


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:200]
