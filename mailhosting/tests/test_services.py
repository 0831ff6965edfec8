"""Hosted mail's services: what they accept, what they provision, what they log."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import ActionLog
from core.tenancy import tenant_context
from customers.services import customer_create
from mailhosting import services
from mailhosting.models import Mailbox, MailHostedDomain, MailRoute, MailUser
from mailhosting.validators import domain_clean, local_part_clean


def test_domain_is_stored_in_idna_lower_case(in_tenant, staff):
    domain = services.maildomain_add(actor=staff, name="  Łódź-Net.PL. ")
    assert domain.name == "xn--d-net-zta66c8n.pl"
    assert domain.display_name == "łódź-net.pl"
    assert MailHostedDomain.objects.get().name == domain.name


@pytest.mark.parametrize("name", ["", "localhost", "a..pl", "-a.pl", "ex ample.pl",
                                  "1.2.3.4", "a" * 64 + ".pl", "x.pl'; DROP TABLE x; --"])
def test_bad_domain_names_are_refused(in_tenant, staff, name):
    with pytest.raises(ValidationError):
        services.maildomain_add(actor=staff, name=name)


def test_a_domain_is_hosted_by_one_tenant_only(in_tenant, staff, other_tenant, other_staff):
    services.maildomain_add(actor=staff, name="alfa-net.pl")
    with tenant_context(other_tenant), pytest.raises(ValidationError) as e:
        services.maildomain_add(actor=other_staff, name="ALFA-NET.pl")
    assert "hosted already" in str(e.value)


@pytest.mark.parametrize("local, expected", [
    ("Jan.Kowalski", "jan.kowalski"), ("o'brien", "o'brien"), ("a+b", "a+b"),
    ("x%u", "x%u"), ("a" * 64, "a" * 64)])
def test_local_part_accepted_shapes(local, expected):
    assert local_part_clean(local) == expected


@pytest.mark.parametrize("local", ["", ".jan", "jan.", "ja..n", "jan kowalski", 'ja"n',
                                   "ja\\n", "jań", "a@b", "a" * 65, "ja\nn", "ja\tn"])
def test_local_part_refused_shapes(local):
    with pytest.raises(ValidationError):
        local_part_clean(local)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_cleaned_local_part_is_always_a_dot_atom(text):
    try:
        clean = local_part_clean(text)
    except ValidationError:
        return
    assert clean == clean.lower() and 1 <= len(clean) <= 64
    assert ".." not in clean and not clean.startswith(".") and not clean.endswith(".")
    assert not set(clean) & set(" \"\\@\0\r\n()<>,;:[]")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=70))
def test_a_cleaned_domain_is_ascii_lower_case(text):
    try:
        clean = domain_clean(text)
    except ValidationError:
        return
    assert clean.isascii() and clean == clean.lower() and "." in clean


def test_mailbox_is_provisioned_with_an_argon2id_hash(mail_domain, customer, staff):
    mailbox, generated = services.mailbox_create(
        actor=staff, customer=customer, domain=mail_domain, local_part="Jan",
        password="Tajne-hasło-1", quota_mb=300)
    assert generated == ""
    row = MailUser.objects.get()
    assert row.email == "jan@alfa-net.pl"
    assert row.password.startswith("{ARGON2ID}$argon2id$v=19$")
    assert "Tajne" not in row.password
    assert services.password_verify(row.password, "Tajne-hasło-1")
    assert not services.password_verify(row.password, "Tajne-haslo-1")
    assert row.quota_bytes == 300 * 1024 * 1024
    assert row.home == f"alfa-net.pl/{mailbox.pk}"


def test_production_hash_parameters_are_owasps():
    """Not the tests' cheap ones (conftest): the parameters the product stores."""
    import importlib

    fresh = importlib.reload(services)
    try:
        stored = fresh.password_hash("x" * 10)
        assert "$m=19456,t=2,p=1$" in stored
    finally:
        importlib.reload(services)


def test_password_is_generated_when_not_given_and_never_logged(mail_domain, customer, staff):
    mailbox, generated = services.mailbox_create(
        actor=staff, customer=customer, domain=mail_domain, local_part="jan")
    assert len(generated) == services.GENERATED_LENGTH
    assert services.password_verify(mailbox.password_hash, generated)
    again = services.mailbox_password_set(actor=staff, mailbox=mailbox)
    assert again and again != generated
    services.mailbox_password_set(actor=staff, mailbox=mailbox, password="Wpisane-haslo")
    entries = ActionLog.objects.filter(customer=customer)
    assert set(entries.values_list("kind", flat=True)) == {"customer.create", "mailbox.add",
                                                          "mailbox.password"}
    dump = str(list(entries.values("message", "params", "changes")))
    for secret in (generated, again, "Wpisane-haslo"):
        assert secret not in dump


