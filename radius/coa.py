"""CoA-Request and Disconnect-Request (RFC 5176) to a NAS, with pyrad.

Network only: no database here. ``reload_send`` returns what the NAS answered; the
service records it. The dictionary (``radius/dictionary``) is a small RFC subset plus
MikroTik and Cisco; reply attributes it does not know are left out of the CoA and named
in the result, so staff see why a setting did not reach the NAS.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

DICTIONARY = Path(__file__).with_name("dictionary")


@lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    return Dictionary(str(DICTIONARY))


@dataclass(frozen=True)
class CoaResult:
    status: str  # "ack", "nak" or "timeout"
    error_cause: str = ""
    skipped: list = field(default_factory=list)


def reload_send(*, nas_ip: str, port: int, secret: str, disconnect: bool, session: dict,
                reply: dict, timeout: float = 2.0, retries: int = 2) -> CoaResult:
    """Send a CoA-Request carrying ``reply`` (rlm_rest shape) or a Disconnect-Request.

    ``session``: the attributes that identify the session on the NAS (User-Name,
    Acct-Session-Id, Framed-IP-Address).
    """
    client = Client(server=nas_ip, coaport=port, secret=secret.encode(), dict=dictionary(),
                    retries=retries, timeout=timeout)
    code = packet.DisconnectRequest if disconnect else packet.CoARequest
    request = client.CreateCoAPacket(code=code)
    for name, value in session.items():
        if value:
            request[name] = value
    skipped = []
    if not disconnect:
        for key, entry in reply.items():
            name = key.split(":", 1)[1]
            if name not in dictionary().attributes:
                skipped.append(name)
                continue
            values = [_typed(name, v) for v in entry["value"]]
            request[name] = values
    try:
        answer = client.SendPacket(request)
    except Timeout:
        return CoaResult("timeout", skipped=skipped)
    if answer.code in (packet.CoAACK, packet.DisconnectACK):
        return CoaResult("ack", skipped=skipped)
    cause = answer.get("Error-Cause", [""])[0] if "Error-Cause" in answer else ""
    return CoaResult("nak", error_cause=str(cause), skipped=skipped)


def _typed(name: str, value: str):
    if dictionary().attributes[name].type == "integer":
        try:
            return int(value)
        except ValueError:
            return value  # an enumerated name such as "Interim-Update"
    return value
