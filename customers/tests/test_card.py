"""The customer card as staff use it all day: the summary header, the tabs of its sections
(one rendered, the others loaded when opened), the sidebar of actions, the login IDs next
to each address, and a new customer with the first address in one step."""

from datetime import date, timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_staff
from core.roles import Role
from core.sections import card_sections_for
from customers import services
from customers.models import Address, Customer
from finance import services as finance_services
from radius.services import Accounting, accounting_record, login_block, login_create, nas_create

D = Decimal


def card_url(customer):
    return reverse("customers:card", kwargs={"customer_id": customer.pk})


def page(response):
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def find(tree, selector) -> list:
    """Elements by a small CSS subset: ``#id``, ``.class``, ``tag[attr=value]``, ``tag``,
    each part inside the one before (no cssselect in the environment)."""
    xpath = ""
    for part in selector.split():
        if part.startswith("#"):
            xpath += f'//*[@id="{part[1:]}"]'
        elif part.startswith("."):
            xpath += f'//*[contains(concat(" ", normalize-space(@class), " "), " {part[1:]} ")]'
        elif "[" in part:
            tag, attr = part[:-1].split("[", 1)
            name, _, value = attr.partition("=")
            xpath += f'//{tag}[@{name}="{value}"]' if value else f"//{tag}[@{name}]"
        else:
            xpath += f"//{part}"
    return tree.xpath("." + xpath if tree.getparent() is not None else xpath)


def text(tree, selector) -> str:
    return " ".join(" ".join(e.text_content().split()) for e in find(tree, selector))


def invoice(staff, customer, net, due):
    return finance_services.invoice_issue(
        actor=staff, customer=customer, issue_date=due - timedelta(days=14), due_date=due,
        lines=[{"name": "Abonament", "quantity": D(1), "net_unit_price": D(net),
                "vat_rate": "23"}])


@pytest.fixture
def home(staff, customer):
    return services.address_add(actor=staff, customer=customer, kind="residence",
                                street="Długa", building_no="5", postal_code="00-950",
                                city="Warszawa")


@pytest.fixture
def busy(staff, customer, home):
    """Two overdue invoices (the oldest partly paid), one not yet due; three logins at
    home (a new login is installed at the residence), one online, one blocked by staff."""
    today = timezone.localdate()
    invoice(staff, customer, "100.00", date(2025, 10, 31))  # 123.00 gross
    invoice(staff, customer, "50.00", today - timedelta(days=3))  # 61.50
    invoice(staff, customer, "10.00", today + timedelta(days=10))  # 12.30, not due yet
    finance_services.bank_transfer_record(actor=staff, customer=customer, amount=D("23.00"),
                                          booking_date=today, title="wpłata")
    nas = nas_create(actor=staff, name="BRAS-1", ip="127.0.0.1", secret="s3cret",
                     kind="mikrotik")
    online = login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-pc1",
                          installation_address=home)
    blocked = login_create(actor=staff, customer=customer, login="jan-tv",
                           password="haslo-tv1", installation_address=home)
    login_create(actor=staff, customer=customer, login="jan-zapas", password="haslo-z1")
    login_block(actor=staff, login=blocked, reason="Kradzież sprzętu")
    accounting_record(Accounting(
        status="Start", nas_ip=nas.ip, event_at=timezone.now(), username=online.login,
        unique_id="u-1", acct_session_id="s-1", framed_ip=None, session_time=0,
        input_bytes=0, output_bytes=0))
    return {"online": online, "blocked": blocked}


# --------------------------------------------------------------------------- header

