"""Addresses a tenant types (an exchange's AMI, an OLT) the platform may connect to:
never its own loopback, link-local (a cloud's metadata service) or reserved ones,
unless the platform's administrator allows a network; private ranges always."""

import pytest
from django.core.exceptions import ValidationError

from core import netguard


@pytest.mark.parametrize(("address", "allowed"), [
    ("10.20.0.1", True), ("192.168.1.10", True), ("172.16.5.5", True),
    ("100.64.0.1", True),  # CGNAT: ISPs' own
    ("8.8.8.8", True),
    ("2a00:1450:4001::1", True), ("fd00::5", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("::1", False),
    ("::ffff:127.0.0.1", False),  # loopback in IPv6 clothing
    ("169.254.169.254", False), ("fe80::1", False), ("fe80::1%eth0", False),
    ("0.0.0.0", False), ("0.1.2.3", False), ("::", False),
    ("224.0.0.1", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo of 127.0.0.1
    ("fd00:ec2::254", False), ("100.100.100.200", False),  # clouds' metadata services
])
def test_which_addresses_a_tenant_may_make_the_platform_reach(settings, address, allowed):
    settings.PEER_ALLOWED_NETWORKS = []
    assert netguard.address_allowed(address) is allowed


def test_an_allowed_network_lets_in_that_network_only(settings):
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert netguard.address_allowed("127.0.0.1")
    assert not netguard.address_allowed("127.0.0.2")
    assert not netguard.address_allowed("169.254.169.254")
    assert not netguard.address_allowed("::1")  # the IPv4 network does not cover IPv6


def test_the_platforms_own_private_networks_can_be_denied(settings):
    settings.PEER_DENIED_NETWORKS = ["10.20.0.0/16"]
    assert not netguard.address_allowed("10.20.3.4")
    assert netguard.address_allowed("10.21.3.4")
    assert not netguard.address_allowed("::ffff:10.20.3.4")
    settings.PEER_ALLOWED_NETWORKS = ["10.0.0.0/8"]  # denied wins
    assert not netguard.address_allowed("10.20.3.4")


def test_a_name_is_checked_by_every_address_it_resolves_to(settings):
    settings.PEER_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError, match="localhost") as refused:
        netguard.host_addresses("localhost", what="the exchange")
    assert "127.0.0.1" not in str(refused.value)  # what a name resolves to is not told
    with pytest.raises(ValidationError, match="does not resolve"):
        netguard.host_addresses("no-such-host.invalid", what="the exchange")
    settings.PEER_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    assert "127.0.0.1" in netguard.host_addresses("localhost", what="the exchange")


def test_an_address_typed_is_refused_at_saving_a_name_only_when_connecting(settings):
    settings.PEER_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError, match="PEER_ALLOWED_NETWORKS"):
        netguard.host_check("169.254.169.254", what="the exchange")
    netguard.host_check("localhost", what="the exchange")  # resolved when connecting
    netguard.host_check("10.0.0.5", what="the exchange")


_LONGEST = ("a" * 63 + ".") * 3 + "a" * 61  # 253 characters


@pytest.mark.parametrize(("host", "valid"), [
    ("a" * 63 + ".pl", True), ("a" * 64 + ".pl", False),  # a label: at most 63
    (_LONGEST, True), (_LONGEST + ".", True),  # the root's dot is not counted
    (_LONGEST + "a", False), (_LONGEST + "a.", False),  # 254
    ("-smtp.example.pl", False), ("smtp-.example.pl", False), ("smtp.example.pl-", False),
    ("a..b", False), (".example.pl", False), ("", False), (".", False),
    ("zażółć.pl", False), ("xn--za-6ja4f8n1l.pl", True),  # an IDN in its ASCII form
    ("smtp_1.example.pl", False),
    ("127.1", False), ("2130706433", False), ("10.0.0.999", False),  # addresses in disguise
    ("1smtp.example.pl", True), ("SMTP.Example.PL", True),
])
def test_the_one_host_name_rule(host, valid):
    assert netguard.hostname_valid(host) is valid


def test_a_name_that_does_not_resolve_is_told_apart_from_one_refused(settings):
    settings.PEER_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as unresolved:
        netguard.host_addresses("no-such-host.invalid", what="the exchange")
    assert unresolved.value.code == netguard.UNRESOLVED
    with pytest.raises(ValidationError) as refused:
        netguard.host_addresses("localhost", what="the exchange")
    assert refused.value.code != netguard.UNRESOLVED
