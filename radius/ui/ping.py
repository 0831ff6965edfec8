"""Ping of a NAS or a client from the login's "additional information".

The system's ``ping`` with one packet and a one-second wait, under a hard timeout, so a
dead host costs the page about a second. Only addresses Abonent knows (the NAS's, the
login's) are pinged: the view never takes an address from the request.
"""

import ipaddress
import re
import subprocess
from dataclasses import dataclass

from django.utils.translation import gettext as _

_TIME = re.compile(r"time[=<]\s*([\d.]+)\s*ms")


@dataclass(frozen=True)
class PingResult:
    ip: str
    reachable: bool
    ms: float | None = None
    error: str = ""


def ping(ip: str, *, wait_seconds: int = 1) -> PingResult:
    """One echo request to ``ip``; unreachable when no answer comes within the wait."""
    try:
        address = ipaddress.ip_address(str(ip))
    except ValueError:
        return PingResult(str(ip), False, error=_("not an IP address"))
    command = ["ping", "-n", "-c", "1", "-W", str(wait_seconds), str(address)]
    if address.version == 6:
        command.insert(1, "-6")
    try:
        done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603
                              timeout=wait_seconds + 2, check=False)
    except FileNotFoundError:
        return PingResult(str(address), False, error=_("ping is not installed"))
    except subprocess.TimeoutExpired:
        return PingResult(str(address), False)
    match = _TIME.search(done.stdout)
    if done.returncode == 0 and match:
        return PingResult(str(address), True, ms=float(match.group(1)))
    return PingResult(str(address), False)