def test_header_shows_balance_overdue_oldest_due_date_and_logins(staff_client, customer, busy):
    tree = page(staff_client.get(card_url(customer), headers={"Accept-Language": "en"}))
    assert text(tree, "#customer-name") == "Jan Kowalski"
    assert text(tree, "#customer-number") == f"no. {customer.number}"
    assert text(tree, "#customer-status") == "connected"
    assert "person" in text(tree, "#customer-kind")
    assert "Długa 5, 00-950 Warszawa" in text(tree, "#summary-address")
    # Owed 123.00 + 61.50 + 12.30, paid 23.00 (the oldest invoice first).
    assert "-173.80" in text(tree, ".summary-balance").replace(",", "").replace("\xa0", "")
    assert "161.50" in text(tree, ".summary-overdue").replace(",", "")  # 100.00 + 61.50
    assert "10/31/2025" in text(tree, ".summary-oldest-due") or \
        "2025-10-31" in text(tree, ".summary-oldest-due")
    logins = text(tree, "#summary-logins")
    assert "1 of 3 online" in logins and "blocked: 1" in logins
    assert text(tree, f"#summary-login-{busy['online'].pk} .login-online") == "online"
    blocked = text(tree, f"#summary-login-{busy['blocked'].pk}")
    assert "blocked by staff" in blocked and "Kradzież sprzętu" in blocked  # not a tooltip


def test_header_in_polish(staff_client, customer, busy):
    with translation.override("pl"):
        tree = page(staff_client.get(card_url(customer),
                                     headers={"Accept-Language": "pl"}))
    assert "Saldo" in text(tree, "#summary-finance")
    assert "161,50" in text(tree, ".summary-overdue")
    assert "31.10.2025" in text(tree, ".summary-oldest-due")
    assert "online" in text(tree, "#summary-logins")


def test_header_of_a_customer_with_nothing(staff_client, customer):
    tree = page(staff_client.get(card_url(customer), headers={"Accept-Language": "en"}))
    assert "No address." in text(tree, "#summary-address")
    assert "Nothing overdue" in text(tree, ".summary-overdue")
    assert "No computers." in text(tree, "#summary-logins")


def test_technician_sees_no_balance(client, tenant, customer, busy):
    client.force_login(make_staff(tenant, "tomek", role=Role.TECHNICIAN))
    tree = page(client.get(card_url(customer)))
    assert not find(tree, "#summary-finance")
    assert find(tree, "#summary-logins")


def test_header_queries_do_not_grow_with_logins_and_documents(staff_client, staff, customer,
                                                              busy,
                                                              django_assert_max_num_queries):
    other = services.customer_create(actor=staff, last_name="Pusty")
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    counts = []
    for shown in (other, customer):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(card_url(shown)).status_code == 200
        counts.append(len(queries))
    # 3 session, user and role, 11 the customer and its rows, 3 the header (balance, open
    # receivables, logins): the same for a customer with nothing and one with everything.
    assert counts == [17, 17]


def test_summary_alone_refreshes_after_a_change(staff_client, customer, busy):
    url = reverse("customers:summary", kwargs={"customer_id": customer.pk})
    tree = page(staff_client.get(url, headers={"HX-Request": "true"}))
    assert tree.get("id") == "card-summary"
    assert tree.get("hx-trigger") == "card-changed from:body"
    assert "Kradzież sprzętu" in tree.text_content()


# --------------------------------------------------------------------------- tabs

def test_only_the_active_section_is_rendered(staff_client, customer, busy):
    html = staff_client.get(card_url(customer)).content.decode()
    assert 'id="section-data"' in html
    for key in ("addresses", "computers", "history", "documents", "actionlog", "annotations"):
        assert f'id="section-{key}"' not in html, key
    tree = lxml.html.fromstring(html)
    tabs = {a.get("data-section-key"): a for a in tree.xpath("//*[@data-card-tab]")}
    assert tabs["data"].get("aria-current") == "page"
    assert tabs["history"].get("href") == "?sekcja=historia#historia"
    assert tabs["history"].get("data-url") == reverse("customers:section",
                                                      args=[customer.pk, "history"])


def test_tabs_have_polish_anchors(in_tenant, staff):
    anchors = {s.key: s.slug for s in card_sections_for(staff)}
    assert anchors["data"] == "dane"
    assert anchors["addresses"] == "adresy"
    assert anchors["history"] == "historia"
    assert anchors["computers"] == "komputery"
    assert anchors["documents"] == "dokumenty"
    assert anchors["actionlog"] == "akcje"
    assert len(set(anchors.values())) == len(anchors)


