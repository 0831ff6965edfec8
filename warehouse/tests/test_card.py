"""The customer card's "Sprzęt kliencki" as staff use it: the equipment listed, a WZ and a
ZW from the card, the description edited in its row, an ONT bound to a login; refusals
shown in the section with nothing posted; other tenants' ids are 404s; who may do what."""

import uuid
from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff
from core.models import ActionLog
from core.roles import Role
from customers.services import address_add, customer_create
from radius.services import login_create
from warehouse import services
from warehouse.models import StockDocument, StockItem
from warehouse.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def stock(in_tenant, staff):
    stock = factories.Stock()
    factories.receive(staff, warehouse=stock.main, product=stock.ont, serials=[
        {"serial": "ONT1", "mac": "00:11:22:33:44:01", "gpon_serial": "DSNW00000001"},
        "ONT2", "ONT3"])
    factories.receive(staff, warehouse=stock.main, product=stock.stb,
                      serials=[{"serial": "STB1", "mac": "00:11:22:33:44:a1"}, "STB2"])
    factories.receive(staff, warehouse=stock.van, product=stock.ont, serials=["VAN1"])
    return stock


@pytest.fixture
def neighbour(staff, in_tenant):
    return customer_create(actor=staff, first_name="Ewa", last_name="Nowak")


def url(name, customer, **kw):
    return reverse(f"warehouse:{name}", kwargs={"customer_id": customer.pk, **kw})


def section(client, customer, key="equipment"):
    return client.get(reverse("customers:section", kwargs={"customer_id": customer.pk,
                                                           "key": key}), headers=HTMX)


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def texts(response, xpath) -> list[str]:
    return [" ".join(e.text_content().split()) for e in tree(response).xpath(xpath)]


def serials_shown(response) -> list[str]:
    return texts(response, "//*[@id='equipment']//code[@class='equipment-serial']")


def issue(staff, stock, customer, serials, **extra):
    return factories.issue(staff, warehouse=stock.main, customer=customer, serials=serials,
                           **extra)


def issue_post(**fields):
    return {"warehouse": "", "lines": "", "settlement": "none", "lease_tariff": "",
            "deposit": "", "address": "", "issued_on": "", "note": "",
            "request_token": str(uuid.uuid4()), **fields}


def client_of(client, tenant, role, name):
    client.force_login(make_staff(tenant, name, role=role))
    return client


# --------------------------------------------------------------------------- the list

def test_the_section_lists_the_equipment_with_its_wz_and_features(staff_client, staff, stock,
                                                                  customer):
    wz = issue(staff, stock, customer, ["ONT1", "STB1"])
    services.item_description_set(actor=staff, item=StockItem.objects.get(serial="ONT1"),
                                  description="Na strychu")
    response = section(staff_client, customer)
    assert response.status_code == 200
    assert sorted(serials_shown(response)) == ["ONT1", "STB1"]
    ont = StockItem.objects.get(serial="ONT1")
    row = texts(response, f"//tr[@id='equipment-{ont.pk}']")[0]
    assert "ONT Dasan H660GM" in row and "00:11:22:33:44:01" in row
    assert wz.number in row and "Na strychu" in row
    features = texts(response, "//dl[contains(@class, 'equipment-features')]")
    assert any("GPON serial" in f and "DSNW00000001" in f and "not registered" in f
               for f in features)
    # the WZ links to its paper (the document's page where the stock pages are)
    link = tree(response).xpath("//a[@class='equipment-wz']")[0].get("href")
    assert staff_client.get(link).status_code == 200


def test_the_sections_queries_do_not_grow_with_the_equipment(staff_client, staff, stock,
                                                             customer, neighbour,
                                                             django_assert_num_queries):
    issue(staff, stock, customer, ["ONT1"])
    issue(staff, stock, neighbour, ["ONT2", "ONT3", "STB1", "STB2"])
    login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123")
    staff_client.get(reverse("customers:list"))  # the first request stores the tenant
    # 3: session, user, membership (active tenant, with the role: permissions);
    # 11: the customer for the card (joined with its panel account) and its prefetches;
    # 5: the equipment with products, WZs and logins; the active warehouses and tariffs
    #    (the issue and return forms); the customer's logins (binding); the OLTs (an ONT
    #    is among the equipment);
    # 1: the counted goods at the customer (none: their products are not read).
    for shown, count in ((customer, 1), (neighbour, 4)):
        with django_assert_num_queries(3 + 11 + 5 + 1):
            response = section(staff_client, shown)
        assert len(serials_shown(response)) == count


