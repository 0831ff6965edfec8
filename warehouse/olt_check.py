"""“Test connection” of an OLT: what staff press after adding one or changing its
address or password.

Read-only: it logs in over SSH as the ONT actions do (``warehouse.olt.ssh``: the kept host
key checked before the password is sent, the vendor's session preparation, ``enable``) and
types nothing else — no vendor's CLI has a command that is harmless on every model, and
the log-in with enable mode is what every action needs. Where the OLT has an SNMP
community, ``sysUpTime.0`` is read too (what the status reads need). Nothing is written:
a host key the OLT shows for the first time is only reported (with its fingerprint, to
compare with the OLT's console); the first ONT action keeps it.

What failed is said as precisely as tells staff nothing about the network beyond the OLT:
before an SSH server answered, one text (``olt_ssh.no_service``) whether the port was
refused, filtered, the host down or the name unknown; likewise one text for SNMP that did
not answer. An OLT's address is typed by a tenant's staff: distinct texts would make this
button a port scanner over the platform's networks.
"""

import base64
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import ont
from .models import Olt
from .olt import VENDORS
from .olt import snmp as olt_snmp
from .olt import ssh as olt_ssh

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@dataclass(frozen=True)
class OltCheck:
    ok: bool
    message: str


def host_key_fingerprint(key_line: str) -> str:
    """``ssh-ed25519 AAAA…`` (or ``host ssh-ed25519 AAAA…``) → ``SHA256:…``, as
    ``ssh-keygen -l`` prints it; "" for what is no key."""
    parts = (key_line or "").split()
    if len(parts) < 2:
        return ""
    try:
        blob = base64.b64decode(parts[-1], validate=True)
    except ValueError:
        return ""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def _uptime_text(ticks) -> str:
    if not isinstance(ticks, int):
        return str(ticks)
    seconds = ticks // 100
    days, rest = divmod(seconds, 86400)
    return _("%(d)s d %(h)s h") % {"d": days, "h": rest // 3600}


def olt_connection_check(*, olt: Olt) -> OltCheck:
    """Log in to the OLT over SSH into its enable mode and log out (and read its uptime
    over SNMP when it has a community): the result for staff. Another tenant's OLT is
    ``Olt.DoesNotExist``. Talks to the network: never call it inside a transaction."""
    olt = Olt.objects.get(pk=olt.pk)
    try:
        address = ont.olt_address(olt)
    except ValidationError as exc:  # the platform's rule for addresses
        return OltCheck(False, " ".join(exc.messages))
    if address is None:  # the name does not resolve: told as no answer
        result = olt_ssh.no_service(host=olt.host, port=olt.ssh_port)
    else:
        result = olt_ssh.run(vendor=VENDORS[olt.vendor], host=olt.host, address=address,
                             port=olt.ssh_port, username=olt.username,
                             password=olt.password, enable_password=olt.enable_password,
                             host_key=olt.host_key, steps=[],
                             **ont._timeouts())  # the ONT actions' own
    ok = result.outcome == olt_ssh.OK
    if ok:
        lines = [_("SSH: logged in to %(a)s port %(p)s as %(u)s and into the enable mode.")
                 % {"a": olt.host, "p": olt.ssh_port, "u": olt.username}]
        if result.new_host_key:
            lines.append(_("The OLT showed the host key %(k)s (%(f)s); it is kept at the "
                           "first ONT action and any other key refused from then on.")
                         % {"k": result.new_host_key.split()[0],
                            "f": host_key_fingerprint(result.new_host_key)})
    else:
        lines = [_("SSH: %(e)s") % {"e": result.message}]
    if olt.snmp_community:
        try:
            if address is None:  # the name does not resolve: told as no answer
                raise olt_snmp.SnmpError("")
            values = olt_snmp.get(address=address, port=olt.snmp_port,
                                  community=olt.snmp_community, oids={"uptime": SYS_UPTIME},
                                  timeout=ont._setting("WAREHOUSE_OLT_SNMP_TIMEOUT", 2),
                                  retries=int(ont._setting("WAREHOUSE_OLT_SNMP_RETRIES", 1)))
        except olt_snmp.SnmpError:
            # UDP: a closed port, a filtered one, a wrong community and an unreachable
            # network look alike — and are told alike, whatever pysnmp made of them.
            ok = False
            lines.append(_("SNMP: no answer at %(h)s port %(p)s (check the address, the "
                           "port, the community and the firewall).")
                         % {"h": olt.host, "p": olt.snmp_port})
        else:
            if values.get("uptime") is None:
                ok = False
                lines.append(_("SNMP: the agent answered but has no uptime (the community "
                               "may see too little)."))
            else:
                lines.append(_("SNMP: answers on port %(p)s (up %(u)s).")
                             % {"p": olt.snmp_port, "u": _uptime_text(values["uptime"])})
    return OltCheck(ok, " ".join(lines))