@pytest.mark.parametrize("name", ["historia", "history"])
def test_sekcja_renders_that_section_in_place(staff_client, customer, busy, name):
    html = staff_client.get(card_url(customer), {"sekcja": name}).content.decode()
    assert 'id="section-history"' in html and 'id="historia"' in html
    assert 'id="section-data"' not in html
    # In place, not lazy: it works without JavaScript.
    assert 'section/history/" hx-trigger="load"' not in html
    assert "FV/" in html


def test_unknown_section_is_404(staff_client, customer):
    assert staff_client.get(card_url(customer), {"sekcja": "nie-ma"}).status_code == 404


def test_section_the_user_may_not_see_is_404(client, tenant, customer):
    client.force_login(make_staff(tenant, "tomek", role=Role.TECHNICIAN))
    assert client.get(card_url(customer), {"sekcja": "historia"}).status_code == 404


def test_full_shows_every_section(staff_client, staff, customer, busy):
    html = staff_client.get(card_url(customer), {"full": "1"}).content.decode()
    for section in card_sections_for(staff):
        assert f'id="section-{section.key}"' in html, section.key


def test_every_tab_loads_its_section(staff_client, staff, customer, busy):
    for section in card_sections_for(staff):
        response = staff_client.get(reverse("customers:section", args=[customer.pk, section.key]),
                                    headers={"HX-Request": "true"})
        assert response.status_code == 200, section.key
        assert f'id="section-{section.key}"' in response.content.decode()


def test_refused_form_is_shown_in_its_section(staff_client, customer):
    response = staff_client.post(reverse("customers:address_add", args=[customer.pk]),
                                 {"kind": "residence", "building_no": "1",
                                  "postal_code": "zły", "city": "Warszawa"})
    html = response.content.decode()
    assert 'id="section-addresses"' in html and 'id="section-data"' not in html
    assert "A Polish postal code looks like 00-950." in html


def test_write_redirects_to_its_tab(staff_client, customer):
    response = staff_client.post(reverse("customers:address_add", args=[customer.pk]),
                                 {"kind": "residence", "building_no": "1",
                                  "postal_code": "00-950", "city": "Warszawa"})
    assert response.status_code == 302
    assert response["Location"].endswith("?sekcja=adresy#adresy")


# --------------------------------------------------------------------------- sidebar

def test_sidebar_of_actions_is_beside_every_section(staff_client, customer):
    for name in ("dane", "historia", "dokumenty"):
        tree = page(staff_client.get(card_url(customer), {"sekcja": name},
                                     headers={"Accept-Language": "en"}))
        actions = {a.get("id"): a for a in find(tree, "#card-actions .card-action")}
        assert actions["card-action-letter"].text_content().strip() == "Generate a letter"
        assert actions["card-action-letter"].get("href").endswith("?sekcja=dokumenty#dokumenty")
        assert actions["card-action-letter"].get("data-opens") == "document-letter"
        assert actions["card-action-document_approve"].get("href") == \
            reverse("documents:approve")
        assert actions["card-action-invoice_create"].get("href") == \
            reverse("finance:invoice_create", args=[customer.pk])
        assert actions["card-action-kp_create"].get("href") == \
            reverse("finance:kp_create", args=[customer.pk])
        assert actions["card-action-login_add"].get("href") == \
            reverse("radius:login_add", args=[customer.pk])


def test_sidebar_in_polish(staff_client, customer):
    with translation.override("pl"):
        tree = page(staff_client.get(card_url(customer), headers={"Accept-Language": "pl"}))
    titles = text(tree, "#card-actions")
    assert "Wygeneruj pismo" in titles and "Dodaj komputer" in titles


def test_sidebar_leaves_out_what_the_user_may_not_do(client, tenant, customer):
    client.force_login(make_staff(tenant, "tomek", role=Role.TECHNICIAN))
    tree = page(client.get(card_url(customer)))
    ids = {a.get("id") for a in find(tree, "#card-actions .card-action")}
    assert "card-action-invoice_create" not in ids and "card-action-kp_create" not in ids


# --------------------------------------------------------------------------- addresses

