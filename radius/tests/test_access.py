"""Who gets in, through the real FreeRADIUS installed as the README says.

* a DHCP login only for a DHCP authorization by its MAC, never with a password (the whole
  matrix of login type × request type × right/wrong/no password);
* MS-CHAP v1 and v2 (computed here, with the server's MS-CHAP2-Success checked);
* passwords and reply values of any printable characters arrive exactly as stored, and
  each request leaves exactly one outcome in the log.
"""

import hashlib
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyrad import packet
from pyrad.client import Client

from radius.coa import dictionary
from radius.models import AuthEvent
from radius.services import login_create, login_update, nas_create, pool_create
from radius.tests.freeradius import SECRET, radclient, readme_install_steps
from radius.tests.mschap import mschap_v1, mschap_v2
from radius.validators import clean_password

pytestmark = [pytest.mark.radius, pytest.mark.django_db(transaction=True)]

PPPOE_PASSWORD = "Ala-ma-kota-1"
DHCP_PASSWORD = "Dhcp-stored-9"  # a DHCP login has one too: it must never open it
DHCP_MAC = "02:00:5E:00:01:44"
PPPOE_MAC = "02:00:5E:00:02:01"


@pytest.fixture
def network(customer, staff):
    nas = nas_create(actor=staff, name="BRAS 1", ip="127.0.0.1", secret=SECRET,
                     kind="mikrotik")
    pool = pool_create(actor=staff, name="CGNAT", network="100.64.0.0/24",
                       range_start="100.64.0.10", range_end="100.64.0.20")
    pppoe = login_create(actor=staff, customer=customer, login="k00143",
                         password=PPPOE_PASSWORD, mac=PPPOE_MAC, pool=pool, nases=[nas])
    dhcp = login_create(actor=staff, customer=customer, login="k00144", auth_type="dhcp",
                        password=DHCP_PASSWORD, mac=DHCP_MAC, pool=pool, nases=[nas])
    return nas, pppoe, dhcp


def send(server, attributes: dict):
    return radclient(server, "auth", {"NAS-IP-Address": "127.0.0.1", **attributes})


def password_requests(user: str, password: str) -> dict[str, dict]:
    """Every way a PPP peer (or a hotspot, or radtest) proves a password."""
    v2, _success = mschap_v2(user, password, authenticator=os.urandom(16),
                             peer=os.urandom(16))
    return {
        "PAP": {"User-Password": password},
        "PAP over PPP": {"User-Password": password, "Framed-Protocol": "PPP"},
        "CHAP": {"CHAP-Password": password},
        "CHAP with its challenge": {"CHAP-Password": password,
                                    "CHAP-Challenge": "0x" + os.urandom(16).hex()},
        "MS-CHAPv1": mschap_v1(password, challenge=os.urandom(8)),
        "MS-CHAPv2": v2,
    }


def test_a_dhcp_login_opens_only_for_a_dhcp_authorization_by_its_mac(radius_server,
                                                                     network):
    _nas, pppoe, dhcp = network
    outcomes, expected = {}, {}
    # User-Name: each login's name, the DHCP login's MAC (two notations), the PPPoE
    # login's MAC; each with every kind of password: right, wrong, empty.
    for user, right in (("k00143", PPPOE_PASSWORD), ("k00144", DHCP_PASSWORD),
                        (DHCP_MAC, DHCP_PASSWORD), ("0200.5e00.0144", DHCP_PASSWORD),
                        (PPPOE_MAC, PPPOE_PASSWORD)):
        for which, password in (("right", right), ("wrong", right + "x"), ("empty", "")):
            for kind, attributes in password_requests(user, password).items():
                if not password and kind.startswith(("CHAP", "MS-")):
                    continue  # no such request: PAP with an empty password stands for it
                key = (user, kind, which)
                outcomes[key] = send(radius_server, {
                    "User-Name": user, "Calling-Station-Id": DHCP_MAC, **attributes}).code
                # An empty PAP password outside PPP with the DHCP login's MAC is exactly
                # what MikroTik's DHCP server sends: the one password-shaped way in.
                opens = (user == "k00143" and which == "right") or (
                    user in (DHCP_MAC, "0200.5e00.0144") and kind == "PAP"
                    and which == "empty")
                expected[key] = "Access-Accept" if opens else "Access-Reject"
    # No password at all, not PPP: a DHCP authorization as each NAS type sends it.
    dhcp_shapes = {
        "MikroTik: MAC, empty password, client id": {
            "User-Name": DHCP_MAC, "User-Password": "",
            "Calling-Station-Id": "1:2:0:5e:0:1:44", "NAS-Port-Type": "Ethernet"},
        "accel-ppp: interface as the name, MAC in Calling-Station-Id": {
            "User-Name": "eth0.144", "Calling-Station-Id": DHCP_MAC.lower()},
        "Cisco: dotted MAC as the name": {"User-Name": "0200.5e00.0144"},
        "Juniper: hyphens, both": {"User-Name": "02-00-5E-00-01-44",
                                   "Calling-Station-Id": "02-00-5E-00-01-44"},
    }
    not_dhcp = {
        "the DHCP login's name": {"User-Name": "k00144", "Calling-Station-Id": DHCP_MAC},
        "the PPPoE login's name": {"User-Name": "k00143", "Calling-Station-Id": PPPOE_MAC},
        "the PPPoE login's MAC": {"User-Name": PPPOE_MAC, "Calling-Station-Id": PPPOE_MAC},
        "PPP without a password": {"User-Name": DHCP_MAC, "Calling-Station-Id": DHCP_MAC,
                                   "Framed-Protocol": "PPP"},
        "two different MACs": {"User-Name": DHCP_MAC, "Calling-Station-Id": PPPOE_MAC},
        "an unknown MAC": {"User-Name": "02:00:5E:00:09:99"},
        "no MAC at all": {"User-Name": "eth0.144"},
    }
    for name, attributes in {**dhcp_shapes, **not_dhcp}.items():
        reply = send(radius_server, attributes)
        outcomes[name] = reply.code
        expected[name] = "Access-Accept" if name in dhcp_shapes else "Access-Reject"
        if reply.code == "Access-Accept":
            assert reply.get("Framed-IP-Address") == [dhcp.ip], name

    assert outcomes == expected
    # One outcome logged per request, on the login it was about where there is one.
    assert AuthEvent.objects.count() == len(outcomes)
    assert set(AuthEvent.objects.filter(result="accept").values_list(
        "login", flat=True)) == {pppoe.pk, dhcp.pk}


