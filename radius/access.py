"""What an Access-Request is: a login with a password, or a DHCP authorization.

A DHCP login proves nothing but its MAC, so it must be accepted only for a request that
a DHCP server (or relay) on the NAS sent for that MAC — never for a PPP, hotspot or any
other request that carries a password, and never for a request that names a login: a
subscriber with PPPoE access controls the user name and the password it sends, not the
shape of the NAS's own DHCP requests. ``dhcp_mac`` is the one place that tells them
apart; ``radius.views.authorize`` then looks the DHCP client up by that MAC only.

How each NAS type sends a DHCP authorization (and how it differs from its PPP requests,
which always carry ``Framed-Protocol = PPP`` and a PAP/CHAP/MS-CHAP credential):

* MikroTik (``/ip dhcp-server set use-radius=yes``): User-Name = the MAC, an empty
  User-Password, Calling-Station-Id = the MAC or the DHCP client identifier
  (``1:0:e1:c:38:c8:f8``: hardware type 1, the octets unpadded);
* accel-ppp (IPoE, ``[ipoe] password=empty``): Calling-Station-Id = the MAC, User-Name as
  ``username=`` says (the interface, a Lua function's answer);
* Cisco (ISG, DHCP-initiated sessions) and Juniper (DHCP subscribers): the MAC as
  User-Name and/or Calling-Station-Id (``aabb.ccdd.eeff``, ``aa-bb-…``), configured to
  send no password;
* generic: the same rule.

So, for every NAS type, a request is a DHCP authorization when it carries no credential
(no User-Password or an empty one; no CHAP, MS-CHAP or EAP), is not PPP, and names a MAC
in Calling-Station-Id or User-Name (the same MAC when both do). A NAS configured to send
a fixed password for its DHCP clients is refused: such a request cannot be told from a
subscriber's PAP login.
"""

import re

from django.core.exceptions import ValidationError

from .validators import clean_mac

# Attributes that carry a credential other than PAP's User-Password.
CREDENTIALS = ("CHAP-Password", "MS-CHAP-Response", "MS-CHAP2-Response", "EAP-Message")
_MAC_LIKE = re.compile(r"[0-9A-Fa-f:.\-]{12,17}")
# A DHCP client identifier of hardware type 1 (Ethernet): "1:0:e1:c:38:c8:f8".
_CLIENT_ID = re.compile(r"0?1((?::[0-9A-Fa-f]{1,2}){6})")


def mac_or_none(value: str) -> str | None:
    """``value`` as a MAC (``AA:BB:CC:DD:EE:FF``) if it is one in any notation
    ``clean_mac`` knows or a DHCP client identifier of an Ethernet address; else None."""
    client_id = _CLIENT_ID.fullmatch(value)
    if client_id:
        value = ":".join(octet.zfill(2) for octet in client_id.group(1)[1:].split(":"))
    elif not _MAC_LIKE.fullmatch(value):
        return None  # the usual PPPoE login: no exception (and its message) to build
    try:
        return clean_mac(value)
    except ValidationError:
        return None


def dhcp_mac(*, username: str, calling_station_id: str, user_password: str | None,
             other_credential: bool, framed_protocol: str) -> str | None:
    """The client's MAC when the request is a DHCP authorization (module docstring),
    else None: the request is a login's, with a password (possibly a wrong or empty one).
    """
    if user_password or other_credential or framed_protocol.upper() == "PPP":
        return None
    by_station = mac_or_none(calling_station_id) if calling_station_id else None
    by_name = mac_or_none(username) if username else None
    if by_station and by_name and by_station != by_name:
        return None
    return by_station or by_name