def test_the_section_shows_the_counted_goods_the_customer_still_has(staff_client, staff,
                                                                   stock, customer, neighbour):
    factories.receive(staff, warehouse=stock.main, product=stock.cable, quantity=100)
    factories.issue(staff, warehouse=stock.main, customer=customer,
                    quantities=[(stock.cable, "30")])
    factories.issue(staff, warehouse=stock.main, customer=customer,
                    quantities=[(stock.cable, "2.5")])
    services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                         lines=[{"product": stock.cable.pk, "quantity": "12"}])
    factories.issue(staff, warehouse=stock.main, customer=neighbour,
                    quantities=[(stock.cable, "7")])
    cells = texts(section(staff_client, customer), "//tr[@class='equipment-counted-row']/td")
    assert cells == ["Kabel UTP kat. 5e", "20.5 m"]
    services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                         lines=[{"product": stock.cable.pk, "quantity": "20.5"}])
    response = section(staff_client, customer)
    assert not tree(response).xpath("//*[@id='equipment-counted']")


# --------------------------------------------------------------------------- WZ

def test_a_wz_from_the_card_issues_the_scanned_serials(staff_client, stock, customer):
    address = address_add(actor=None, customer=customer, kind="installation", street="Polna",
                          building_no="3", postal_code="00-950", city="Warszawa")
    data = issue_post(warehouse=stock.main.pk, lines="ont1\r\n  STB1 \r\n\r\n",
                      address=address.pk, note="montaż")
    response = staff_client.post(url("card_issue", customer), data, headers=HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "card-changed"
    wz = StockDocument.objects.get(kind="WZ")
    assert (wz.customer_id, wz.address_id, wz.warehouse_id, wz.note) == (
        customer.pk, address.pk, stock.main.pk, "montaż")
    assert sorted(serials_shown(response)) == ["ONT1", "STB1"]
    assert f"WZ {wz.number} posted" in response.content.decode()
    # the same form sent again (a double click) posts nothing more
    again = staff_client.post(url("card_issue", customer), data, headers=HTMX)
    assert again.status_code == 200
    assert StockDocument.objects.filter(kind="WZ").count() == 1


def test_a_serial_not_in_that_warehouse_is_refused_and_nothing_is_posted(staff_client, stock,
                                                                          customer):
    response = staff_client.post(url("card_issue", customer), issue_post(
        warehouse=stock.main.pk, lines="ONT1\nVAN1\nNOSUCH"), headers=HTMX)
    html = response.content.decode()
    assert "Line 2: The serial VAN1 is not in the warehouse Magazyn główny" in html
    assert "Line 3: The serial NOSUCH is not known" in html
    assert 'id="equipment-issue"' in html and "collapse show" in html  # the form stays open
    assert not StockDocument.objects.filter(kind="WZ").exists()
    assert StockItem.objects.get(serial="ONT1").state == "in_stock"
    assert serials_shown(response) == []


def test_a_wz_without_a_serial_or_a_warehouse_says_so(staff_client, stock, customer):
    response = staff_client.post(url("card_issue", customer), issue_post(lines=" \r\n "),
                                 headers=HTMX)
    assert response.content.decode().count("This field is required.") == 2
    assert not StockDocument.objects.filter(kind="WZ").exists()


def test_a_lease_needs_its_tariff(staff_client, stock, customer):
    response = staff_client.post(url("card_issue", customer), issue_post(
        warehouse=stock.main.pk, lines="ONT1", settlement="lease"), headers=HTMX)
    assert "Choose the tariff of the lease." in response.content.decode()
    assert not StockDocument.objects.filter(kind="WZ").exists()


# --------------------------------------------------------------------------- ZW

def test_a_faulty_return_puts_the_item_back_in_stock_faulty(staff_client, staff, stock,
                                                            customer):
    issue(staff, stock, customer, ["ONT1", "STB1"])
    ont = StockItem.objects.get(serial="ONT1")
    stb = StockItem.objects.get(serial="STB1")
    response = staff_client.post(url("card_return", customer), {
        "warehouse": stock.van.pk, f"state_{ont.pk}": "faulty", f"state_{stb.pk}": "",
        "request_token": str(uuid.uuid4())}, headers=HTMX)
    assert response.status_code == 200
    ont.refresh_from_db()
    assert (ont.state, ont.condition, ont.warehouse_id, ont.customer_id) == (
        "in_stock", "faulty", stock.van.pk, None)
    zw = StockDocument.objects.get(kind="ZW")
    assert [line.return_state for line in zw.lines.all()] == ["faulty"]
    assert serials_shown(response) == ["STB1"]
    assert f"ZW {zw.number} posted: returned to Van Tomka." in response.content.decode()


def test_a_return_of_nothing_chosen_is_refused(staff_client, staff, stock, customer):
    issue(staff, stock, customer, ["ONT1"])
    response = staff_client.post(url("card_return", customer), {"warehouse": stock.main.pk},
                                 headers=HTMX)
    assert "Choose the equipment that comes back" in response.content.decode()
    assert not StockDocument.objects.filter(kind="ZW").exists()


def test_another_customers_item_cannot_be_returned_from_this_card(staff_client, staff, stock,
                                                                  customer, neighbour):
    issue(staff, stock, neighbour, ["ONT1"])
    theirs = StockItem.objects.get(serial="ONT1")
    response = staff_client.post(url("card_return", customer), {
        "warehouse": stock.main.pk, f"state_{theirs.pk}": "working"}, headers=HTMX)
    assert "Choose the equipment that comes back" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.customer_id == neighbour.pk


# --------------------------------------------------------------------------- the row

def test_the_description_is_edited_in_its_row_and_shown_escaped(staff_client, staff, stock,
                                                                customer):
    issue(staff, stock, customer, ["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    edit = staff_client.get(url("card_description", customer, stockitem_id=item.pk), headers=HTMX)
    assert edit.status_code == 200
    assert tree(edit).xpath("//form[contains(@class, 'equipment-description-form')]"
                            "//input[@name='description']")
    text = "<script>alert('x')</script> \\ \"router\" 100%"
    response = staff_client.post(url("card_description", customer, stockitem_id=item.pk),
                                 {"description": text}, headers=HTMX)
    item.refresh_from_db()
    assert item.description == text.strip()
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)" in html
    assert texts(response, "//span[@class='equipment-description-text']") == [text.strip()]
    assert ActionLog.objects.filter(kind="stockitem.change", customer=customer).exists()


def test_a_description_too_long_is_refused_in_its_row(staff_client, staff, stock, customer):
    issue(staff, stock, customer, ["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    response = staff_client.post(url("card_description", customer, stockitem_id=item.pk),
                                 {"description": "x" * 501}, headers=HTMX)
    form = tree(response).xpath(f"//*[@id='equipment-description-{item.pk}']//form")
    assert form and "invalid-feedback" in lxml.html.tostring(form[0]).decode()
    item.refresh_from_db()
    assert item.description == ""


def test_an_ont_is_bound_to_the_customers_login_not_anothers(staff_client, staff, stock,
                                                            customer, neighbour):
    issue(staff, stock, customer, ["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    own = login_create(actor=staff, customer=customer, login="jan-pc", password="haslo-123")
    theirs = login_create(actor=staff, customer=neighbour, login="ewa-pc",
                          password="haslo-123")
    response = staff_client.post(url("card_login", customer, stockitem_id=item.pk),
                                 {"login": theirs.pk}, headers=HTMX)
    assert "The login ewa-pc is not this customer&#x27;s." in response.content.decode()
    item.refresh_from_db()
    assert item.login_id is None
    response = staff_client.post(url("card_login", customer, stockitem_id=item.pk),
                                 {"login": own.pk}, headers=HTMX)
    item.refresh_from_db()
    assert item.login_id == own.pk
    selected = tree(response).xpath(f"//tr[@id='equipment-{item.pk}']//option[@selected]")
    assert [o.text for o in selected] == ["jan-pc"]
    for nonsense in ("abc", "99999999999999999999"):
        response = staff_client.post(url("card_login", customer, stockitem_id=item.pk),
                                     {"login": nonsense}, headers=HTMX)
        assert response.status_code == 200
        item.refresh_from_db()
        assert item.login_id == own.pk
    staff_client.post(url("card_login", customer, stockitem_id=item.pk), {"login": ""},
                      headers=HTMX)
    item.refresh_from_db()
    assert item.login_id is None


def test_the_items_history_unfolds_in_its_row(staff_client, staff, stock, customer):
    wz = issue(staff, stock, customer, ["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    response = staff_client.get(url("card_item", customer, stockitem_id=item.pk), headers=HTMX)
    rows = texts(response, "//table[contains(@class, 'equipment-item-history')]//tbody/tr")
    assert len(rows) == 2 and rows[0].split()[1].startswith("PZ/")
    assert wz.number in rows[1] and "Magazyn główny" in rows[1]
    page = staff_client.get(url("card_item", customer, stockitem_id=item.pk))
    assert page.status_code == 200 and "DSNW00000001" in page.content.decode()


# --------------------------------------------------------------------------- STB decoders

def test_an_issued_decoder_joins_the_stb_decoders_and_leaves_on_return(staff_client, staff,
                                                                      stock, customer):
    def decoders():
        return texts(section(staff_client, customer, "stb"), "//code[@class='stb-serial']")

    assert decoders() == []
    wz = issue(staff, stock, customer, ["STB1", "ONT1"])
    response = section(staff_client, customer, "stb")
    row = texts(response, "//tr[contains(@class, 'stb-decoder')]")
    assert len(row) == 1 and "STB1" in row[0] and "00:11:22:33:44:a1" in row[0]
    assert wz.number in row[0] and "Dekoder Kaon KSTB" in row[0]
    services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                         lines=[{"serial": "STB1", "state": "working"}])
    assert decoders() == []


def test_the_logins_switch_holds_computers_phones_and_stb_decoders(staff_client, staff, stock,
                                                                   customer):
    issue(staff, stock, customer, ["STB1"])
    card = reverse("customers:card", kwargs={"customer_id": customer.pk})
    response = staff_client.get(card + "?sekcja=dekodery")
    assert response.status_code == 200
    page = tree(response)
    switch = page.xpath("//*[@id='section-stb']//*[contains(@class, 'card-category-switch')]"
                        "//*[@data-card-tab]")
    assert [a.get("data-card-tab") for a in switch] == ["komputery", "telefony", "dekodery"]
    assert switch[2].get("aria-current") == "true"
    assert page.xpath("//*[@id='section-stb']//*[@id='dekodery']")  # the deep link's anchor
    head = page.xpath("//*[@id='card-tabs']//*[@data-category-head]")
    assert len(head) == 1 and head[0].get("aria-current") == "page"
    hidden = page.xpath("//*[@id='card-tabs']//*[@data-card-tab='dekodery'][@hidden]")
    assert len(hidden) == 1
    assert texts(response, "//code[@class='stb-serial']") == ["STB1"]


# --------------------------------------------------------------------------- Dokumenty

def test_the_wz_and_zw_are_in_the_documents_list_merged_by_date(staff_client, staff, stock,
                                                               customer, neighbour):
    from documents import services as documents

    documents.document_template_create(actor=staff, document_type="contract", name="Umowa",
                                       body="<p>{{ document.number }}</p>", is_default=True)
    yesterday = timezone.localdate() - timedelta(days=1)
    wz = issue(staff, stock, customer, ["ONT1", "ONT2"], issued_on=yesterday)
    contract = documents.document_issue(actor=staff, customer=customer,
                                        document_type="contract")
    zw = services.return_post(actor=staff, customer=customer, warehouse=stock.main,
                              lines=[{"serial": "ONT2", "state": "faulty"}])
    theirs = issue(staff, stock, neighbour, ["ONT3"])
    response = section(staff_client, customer, "documents")
    numbers = texts(response, "//table[@id='documents']//*[contains(@class, "
                              "'document-number')]")
    assert numbers == [zw.number, contract.number, wz.number]
    assert theirs.number not in response.content.decode()
    row = texts(response, f"//tr[@id='stockdocument-{wz.pk}']")[0]
    assert "WZ — issue to a customer" in row and "from Magazyn główny, 2 line(s)" in row
    pdf = tree(response).xpath(f"//tr[@id='stockdocument-{zw.pk}']//a[text()='print']")[0]
    answer = staff_client.get(pdf.get("href"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_the_cards_pdf_is_the_customers_own_document_named_by_its_number(
        staff_client, staff, stock, customer, neighbour):
    wz = issue(staff, stock, customer, ["ONT1"])
    theirs = issue(staff, stock, neighbour, ["ONT2"])
    answer = staff_client.get(url("card_document_pdf", customer, stockdocument_id=wz.pk))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert "/" in wz.number  # the default pattern, e.g. WZ/1/2026: no slash in a file name
    # shown in the browser, named as the stock pages name it
    assert answer["Content-Disposition"] == \
        f'inline; filename="{wz.number.replace("/", "_")}.pdf"'
    # the neighbour's WZ (of this tenant) is no document of this card, nor a made-up id
    for document_id in (theirs.pk, theirs.pk + 1000):
        assert staff_client.get(url("card_document_pdf", customer,
                                    stockdocument_id=document_id)).status_code == 404


# --------------------------------------------------------------------------- tenants, roles

def test_another_tenants_customer_item_and_document_are_404(staff_client, staff, stock,
                                                            customer, other_tenant,
                                                            other_staff):
    from core.tenancy import tenant_context

    with tenant_context(other_tenant):
        their_stock = factories.Stock()
        factories.receive(other_staff, warehouse=their_stock.main, product=their_stock.ont,
                          serials=["OBCY1"])
        their_customer = customer_create(actor=other_staff, last_name="Obcy")
        their_wz = factories.issue(other_staff, warehouse=their_stock.main,
                                   customer=their_customer, serials=["OBCY1"])
        their_item = StockItem.objects.get(serial="OBCY1")
    issue(staff, stock, customer, ["ONT1"])
    for response in (
        staff_client.post(url("card_issue", their_customer),
                          issue_post(warehouse=stock.main.pk, lines="ONT2")),
        staff_client.post(url("card_return", their_customer), {"warehouse": stock.main.pk}),
        staff_client.get(url("card_description", customer, stockitem_id=their_item.pk)),
        staff_client.post(url("card_description", customer, stockitem_id=their_item.pk),
                          {"description": "x"}),
        staff_client.post(url("card_login", customer, stockitem_id=their_item.pk), {"login": ""}),
        staff_client.get(url("card_item", customer, stockitem_id=their_item.pk)),
        staff_client.get(url("card_item", their_customer, stockitem_id=their_item.pk)),
        staff_client.post(url("card_ont_status", customer, stockitem_id=their_item.pk)),
        staff_client.get(url("card_document_pdf", their_customer, stockdocument_id=their_wz.pk)),
        staff_client.get(url("card_document_pdf", customer, stockdocument_id=their_wz.pk)),
    ):
        assert response.status_code == 404
    with tenant_context(other_tenant):
        their_item.refresh_from_db()
    assert (their_item.description, their_item.customer_id) == ("", their_customer.pk)
    assert StockItem.objects.get(serial="ONT2").state == "in_stock"


def test_an_item_returned_or_of_another_customer_is_404_on_this_card(staff_client, staff,
                                                                      stock, customer,
                                                                      neighbour):
    issue(staff, stock, neighbour, ["ONT1"])
    theirs = StockItem.objects.get(serial="ONT1")
    response = staff_client.post(url("card_description", customer, stockitem_id=theirs.pk),
                                 {"description": "cudze"})
    assert response.status_code == 404
    wz = issue(staff, stock, customer, ["ONT2"])
    assert staff_client.get(url("card_document_pdf", neighbour,
                                stockdocument_id=wz.pk)).status_code == 404


def test_a_technician_issues_and_returns(client, tenant, staff, stock, customer):
    technician = client_of(client, tenant, Role.TECHNICIAN, "tomek")
    response = technician.post(url("card_issue", customer), issue_post(
        warehouse=stock.main.pk, lines="ONT1"), headers=HTMX)
    assert response.status_code == 200 and serials_shown(response) == ["ONT1"]
    item = StockItem.objects.get(serial="ONT1")
    response = technician.post(url("card_return", customer), {
        "warehouse": stock.main.pk, f"state_{item.pk}": "working"}, headers=HTMX)
    assert response.status_code == 200 and serials_shown(response) == []
    assert StockDocument.objects.get(kind="ZW").created_by.username == "tomek"


def test_an_accountant_sees_the_equipment_but_changes_nothing(client, tenant, staff, stock,
                                                              customer):
    issue(staff, stock, customer, ["ONT1"])
    item = StockItem.objects.get(serial="ONT1")
    accountant = client_of(client, tenant, Role.ACCOUNTANT, "ksiegowa")
    response = section(accountant, customer)
    assert response.status_code == 200 and serials_shown(response) == ["ONT1"]
    page = tree(response)
    assert not page.xpath("//form")  # no issue, return, description, login or ONT form
    for response in (
        accountant.post(url("card_issue", customer), issue_post(warehouse=stock.main.pk,
                                                                lines="ONT2")),
        accountant.post(url("card_return", customer), {"warehouse": stock.main.pk,
                                                       f"state_{item.pk}": "working"}),
        accountant.post(url("card_description", customer, stockitem_id=item.pk),
                        {"description": "x"}),
        accountant.post(url("card_login", customer, stockitem_id=item.pk), {"login": ""}),
        accountant.post(url("card_ont_reset", customer, stockitem_id=item.pk)),
    ):
        assert response.status_code == 403
    assert StockDocument.objects.filter(kind__in=["WZ", "ZW"]).count() == 1


def test_the_sidebar_opens_the_issue_and_return_forms(staff_client, customer, stock):
    card = reverse("customers:card", kwargs={"customer_id": customer.pk})
    page = tree(staff_client.get(card))
    issue_link = page.xpath("//*[@id='card-action-equipment_issue']")[0]
    assert issue_link.get("data-card-open") == "sprzet"
    assert issue_link.get("data-opens") == "equipment-issue"
    assert page.xpath("//*[@id='card-action-equipment_return']")
    response = staff_client.get(card + "?sekcja=sprzet")
    assert tree(response).xpath("//*[@id='section-equipment']//*[@id='equipment-issue']")


def test_without_javascript_the_card_shows_the_outcome(staff_client, staff, stock, customer):
    refused = staff_client.post(url("card_issue", customer), issue_post(
        warehouse=stock.main.pk, lines="VAN1"))
    assert refused.status_code == 200
    assert "Line 1: The serial VAN1 is not in the warehouse Magazyn główny: it is in the " \
           "warehouse Van Tomka." in refused.content.decode()
    posted = staff_client.post(url("card_issue", customer), issue_post(
        warehouse=stock.main.pk, lines="ONT1"))
    card = reverse("customers:card", kwargs={"customer_id": customer.pk})
    assert posted.status_code == 302 and posted["Location"] == f"{card}?sekcja=sprzet#sprzet"
    item = StockItem.objects.get(serial="ONT1")
    edit = staff_client.get(url("card_description", customer, stockitem_id=item.pk))
    assert tree(edit).xpath(f"//*[@id='equipment-description-{item.pk}']"
                            "//input[@name='description']")


def test_a_return_on_the_card_tells_a_deposit_still_held_and_one_all_back(staff_client, staff,
                                                                          stock, customer):
    wz = issue(staff, stock, customer, ["ONT1", "ONT2"], settlement="deposit", deposit="80")
    first, second = (StockItem.objects.get(serial=s) for s in ("ONT1", "ONT2"))

    def back(item):
        return staff_client.post(url("card_return", customer), {
            "warehouse": stock.main.pk, f"state_{item.pk}": "working",
            "request_token": str(uuid.uuid4())}, headers=HTMX).content.decode()

    page = " ".join(back(first).split())
    assert f"{wz.number} took a deposit of PLN 80.00" in page
    assert "some of its equipment is still at the customer" in page
    assert "refund it by a KW" not in page
    page = " ".join(back(second).split())
    assert "all its equipment is back" in page and "refund it by a KW" in page