def test_mschap_v1_and_v2_with_the_readme_configuration(radius_server, network):
    # The README keeps Debian's inner-tunnel site, which makes Debian's mschap module say
    # "Auth-Type = mschap": the configuration under test must be that one.
    assert ["rm", "sites-enabled/default"] in readme_install_steps()
    assert (radius_server.workdir / "sites-enabled" / "inner-tunnel").exists()
    challenge = os.urandom(8)
    for password, code in ((PPPOE_PASSWORD, "Access-Accept"), ("wrong", "Access-Reject")):
        reply = send(radius_server, {"User-Name": "k00143",
                                     **mschap_v1(password, challenge=challenge)})
        assert reply.code == code, reply.output

        request, success = mschap_v2("k00143", password, authenticator=os.urandom(16),
                                     peer=os.urandom(16), ident=7)
        reply = send(radius_server, {"User-Name": "k00143", **request})
        assert reply.code == code, reply.output
        if code == "Access-Accept":
            # The server proves it knew the password: the peer would drop it otherwise.
            assert reply.get("MS-CHAP2-Success") == [success]
            assert reply.get("Framed-IP-Address") == ["100.64.0.10"]
    assert "Auth-Type = mschap" in radius_server.output()
    assert list(AuthEvent.objects.order_by("id").values_list("result", flat=True)) == \
        ["accept", "accept", "reject", "reject"]


def pyrad_auth(server, user: str, password: str, *, chap: bool = False) -> packet.Packet:
    """An Access-Request by pyrad (PAP, or CHAP whose challenge is the request
    authenticator, so FreeRADIUS's chap module checks it), whose decoding of the answer
    is byte-exact. radclient cannot: it takes a CHAP password as octets, unescaped."""
    client = Client(server="127.0.0.1", authport=server.auth_port, secret=SECRET.encode(),
                    dict=dictionary(), timeout=3, retries=1)
    authenticator = os.urandom(16)
    request = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=user,
                                      authenticator=authenticator)
    request["NAS-IP-Address"] = "127.0.0.1"
    if chap:
        digest = hashlib.md5(b"\x07" + password.encode() + authenticator,
                             usedforsecurity=False).digest()
        request["CHAP-Password"] = b"\x07" + digest
    else:
        request["User-Password"] = request.PwCrypt(password)
    return client.SendPacket(request)


def storable(text: str) -> bool:
    try:
        clean_password(text)
    except Exception:  # noqa: BLE001 - ValidationError: not a password one can store
        return False
    return True


# Printable text, with the characters that cross into FreeRADIUS's parsers often.
TRICKY = st.text(
    alphabet=st.one_of(st.sampled_from('\\"\'%{}$`&;: '),
                       st.characters(min_codepoint=0x20,
                                     blacklist_categories=("Cs", "Cc", "Zl", "Zp"))),
    min_size=1, max_size=40).filter(storable)


def test_passwords_and_reply_values_arrive_exactly_as_stored(radius_server, network, staff):
    _nas, pppoe, _dhcp = network
    requests = 0

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(password=TRICKY, value=TRICKY)
    # The cases of the issue, always: a doubled and a lone backslash, quotes, xlat,
    # an octal escape, non-ASCII.
    @example(password="back\\\\slash", value="back\\slash")
    @example(password="\\", value='"\\101%{User-Name}\\')
    @example(password="Zażółć gęślą jaźń", value="{blokada} 50%")
    def round_trip(password, value):
        nonlocal requests
        login = login_update(actor=staff, login=pppoe, password=password,
                             attributes=[("Mikrotik-Address-List", ":=", value),
                                         ("Reply-Message", ":=", value)])

        accepted = pyrad_auth(radius_server, "k00143", password)
        rejected = pyrad_auth(radius_server, "k00143", password + "\\")
        chap = pyrad_auth(radius_server, "k00143", password, chap=True)
        v2, success = mschap_v2("k00143", password, authenticator=os.urandom(16),
                                peer=os.urandom(16))
        mschap = send(radius_server, {"User-Name": "k00143", **v2})
        requests += 4

        assert accepted.code == packet.AccessAccept, (password, login.password)
        assert accepted["Mikrotik-Address-List"] == [value]
        assert accepted["Reply-Message"] == [value]
        assert rejected.code == packet.AccessReject
        # CHAP without its challenge and MS-CHAP: FreeRADIUS checks the password it got.
        assert chap.code == packet.AccessAccept
        assert chap["Reply-Message"] == [value]
        assert mschap.code == "Access-Accept", mschap.output
        assert mschap.get("MS-CHAP2-Success") == [success]

    round_trip()

    assert AuthEvent.objects.count() == requests
    assert AuthEvent.objects.filter(result="reject").count() == requests // 4
