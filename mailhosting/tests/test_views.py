"""The card's "Konta e-mail" and the mail domains page, as staff use them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from core.tenancy import tenant_context
from mailhosting import services
from mailhosting.models import Mailbox, MailDomain, MailUser

HTMX = {"HX-Request": "true"}


def _add_url(customer):
    return reverse("mailhosting:mailbox_add", kwargs={"customer_id": customer.pk})


def _section_url(customer):
    return reverse("customers:section", kwargs={"customer_id": customer.pk, "key": "mailboxes"})


@pytest.fixture
def operator_client(client, tenant):
    client.force_login(make_staff(tenant, "olek", Role.OPERATOR))
    return client


def test_card_shows_the_section_and_its_sidebar_action(staff_client, mail_domain, customer,
                                                       staff):
    services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                            local_part="jan", password="Haslo-1234", quota_mb=300)
    url = reverse("customers:card", kwargs={"customer_id": customer.pk})
    response = staff_client.get(url + "?sekcja=konta-email")
    html = response.content.decode()
    assert response.status_code == 200
    assert "jan@alfa-net.pl" in html and "300 MB" in html
    assert 'id="card-action-mailbox_add"' in html
    assert "Haslo-1234" not in html and "argon2" not in html


def test_added_mailbox_shows_its_generated_password_once(staff_client, mail_domain, customer):
    response = staff_client.post(_add_url(customer), {
        "local_part": "Jan.Kowalski", "domain": mail_domain.pk, "password": "",
        "quota_mb": 500, "active": "on"}, headers=HTMX)
    assert response.status_code == 200
    mailbox = Mailbox.objects.get()
    html = response.content.decode()
    assert 'id="password-shown"' in html and "jan.kowalski@alfa-net.pl" in html
    shown = html.split('class="generated-password">')[1].split("<")[0]
    assert services.password_verify(mailbox.password_hash, shown)
    again = staff_client.get(_section_url(customer), headers=HTMX).content.decode()
    assert shown not in again and 'id="password-shown"' not in again


def test_added_mailbox_without_htmx_shows_the_card_with_the_password(staff_client,
                                                                     mail_domain, customer):
    response = staff_client.post(_add_url(customer), {
        "local_part": "jan", "domain": mail_domain.pk, "quota_mb": 10, "active": "on"})
    assert response.status_code == 200
    assert 'id="password-shown"' in response.content.decode()
    assert MailUser.objects.get().email == "jan@alfa-net.pl"


def test_refused_mailbox_shows_the_reason_in_the_form(staff_client, mail_domain, customer):
    response = staff_client.post(_add_url(customer), {
        "local_part": "ja..n", "domain": mail_domain.pk, "password": "krótkie",
        "quota_mb": 0}, headers=HTMX)
    html = response.content.decode()
    assert "not two in a row" in html
    assert "at least 8 characters" in html
    assert "Enter a quota from 1 to 1048576 MB." in html
    assert not Mailbox.objects.exists()


def test_password_change_from_the_card(staff_client, mail_domain, customer, staff):
    mailbox, _ = services.mailbox_create(actor=staff, customer=customer,
                                         domain=mail_domain, local_part="jan",
                                         password="Stare-haslo-1")
    url = reverse("mailhosting:mailbox_password",
                  kwargs={"customer_id": customer.pk, "mailbox_id": mailbox.pk})
    response = staff_client.post(url, {"password": "Nowe \"hasło\" \\ 1"}, headers=HTMX)
    assert response.status_code == 200
    mailbox.refresh_from_db()
    assert services.password_verify(mailbox.password_hash, "Nowe \"hasło\" \\ 1")
    assert 'id="password-shown"' not in response.content.decode()
    response = staff_client.post(url, {"password": "x"}, headers=HTMX)
    assert "at least 8 characters" in response.content.decode()


def test_quota_and_active_edit_page(staff_client, mail_domain, customer, staff):
    mailbox, _ = services.mailbox_create(actor=staff, customer=customer,
                                         domain=mail_domain, local_part="jan",
                                         password="Haslo-1234")
    url = reverse("mailhosting:mailbox_edit",
                  kwargs={"customer_id": customer.pk, "mailbox_id": mailbox.pk})
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"quota_mb": "2048"})
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.quota_mb == 2048 and not mailbox.active
    assert not MailUser.objects.exists()
    entry = ActionLog.objects.get(kind="mailbox.change")
    assert entry.changes == {"quota_mb": [1024, 2048], "active": [True, False]}


def test_forwarding_from_the_card(staff_client, mail_domain, customer):
    url = reverse("mailhosting:forward_add", kwargs={"customer_id": customer.pk})
    response = staff_client.post(url, {"local_part": "biuro", "domain": mail_domain.pk,
                                       "destinations": "jan@example.com\newa@example.com"},
                                 headers=HTMX)
    html = response.content.decode()
    assert "biuro@alfa-net.pl" in html and "jan@example.com, ewa@example.com" in html


def test_other_tenants_objects_are_404(staff_client, other_tenant, other_staff,
                                       other_customer, other_mail_domain, customer,
                                       mail_domain):
    with tenant_context(other_tenant):
        mailbox, _ = services.mailbox_create(actor=other_staff, customer=other_customer,
                                             domain=other_mail_domain, local_part="ewa",
                                             password="Haslo-1234")
        forward = services.mailforward_create(actor=other_staff, customer=other_customer,
                                              domain=other_mail_domain, local_part="info",
                                              destinations="x@example.com")
    mine = {"customer_id": customer.pk}
    theirs = {"customer_id": other_customer.pk}
    for name, kwargs in [
        ("mailbox_edit", {**theirs, "mailbox_id": mailbox.pk}),
        ("mailbox_edit", {**mine, "mailbox_id": mailbox.pk}),
        ("mailbox_password", {**mine, "mailbox_id": mailbox.pk}),
        ("mailbox_delete", {**theirs, "mailbox_id": mailbox.pk}),
        ("forward_edit", {**mine, "mailforward_id": forward.pk}),
        ("forward_delete", {**theirs, "mailforward_id": forward.pk}),
        ("mailbox_add", theirs),
        ("domain_toggle", {"maildomain_id": other_mail_domain.pk}),
        ("domain_delete", {"maildomain_id": other_mail_domain.pk}),
    ]:
        response = staff_client.post(reverse(f"mailhosting:{name}", kwargs=kwargs),
                                     {"password": "Haslo-9999", "local_part": "x",
                                      "domain": mail_domain.pk, "quota_mb": 1})
        assert response.status_code == 404, name
    # Their domain is no choice on my card: a forged id is refused by the form.
    response = staff_client.post(_add_url(customer), {
        "local_part": "ewa2", "domain": other_mail_domain.pk, "quota_mb": 5}, headers=HTMX)
    assert "Select a valid choice" in response.content.decode()
    with tenant_context(other_tenant):
        assert Mailbox.objects.count() == 1
        assert services.password_verify(Mailbox.objects.get().password_hash, "Haslo-1234")


def test_operator_manages_mailboxes_but_not_domains_or_deletion(operator_client, mail_domain,
                                                                customer, staff):
    response = operator_client.post(_add_url(customer), {
        "local_part": "jan", "domain": mail_domain.pk, "password": "Haslo-1234",
        "quota_mb": 5, "active": "on"}, headers=HTMX)
    assert response.status_code == 200 and Mailbox.objects.count() == 1
    mailbox = Mailbox.objects.get()
    delete = reverse("mailhosting:mailbox_delete",
                     kwargs={"customer_id": customer.pk, "mailbox_id": mailbox.pk})
    assert operator_client.post(delete).status_code == 403
    assert operator_client.get(reverse("mailhosting:domains")).status_code == 403
    assert "delete this mailbox" not in response.content.decode().lower()


def test_section_queries_do_not_grow_with_mailboxes(staff_client, mail_domain, customer,
                                                    staff):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(_section_url(customer), headers=HTMX).status_code == 200
        return len(queries)

    count()  # the first request of a test asks once for what is cached then

    services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                            local_part="a0", password="Haslo-1234")
    one = count()
    for i in range(1, 6):
        services.mailbox_create(actor=staff, customer=customer, domain=mail_domain,
                                local_part=f"a{i}", password="Haslo-1234")
        services.mailforward_create(actor=staff, customer=customer, domain=mail_domain,
                                    local_part=f"f{i}", destinations="x@example.com")
    # Session, user, membership, the card's customer; then the section's own:
    # mailboxes with domains, forwardings with domains, the active domains of the forms.
    assert count() == one


def test_domains_page_adds_switches_and_removes(staff_client, in_tenant, staff):
    url = reverse("mailhosting:domains")
    response = staff_client.post(url, {"name": "Łódź.pl"})
    assert response.status_code == 302
    page = staff_client.get(url).content.decode()
    assert "łódź.pl" in page and "xn--d-uga0v4h.pl" in page
    domain = MailDomain.objects.get()
    response = staff_client.post(url, {"name": "ŁÓDŹ.PL"})
    assert response.status_code == 400
    assert "hosted already" in response.content.decode()
    staff_client.post(reverse("mailhosting:domain_toggle", kwargs={"maildomain_id": domain.pk}))
    domain.refresh_from_db()
    assert not domain.active
    staff_client.post(reverse("mailhosting:domain_delete", kwargs={"maildomain_id": domain.pk}))
    assert "No mail domains yet." in staff_client.get(url).content.decode()


def test_domains_page_queries_do_not_grow(staff_client, in_tenant, staff, customer):
    url = reverse("mailhosting:domains")
    services.maildomain_add(actor=staff, name="d0.pl")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    count()  # the first request of a test asks once for what is cached then
    one = count()
    for i in range(1, 5):
        domain = services.maildomain_add(actor=staff, name=f"d{i}.pl")
        services.mailbox_create(actor=staff, customer=customer, domain=domain,
                                local_part="jan", password="Haslo-1234")
    # Session, user, membership; then one query: the domains with their counts.
    assert count() == one
