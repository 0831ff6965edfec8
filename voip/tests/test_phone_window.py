"""A phone's window: its settings and, from the exchange's AMI (the loopback peer speaking
the AMI protocol), its registration and current calls."""

import pytest
from django.urls import reverse

from voip import services
from voip.amipeer import AmiPeer, PeerChannel, PeerContact, PeerEndpoint
from voip.models import ExchangeServer

pytestmark = pytest.mark.django_db(databases=["default", "asterisk"])
USER, SECRET = "abonent", "Tajne-AMI-1"


@pytest.fixture
def phone(in_tenant, staff, customer, numbers_range):
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range)[0]


@pytest.fixture
def peer(phone):
    endpoint = str(phone.number.number)
    endpoints = {endpoint: PeerEndpoint(device_state="In use", contacts=[
        PeerContact(f"sip:{endpoint}@10.20.0.15:5060", user_agent="Yealink T46S")]),
        endpoint + "1": PeerEndpoint()}
    channels = [PeerChannel(f"PJSIP/{endpoint}-0000001a", caller_num=endpoint,
                            connected_num="48601234567", exten="48601234567",
                            unique_id="1.1", duration_s=75),
                # another subscriber whose number starts with this one's
                PeerChannel(f"PJSIP/{endpoint}1-0000001b", caller_num=endpoint + "1",
                            exten="112", unique_id="1.2")]
    with AmiPeer(username=USER, secret=SECRET, endpoints=endpoints, channels=channels) as p:
        yield p


def urls(phone):
    args = [phone.customer_id, phone.pk]
    return reverse("voip:phone_window", args=args), reverse("voip:phone_live", args=args)


def exchange(peer, secret=SECRET, name="Centrala"):
    return ExchangeServer.objects.create(name=name, ami_host="127.0.0.1", ami_port=peer.port,
                                         ami_username=USER, ami_secret=secret)


def test_the_window_shows_the_phone_and_its_live_state_from_the_exchange(
        client, staff, phone, peer):
    exchange(peer)
    client.force_login(staff)
    window, live = urls(phone)
    page = client.get(window)
    assert page.status_code == 200 and f"+{phone.number.number}".encode() in page.content
    assert live.encode() in page.content  # loaded by htmx, the page never waits
    body = client.get(live).content.decode()
    assert "registered" in body or "zarejestrowany" in body
    assert "Yealink T46S" in body and "48601234567" in body
    assert f"PJSIP/{phone.number.number}1-" not in body  # not the prefix-sharing phone's


def test_a_refused_login_or_a_missing_exchange_is_said_not_raised(client, staff, phone, peer):
    client.force_login(staff)
    _window, live = urls(phone)
    body = client.get(live).content.decode()
    assert 'id="phone-live-error"' in body  # no exchange yet
    server = exchange(peer, secret="zle-haslo")
    body = client.get(live).content.decode()
    assert 'id="phone-live-error"' in body and "Yealink" not in body
    server.delete()
    exchange(peer, name="A"), exchange(peer, name="B")  # two, and the phone names none
    body = client.get(live).content.decode()
    assert 'id="phone-live-error"' in body


def test_the_phone_named_exchange_is_asked(client, staff, phone, peer):
    exchange(peer, secret="zle-haslo", name="A")
    right = exchange(peer, name="B")
    phone.server = right
    phone.save(update_fields=["server"])
    client.force_login(staff)
    assert "Yealink T46S" in client.get(urls(phone)[1]).content.decode()


def test_another_customers_or_tenants_phone_is_404(client, staff, phone, other_staff,
                                                    other_tenant):
    window, live = urls(phone)
    client.force_login(other_staff)
    assert client.get(window).status_code == 404 and client.get(live).status_code == 404
    client.force_login(staff)
    wrong = reverse("voip:phone_window", args=[phone.customer_id + 999, phone.pk])
    assert client.get(wrong).status_code == 404


def test_a_phone_takes_only_an_exchange_of_its_tenant(staff, phone, other_tenant):
    from django.core.exceptions import ValidationError

    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        foreign = ExchangeServer.objects.create(name="Obca", ami_host="127.0.0.1",
                                                ami_username="x", ami_secret="y")
    with pytest.raises(ValidationError) as refused:
        services.phone_update(actor=staff, phone=phone, server=foreign.pk)
    assert "server" in refused.value.message_dict
    own = ExchangeServer.objects.create(name="Nasza", ami_host="127.0.0.1", ami_username="x",
                                        ami_secret="y")
    assert services.phone_update(actor=staff, phone=phone, server=own.pk).server == own
    assert services.phone_update(actor=staff, phone=phone, server="").server is None
