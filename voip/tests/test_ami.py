"""The AMI client (voip.ami) against the loopback AMI peer (voip.amipeer), over real TCP.

No database: the peer holds the PBX state in plain objects the tests change.
"""

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from voip.ami import (
    AmiAuthError,
    AmiConnectionError,
    AmiEndpointNotFound,
    AmiError,
    AmiPermissionError,
    AmiTimeoutError,
    Call,
    phone_status,
)
from voip.amipeer import AmiPeer, PeerChannel, PeerContact, PeerEndpoint

USER, SECRET = "abonent", "Tajne: hasło"
PHONE = "4822300001"


def _endpoints():
    desk = PeerContact(
        "sip:4822300001@10.20.0.15:5060;transport=udp",
        roundtrip_usec=1843,
        expires_in=3600,
        via_address="10.20.0.15:5060",
        call_id="4f1c2d3e@10.20.0.15",
    )
    softphone = PeerContact(
        "sip:4822300001@192.168.1.7:61234;ob",
        status="NonQualified",
        roundtrip_usec=0,
        user_agent="Linphone/5.2.5",
        expires_in=1800,
    )
    return {
        PHONE: PeerEndpoint(device_state="In use", contacts=[desk, softphone]),
        "48223000012": PeerEndpoint(contacts=[PeerContact("sip:48223000012@10.20.0.16")]),
        "4822300002": PeerEndpoint(device_state="Unavailable"),
    }


def _channels():
    return [
        PeerChannel(
            "PJSIP/4822300001-0000001a",
            caller_num=PHONE,
            caller_name="Biuro",
            connected_num="600",
            connected_name="Kowalski, Jan",
            exten="600",
            context="from-internal",
            unique_id="1718000100.26",
            bridge_id="8a5e3c2b-1f0d-4c9e-a7b6-0e1d2c3b4a59",
            duration_s=3725,
        ),
        # The prefix trap: another subscriber's number starts with PHONE.
        PeerChannel(
            "PJSIP/48223000012-0000001b",
            caller_num="48223000012",
            exten="112",
            unique_id="1718000105.27",
        ),
        PeerChannel(
            "PJSIP/trunk-orange-0000001c",
            state=5,
            connected_num=PHONE,
            unique_id="1718000107.28",
        ),
    ]


@pytest.fixture
def peer():
    with AmiPeer(username=USER, secret=SECRET, endpoints=_endpoints(), channels=_channels()) as p:
        yield p


