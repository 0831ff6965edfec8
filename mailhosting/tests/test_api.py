"""/api/v1/ of hosted mail: domains, a customer's mailboxes and forwardings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tenancy import tenant_context
from mailhosting import services
from mailhosting.models import Mailbox, MailUser


def _boxes(customer):
    return f"/api/v1/customers/{customer.pk}/mailboxes/"


def test_create_mailbox_with_generated_password_shown_once(api_client, mail_domain, customer):
    response = api_client.post(_boxes(customer), {"domain": mail_domain.pk,
                                                  "local_part": "Jan", "quota_mb": 100},
                               format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["address"] == "jan@alfa-net.pl" and body["quota_mb"] == 100
    assert response["Cache-Control"] == "no-store"
    generated = body["generated_password"]
    assert services.password_verify(Mailbox.objects.get().password_hash, generated)
    listed = api_client.get(_boxes(customer)).json()
    assert listed["results"][0]["address"] == "jan@alfa-net.pl"
    text = str(listed) + str(api_client.get(f"{_boxes(customer)}{body['id']}/").json())
    assert generated not in text and "password_hash" not in text and "argon2" not in text


def test_typed_password_is_write_only(api_client, mail_domain, customer):
    password = "Zażółć \"gęślą\" \\ jaźń"
    response = api_client.post(_boxes(customer), {"domain": mail_domain.pk,
                                                  "local_part": "zofia",
                                                  "password": password}, format="json")
    assert response.status_code == 201
    assert response.json()["generated_password"] == ""
    assert password not in response.content.decode()
    assert services.password_verify(MailUser.objects.get().password, password)


def test_refused_input_names_the_fields(api_client, mail_domain, customer):
    response = api_client.post(_boxes(customer), {"domain": mail_domain.pk,
                                                  "local_part": "a b", "password": "short",
                                                  "quota_mb": -5}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"local_part", "password", "quota_mb"}


def test_password_change_quota_and_delete(api_client, mail_domain, customer, staff):
    mailbox, _ = services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                         local_part="jan", password="Stare-haslo-1")
    url = f"{_boxes(customer)}{mailbox.pk}/"
    response = api_client.post(url + "password/", {}, format="json")
    assert response.status_code == 200
    generated = response.json()["generated_password"]
    assert services.password_verify(MailUser.objects.get().password, generated)
    response = api_client.post(url + "password/", {"password": "Nowe-haslo-12"},
                               format="json")
    assert response.json() == {"generated_password": ""}
    response = api_client.patch(url, {"quota_mb": 5, "active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False
    assert not MailUser.objects.exists()
    assert api_client.delete(url).status_code == 204
    assert not Mailbox.objects.exists()


def test_same_mailbox_twice_is_refused(api_client, mail_domain, customer):
    data = {"domain": mail_domain.pk, "local_part": "jan", "password": "Haslo-1234"}
    assert api_client.post(_boxes(customer), data, format="json").status_code == 201
    response = api_client.post(_boxes(customer), data, format="json")
    assert response.status_code == 400
    assert "already" in response.json()["errors"]["local_part"][0]


def test_other_tenants_ids_are_404_or_refused(api_client, other_tenant, other_staff,
                                              other_customer, other_mail_domain, customer,
                                              mail_domain):
    with tenant_context(other_tenant):
        mailbox, _ = services.mailbox_create(actor=other_staff, customer=other_customer,
                                             domain=other_mail_domain, local_part="ewa",
                                             password="Haslo-1234")
    assert api_client.get(_boxes(other_customer)).status_code == 404
    assert api_client.get(f"{_boxes(customer)}{mailbox.pk}/").status_code == 404
    assert api_client.post(f"{_boxes(customer)}{mailbox.pk}/password/", {},
                           format="json").status_code == 404
    assert api_client.patch(f"/api/v1/mail-domains/{other_mail_domain.pk}/",
                            {"active": False}, format="json").status_code == 404
    response = api_client.post(_boxes(customer), {"domain": other_mail_domain.pk,
                                                  "local_part": "x"}, format="json")
    assert response.status_code == 400 and "domain" in response.json()["errors"]
    with tenant_context(other_tenant):
        assert services.password_verify(Mailbox.objects.get().password_hash, "Haslo-1234")


def test_domains_endpoint(api_client, in_tenant, other_api_client):
    response = api_client.post("/api/v1/mail-domains/", {"name": "Łódź.pl"}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "xn--d-uga0v4h.pl"
    assert response.json()["name_unicode"] == "łódź.pl"
    # Another ISP may not host it too, and is not told who does.
    response = other_api_client.post("/api/v1/mail-domains/", {"name": "xn--d-uga0v4h.pl"},
                                     format="json")
    assert response.status_code == 400
    assert other_api_client.get("/api/v1/mail-domains/").json()["results"] == []


def test_operator_cannot_manage_domains(client, tenant, in_tenant):
    from conftest import make_staff, token_client
    from core.roles import Role

    operator = token_client(make_staff(tenant, "olek", Role.OPERATOR), tenant)
    assert operator.post("/api/v1/mail-domains/", {"name": "x.pl"},
                         format="json").status_code == 403


def test_forwards_endpoint(api_client, mail_domain, customer):
    url = f"/api/v1/customers/{customer.pk}/mail-forwards/"
    response = api_client.post(url, {"domain": mail_domain.pk, "local_part": "biuro",
                                     "destinations": ["Jan@Example.com", "ewa@example.com"]},
                               format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["destinations"] == ["jan@example.com", "ewa@example.com"]
    forward_id = response.json()["id"]
    response = api_client.patch(f"{url}{forward_id}/", {"destinations": ["not-an-address"]},
                                format="json")
    assert response.status_code == 400
    assert api_client.delete(f"{url}{forward_id}/").status_code == 204


@pytest.mark.parametrize("endpoint", ["mailboxes", "mail-forwards"])
def test_list_queries_do_not_grow(api_client, mail_domain, customer, staff, endpoint):
    url = f"/api/v1/customers/{customer.pk}/{endpoint}/"

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(url).status_code == 200
        return len(queries)

    services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                            local_part="first", password="Haslo-1234")
    services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part="first-f", destinations="x@example.com")
    count()  # the first request of a test asks once for what is cached then
    one = count()
    for i in range(5):
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part=f"u{i}", password="Haslo-1234")
        services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                    local_part=f"f{i}", destinations="x@example.com")
    # Token, membership, token's last use; the customer; the page's count and rows
    # (with their domains).
    assert count() == one