def test_login_ids_next_to_the_address_they_are_installed_at(staff_client, staff, customer,
                                                             home, busy):
    other = services.address_add(actor=staff, customer=customer, kind="installation",
                                 building_no="7", postal_code="00-950", city="Warszawa")
    tree = page(staff_client.get(card_url(customer), {"sekcja": "adresy"}))
    at_home = text(tree, f"#address-{home.pk} .address-tag")
    assert f"#{busy['online'].pk} jan-pc" in at_home and f"#{busy['blocked'].pk} jan-tv" in at_home
    assert not find(tree, f"#address-{other.pk} .address-tag")
    [tag] = [t for t in find(tree, f"#address-{home.pk} .address-tag")
             if "jan-pc" in t.text_content()]
    assert tag.get("href") == reverse("radius:login", args=[busy["online"].pk])


# --------------------------------------------------------------------------- new customer

def new_customer_post(**address):
    data = {"kind": "person", "status": "interested", "first_name": "Ola",
            "last_name": "Zielińska", "address-kind": "residence", "address-country": "PL"}
    data.update({f"address-{k}": v for k, v in address.items()})
    return data


def test_new_customer_with_the_first_address_in_one_step(staff_client, in_tenant):
    form = page(staff_client.get(reverse("customers:create")))
    assert find(form, "select[name=address-kind] option[selected]")[0].get("value") == \
        "residence"
    response = staff_client.post(reverse("customers:create"), new_customer_post(
        street="Polna", building_no="3", postal_code="00-950", city="Warszawa"), follow=True)
    customer = Customer.objects.get(last_name="Zielińska")
    assert response.redirect_chain[-1][0] == card_url(customer)
    [address] = customer.addresses.all()
    assert (address.kind, address.street, address.city) == ("residence", "Polna", "Warszawa")
    assert "Polna 3, 00-950 Warszawa" in text(page(response), "#summary-address")


def test_refused_address_leaves_no_customer(staff_client, in_tenant):
    response = staff_client.post(reverse("customers:create"), new_customer_post(
        building_no="3", postal_code="00950", city="Warszawa"),
        headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert not Customer.objects.filter(last_name="Zielińska").exists()
    assert not Address.objects.exists()
    tree = lxml.html.fromstring(response.content.decode())
    errors = text(tree, "#first-address .invalid-feedback")
    assert "A Polish postal code looks like 00-950." in errors
    assert find(tree, "input[name=last_name]")[0].get("value") == "Zielińska"  # kept


def test_refused_customer_leaves_no_address(staff_client, in_tenant):
    data = new_customer_post(building_no="3", postal_code="00-950", city="Warszawa")
    data["kind"] = "company"  # without the company's name
    response = staff_client.post(reverse("customers:create"), data)
    assert response.status_code == 400
    assert not Customer.objects.exists() and not Address.objects.exists()


def test_new_customer_without_an_address(staff_client, in_tenant):
    response = staff_client.post(reverse("customers:create"), new_customer_post())
    customer = Customer.objects.get(last_name="Zielińska")
    assert response["Location"] == card_url(customer)
    assert not customer.addresses.exists()


def test_computers_and_phones_share_the_logins_tab_with_a_switch(staff_client, customer):
    html = staff_client.get(card_url(customer) + "?sekcja=telefony").content.decode()
    tree = lxml.html.fromstring(html)
    head = tree.xpath("//*[@id='card-tabs']//*[@data-category-head]")
    assert len(head) == 1 and head[0].get("data-section-key") == "computers"
    assert head[0].get("aria-current") == "page"  # a member of it is open
    visible = [a.get("data-section-key") for a in tree.xpath(
        "//*[@id='card-tabs']//*[@data-card-tab][not(@hidden)]")]
    assert "phones" not in visible and visible.count("computers") == 1
    switch = tree.xpath("//*[@id='section-phones']//*[contains(@class, 'card-category-switch')]"
                        "//*[@data-card-tab]")
    # …and the STB decoders the warehouse issued (warehouse's "Dekodery STB")
    assert [a.get("data-card-tab") for a in switch] == ["komputery", "telefony", "dekodery"]
    assert switch[1].get("aria-current") == "true"