@pytest.mark.parametrize("password", ["short", "x" * 129, "tab\there", "nul\0byte",
                                      "line\nbreak"])
def test_bad_passwords_are_refused(mail_domain, customer, staff, password):
    with pytest.raises(ValidationError) as e:
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="jan", password=password)
    assert "password" in e.value.message_dict
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize("quota", [0, -1, 1024 * 1024 + 1, "abc", None])
def test_bad_quotas_are_refused(mail_domain, customer, staff, quota):
    with pytest.raises(ValidationError) as e:
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="jan", password="Haslo-1234", quota_mb=quota)
    assert "quota_mb" in e.value.message_dict


def test_same_address_twice_is_refused(mail_domain, customer, staff):
    services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                            local_part="jan", password="Haslo-1234")
    with pytest.raises(ValidationError) as e:
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="JAN", password="Haslo-1234")
    assert "already" in str(e.value)


def test_disabled_mailbox_or_domain_leaves_the_projection(mail_domain, customer, staff):
    mailbox, _ = services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                         local_part="jan", password="Haslo-1234")
    services.mailbox_update(actor=staff, mailbox=mailbox, active=False)
    assert not MailUser.objects.exists()
    services.mailbox_update(actor=staff, mailbox=mailbox, active=True)
    assert MailUser.objects.count() == 1
    services.maildomain_update(actor=staff, domain=mail_domain, active=False)
    assert not MailUser.objects.exists() and not MailHostedDomain.objects.exists()
    with pytest.raises(ValidationError):
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="ewa", password="Haslo-1234")
    services.maildomain_update(actor=staff, domain=mail_domain, active=True)
    assert MailUser.objects.get().email == "jan@alfa-net.pl"
    change = ActionLog.objects.filter(kind="mailbox.change").first()
    assert change.changes == {"active": [False, True]}


def test_forwarding_routes_and_keeps_a_copy(mail_domain, customer, staff):
    services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                            local_part="jan", password="Haslo-1234")
    forward = services.mailforward_create(
        actor=staff, customer=customer, domain=mail_domain, local_part="jan",
        destinations="Jan@Gmail.com\njan@gmail.com, zofia@łódź.pl", keep_copy=True)
    assert forward.destinations == ["jan@gmail.com", "zofia@xn--d-uga0v4h.pl"]
    routes = set(MailRoute.objects.values_list("source", "destination"))
    assert routes == {("jan@alfa-net.pl", "jan@gmail.com"),
                      ("jan@alfa-net.pl", "zofia@xn--d-uga0v4h.pl"),
                      ("jan@alfa-net.pl", "jan@alfa-net.pl")}
    services.mailforward_update(actor=staff, forward=forward, keep_copy=False,
                                destinations=["nowy@example.com"])
    assert set(MailRoute.objects.values_list("destination", flat=True)) == {
        "nowy@example.com"}
    services.mailforward_update(actor=staff, forward=forward, active=False)
    assert not MailRoute.objects.exists()


@pytest.mark.parametrize("destinations", ["", "jan@alfa-net.pl", "not an address",
                                          "a@b@c.pl", [f"u{i}@x.pl" for i in range(21)]])
def test_bad_destinations_are_refused(mail_domain, customer, staff, destinations):
    with pytest.raises(ValidationError) as e:
        services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                    local_part="jan", destinations=destinations)
    assert "destinations" in e.value.message_dict


def test_forwarding_on_another_customers_mailbox_is_refused(mail_domain, customer, staff):
    neighbour = customer_create(actor=staff, first_name="Ewa", last_name="Sąsiad",
                                status="connected")
    services.mailbox_create(actor=staff, customer=neighbour, domain=mail_domain,
                            local_part="ewa", password="Haslo-1234")
    with pytest.raises(ValidationError) as e:
        services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                    local_part="ewa", destinations="zlodziej@example.com")
    assert "another customer" in str(e.value)
    services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="biuro", destinations="jan@example.com")
    with pytest.raises(ValidationError):
        services.mailbox_create(actor=staff, customer=neighbour, domain=mail_domain,
                                local_part="biuro", password="Haslo-1234")


def test_domain_with_mailboxes_cannot_be_removed(mail_domain, customer, staff):
    mailbox, _ = services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                         local_part="jan", password="Haslo-1234")
    with pytest.raises(ValidationError):
        services.maildomain_remove(actor=staff, domain=mail_domain)
    services.mailbox_remove(actor=staff, mailbox=mailbox)
    assert not MailUser.objects.exists()
    services.maildomain_remove(actor=staff, domain=mail_domain)
    assert not MailHostedDomain.objects.exists()
    assert ActionLog.objects.filter(kind="maildomain.remove").exists()