def _ask(peer, endpoint=PHONE, **kwargs):
    kwargs.setdefault("timeout", 3.0)
    return phone_status(
        host="127.0.0.1",
        port=peer.port,
        username=kwargs.pop("username", USER),
        secret=kwargs.pop("secret", SECRET),
        endpoint=endpoint,
        **kwargs,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_registered_endpoint_contacts_and_only_its_own_calls(peer):
    status = _ask(peer)

    assert status.registered is True
    assert status.device_state == "In use"
    desk, softphone = status.contacts
    assert desk.uri == "sip:4822300001@10.20.0.15:5060;transport=udp"
    assert desk.status == "Reachable"
    assert desk.user_agent == "Yealink SIP-T46S 66.86.0.15"
    assert desk.roundtrip_ms == pytest.approx(1.843)
    assert 3590 <= desk.expires_s <= 3600
    assert softphone.status == "NonQualified"
    assert softphone.roundtrip_ms is None  # Asterisk says 0: not measured
    assert 1790 <= softphone.expires_s <= 1800
    assert status.calls == [
        Call(
            channel="PJSIP/4822300001-0000001a",
            state="Up",
            caller='"Biuro" <4822300001>',
            connected='"Kowalski, Jan" <600>',
            exten="600",
            context="from-internal",
            duration_s=3725,
            unique_id="1718000100.26",
        )
    ]


def test_unregistered_endpoint(peer):
    status = _ask(peer, "4822300002")
    assert status.registered is False
    assert status.device_state == "Unavailable"
    assert status.contacts == []
    assert status.calls == []


def test_state_changed_between_calls_is_read_again(peer):
    peer.endpoints[PHONE].contacts.clear()
    peer.endpoints[PHONE].device_state = "Unavailable"
    peer.channels.clear()
    status = _ask(peer)
    assert (status.registered, status.device_state, status.calls) == (False, "Unavailable", [])


def test_permanent_contact_alone_is_not_a_registration(peer):
    peer.endpoints[PHONE].contacts = [PeerContact("sip:4822300001@10.20.0.15", expires_in=None)]
    status = _ask(peer)
    assert status.registered is False
    assert status.contacts[0].expires_s is None


def test_actions_sent_login_first_with_own_action_ids(peer):
    _ask(peer)
    names = [action["Action"] for action in peer.actions]
    assert names == ["Login", "PJSIPShowEndpoint", "CoreShowChannels", "Logoff"]
    login = peer.actions[0]
    assert (login["Username"], login["Secret"], login["Events"]) == (USER, SECRET, "off")
    assert peer.actions[1]["Endpoint"] == PHONE
    ids = [action["ActionID"] for action in peer.actions]
    assert len(set(ids)) == 4
    assert len({action_id.rsplit("-", 1)[0] for action_id in ids}) == 1  # one call's prefix


def test_wrong_secret_is_an_auth_error(peer):
    started = time.monotonic()
    with pytest.raises(AmiAuthError) as raised:
        _ask(peer, secret="zgadywane")
    assert time.monotonic() - started < 2.5  # Asterisk's 1 s penalty, not the timeout
    assert USER in str(raised.value)
    assert "Authentication failed" in str(raised.value)
    assert raised.value.code == "auth"
    assert [action["Action"] for action in peer.actions] == ["Login"]


def test_unknown_endpoint_is_a_clear_error(peer):
    with pytest.raises(AmiEndpointNotFound) as raised:
        _ask(peer, "4822399999")
    assert "4822399999" in str(raised.value)
    assert "CoreShowChannels" not in [action["Action"] for action in peer.actions]


def test_ami_user_without_permission():
    denied = ("CoreShowChannels",)
    with (
        AmiPeer(username=USER, secret=SECRET, endpoints=_endpoints(), denied=denied) as peer,
        pytest.raises(AmiPermissionError) as raised,
    ):
        _ask(peer)
    assert "CoreShowChannels" in str(raised.value)
    assert USER in str(raised.value)


def test_line_break_in_endpoint_is_refused_before_connecting():
    port = _closed_port()  # a connection attempt would be a connection error instead
    with pytest.raises(AmiEndpointNotFound):
        phone_status(
            host="127.0.0.1",
            port=port,
            username=USER,
            secret=SECRET,
            endpoint="600\r\nAction: Originate",
        )


def test_nothing_listening_is_a_quick_connection_error():
    started = time.monotonic()
    with pytest.raises(AmiConnectionError) as raised:
        phone_status(
            host="127.0.0.1", port=_closed_port(), username=USER, secret=SECRET, endpoint=PHONE
        )
    assert time.monotonic() - started < 1
    assert "127.0.0.1" in str(raised.value)


def test_peer_without_banner_gives_up_within_the_timeout_as_if_nothing_listened():
    """A port that accepts and stays silent is told exactly like a closed one (whoever
    types an exchange's address must not learn what listens where)."""
    with AmiPeer(username=USER, secret=SECRET, banner=False) as silent:
        started = time.monotonic()
        with pytest.raises(AmiConnectionError) as raised:
            _ask(silent, timeout=1.0)
        elapsed = time.monotonic() - started
        silent_port = silent.port
    assert 0.9 <= elapsed < 1.6
    assert isinstance(raised.value, AmiError)
    closed = _closed_port()
    with pytest.raises(AmiConnectionError) as refused:
        phone_status(host="127.0.0.1", port=closed, username=USER, secret=SECRET,
                     endpoint=PHONE)
    assert str(raised.value).replace(str(silent_port), "PORT") \
        == str(refused.value).replace(str(closed), "PORT") \
        == "No AMI service answered at 127.0.0.1:PORT (check the address, the port and the " \
           "firewall)."


def test_an_exchange_slow_after_the_login_is_a_timeout_naming_the_time():
    """Once the AMI login is taken, the exchange is known to answer: running out of time
    after it says so."""
    with AmiPeer(username=USER, secret=SECRET, endpoints=_endpoints(), channels=_channels(),
                 delay=0.6) as slow, pytest.raises(AmiTimeoutError) as raised:
        _ask(slow, timeout=1.0)
    assert "did not answer within 1 s" in str(raised.value)


def test_slow_peer_within_the_timeout_answers():
    endpoints, channels = _endpoints(), _channels()
    with AmiPeer(
        username=USER, secret=SECRET, endpoints=endpoints, channels=channels, delay=0.25
    ) as slow:
        started = time.monotonic()
        status = _ask(slow, timeout=3.0)
    assert time.monotonic() - started >= 0.75  # three answers, each delayed
    assert status.registered and len(status.calls) == 1


def test_odd_values_and_a_dashed_endpoint_split_across_reads():
    name = 'Żółć: "Zażółć", gęślą <jaźń>'
    endpoints = {
        "biuro-1": PeerEndpoint(contacts=[PeerContact("sip:biuro-1@10.0.0.9", user_agent=name)]),
        "biuro": PeerEndpoint(),
    }
    channels = [
        PeerChannel("PJSIP/biuro-1-0000a0f3", caller_num="601", caller_name=name),
        PeerChannel("PJSIP/biuro-00000001", caller_num="602"),  # endpoint "biuro"
    ]
    with AmiPeer(
        username=USER, secret=SECRET, endpoints=endpoints, channels=channels, chunk_size=5
    ) as peer:
        status = _ask(peer, "biuro-1")
        other = _ask(peer, "biuro")
    assert status.contacts[0].user_agent == name
    assert [call.caller for call in status.calls] == [f'"{name}" <601>']
    assert [call.channel for call in other.calls] == ["PJSIP/biuro-00000001"]


def test_from_threads_at_once_leaves_no_sockets(peer):
    _ask(peer)  # warm-up: imports, translations
    before, threads = _open_fds(), threading.active_count()
    with ThreadPoolExecutor(4) as pool:
        results = [_steady(result) for result in pool.map(lambda _: _ask(peer), range(8))]
    assert all(result == results[0] for result in results)
    deadline = time.monotonic() + 2
    while _open_fds() != before and time.monotonic() < deadline:
        time.sleep(0.05)  # the peer closes its side a moment later
    assert _open_fds() == before
    assert threading.active_count() == threads


def _steady(status):
    """``status`` without what the clock moves between two asks (a contact's seconds left,
    a call's duration): asks a second apart are otherwise the same answer."""
    return (status.registered, status.device_state,
            [replace(contact, expires_s=None) for contact in status.contacts],
            [replace(call, duration_s=0) for call in status.calls])


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- the peer itself, spoken to byte by byte ------------------------------------------------


def _send(sock, **headers):
    sock.sendall("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n")


def _read_message(stream) -> dict[str, str]:
    message: dict[str, str] = {}
    while True:
        line = stream.readline().decode().rstrip("\r\n")
        if not line:
            if message:
                return message
            continue
        key, _, value = line.partition(": ")
        message.setdefault(key, value)


def test_peer_speaks_ami():
    with (
        AmiPeer(username=USER, secret=SECRET, endpoints=_endpoints(), channels=_channels()) as p,
        socket.create_connection(("127.0.0.1", p.port), timeout=5) as sock,
    ):
        stream = sock.makefile("rb")
        assert stream.readline() == b"Asterisk Call Manager/9.0.0\r\n"

        _send(sock, Action="CoreShowChannels", ActionID="a1")
        assert _read_message(stream) == {
            "Response": "Error",
            "ActionID": "a1",
            "Message": "Permission denied",
        }

        _send(sock, Action="Login", ActionID="a2", Username=USER, Secret=SECRET)
        assert _read_message(stream) == {
            "Response": "Success",
            "ActionID": "a2",
            "Message": "Authentication accepted",
        }
        booted = _read_message(stream)
        assert (booted["Event"], booted["Status"]) == ("FullyBooted", "Fully Booted")

        _send(sock, Action="Ping", ActionID="a3")
        pong = _read_message(stream)
        assert (pong["Response"], pong["ActionID"], pong["Ping"]) == ("Success", "a3", "Pong")
        assert float(pong["Timestamp"]) == pytest.approx(time.time(), abs=5)

        _send(sock, Action="Frobnicate", ActionID="a4")
        unknown = _read_message(stream)
        assert unknown["Response"] == "Error"
        assert unknown["Message"].startswith("Invalid/unknown command: Frobnicate.")

        _send(sock, Action="PJSIPShowEndpoint", ActionID="a5", Endpoint=PHONE)
        start = _read_message(stream)
        assert (start["Response"], start["EventList"]) == ("Success", "start")
        events = [_read_message(stream)]
        while events[-1]["Event"] != "EndpointDetailComplete":
            events.append(_read_message(stream))
        assert all(event["ActionID"] == "a5" for event in events)
        kinds = [event["Event"] for event in events]
        assert kinds[0] == "EndpointDetail"
        assert kinds.count("ContactStatusDetail") == 2
        assert {"AorDetail", "AuthDetail"} <= set(kinds)
        assert events[-1]["EventList"] == "Complete"
        assert events[-1]["ListItems"] == str(len(events) - 1)

        _send(sock, Action="CoreShowChannels", ActionID="a6")
        assert _read_message(stream)["Message"] == "Channels will follow"
        channels = [_read_message(stream) for _ in range(4)]
        assert [c["Event"] for c in channels] == ["CoreShowChannel"] * 3 + [
            "CoreShowChannelsComplete"
        ]
        assert channels[1]["ConnectedLineName"] == "<unknown>"
        assert channels[0]["Duration"] == "01:02:05"
        assert channels[-1]["ListItems"] == "3"

        _send(sock, Action="PJSIPShowEndpoint", ActionID="a7", Endpoint="nope")
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += sock.recv(4096)
        # Asterisk's own quirk: a "\n" before the line's CRLF.
        assert raw == (
            b"Response: Error\r\nActionID: a7\r\n"
            b"Message: Unable to retrieve endpoint nope\n\r\n\r\n"
        )

        _send(sock, Action="Logoff", ActionID="a8")
        goodbye = b"".join(stream.readline() for _ in range(4))
        assert goodbye == (
            b"Response: Goodbye\r\nActionID: a8\r\nMessage: Thanks for all the fish.\r\n\r\n"
        )
        assert stream.read() == b""  # and the session is closed
    assert [action["Action"] for action in p.actions][:2] == ["CoreShowChannels", "Login"]


def test_peer_closes_after_a_failed_login():
    with (
        AmiPeer(username=USER, secret=SECRET, auth_fail_delay=0) as p,
        socket.create_connection(("127.0.0.1", p.port), timeout=5) as sock,
    ):
        stream = sock.makefile("rb")
        stream.readline()
        _send(sock, Action="Login", ActionID="x", Username=USER, Secret="bad", Events="off")
        assert _read_message(stream)["Message"] == "Authentication failed"
        assert stream.read() == b""


def test_the_platforms_own_addresses_are_not_asked(settings):
    """An exchange typed as loopback or a cloud's metadata address is never connected to
    on a shared platform (core.netguard); the staff are told why."""
    settings.PEER_ALLOWED_NETWORKS = []
    for host in ("127.0.0.1", "localhost", "169.254.169.254"):
        with pytest.raises(AmiConnectionError, match="not allowed"):
            phone_status(host=host, port=5038, username="abonent", secret="x",
                             endpoint="abonent-1-1", timeout=1)
