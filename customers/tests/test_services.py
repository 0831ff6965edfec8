import datetime
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from core.models import ActionLog, Tenant, TenantSetting
from core.tenancy import CrossTenantWrite, TenantNotSet, tenant_context
from customers import selectors, services
from customers.models import (
    Address,
    AttributeType,
    Customer,
    GroupMembership,
    PanelAccount,
    PanelLoginAttempt,
    Phone,
    Scan,
)
from documents.models import DocumentTemplate

from .factories import VALID_IBAN, VALID_NIP, VALID_REGON, exe_bytes, pdf_bytes, png_bytes


def log_kinds(customer):
    return list(ActionLog.objects.filter(customer=customer).values_list("kind", flat=True))


# ------------------------------------------------------------------ customer data

def test_create_assigns_next_number_and_logs(in_tenant, staff, customer):
    second = services.customer_create(actor=staff, kind="company", company_name="Foo sp. z o.o.",
                                      nip="526-025-02-74", regon=VALID_REGON)
    assert second.number == customer.number + 1
    assert second.nip == VALID_NIP  # stored compact
    entry = ActionLog.objects.get(customer=second)
    assert entry.kind == "customer.create" and entry.actor_user == staff


@pytest.mark.parametrize("field,value", [
    ("pesel", "44051401459"), ("nip", "1234567890"), ("regon", "123456789"),
    ("spouse_pesel", "00000000000"),
    # The checksum passes, but KSeF's FA(3) takes no NIP starting with 0 or "x00".
    ("nip", "0000000000"), ("nip", "1000000006"), ("nip", "0123456789"),
])
def test_invalid_identity_number_is_refused_and_nothing_written(in_tenant, staff, field, value):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=staff, last_name="Nowak", **{field: value})
    assert field in error.value.message_dict
    assert value in error.value.message_dict[field][0]
    assert Customer.objects.count() == 0
    assert ActionLog.objects.count() == 0


def test_invalid_id_card_is_refused(in_tenant, staff):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=staff, last_name="Nowak", id_document_type="id_card",
                                 id_document_number="ABC123456")
    assert "id_document_number" in error.value.message_dict
    ok = services.customer_create(actor=staff, last_name="Nowak", id_document_type="id_card",
                                  id_document_number="aba 300000")
    assert ok.id_document_number == "ABA300000"


def test_company_needs_name_person_needs_last_name(in_tenant, staff):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=staff, kind="company", nip=VALID_NIP)
    assert "company_name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=staff, first_name="Jan")
    assert "last_name" in error.value.message_dict


def test_duplicate_customer_number_is_refused(in_tenant, staff, customer):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=staff, last_name="Nowak", number=customer.number)
    assert "already taken" in error.value.message_dict["number"][0]
    assert Customer.objects.count() == 1


def test_same_number_in_another_tenant_is_fine(customer, other_tenant, other_staff):
    with tenant_context(other_tenant):
        other = services.customer_create(actor=other_staff, last_name="Nowak")
    assert other.number == customer.number
    assert other.virtual_account  # each tenant's account numbers are its own


def test_update_logs_before_and_after(in_tenant, staff, customer):
    services.customer_update(actor=staff, customer=customer, last_name="Kowalska",
                             status="suspended")
    entry = ActionLog.objects.filter(customer=customer, kind="customer.update").get()
    assert entry.changes == {"last_name": ["Kowalski", "Kowalska"],
                             "status": ["connected", "suspended"]}


def test_update_with_invalid_pesel_changes_nothing(in_tenant, staff, customer):
    with pytest.raises(ValidationError):
        services.customer_update(actor=staff, customer=customer, last_name="Zmieniony",
                                 pesel="12345678901")
    customer.refresh_from_db()
    assert customer.last_name == "Kowalski"
    assert "customer.update" not in log_kinds(customer)


def test_concurrent_creates_get_distinct_numbers(transactional_db, tenant, staff):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    numbers, errors = [], []

    def create(i):
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                numbers.append(services.customer_create(actor=staff, last_name=f"N{i}").number)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 9))


# ------------------------------------------------------------------ virtual account

def test_virtual_account_is_valid_nrb_from_tenant_settings(in_tenant, staff):
    TenantSetting.objects.create(key="finance.bank_sort_code", value="11402004")
    TenantSetting.objects.create(key="finance.virtual_account_prefix", value="77")
    customer = services.customer_create(actor=staff, last_name="Nowak", number=1234)
    nrb = customer.virtual_account
    assert nrb[2:10] == "11402004" and nrb[10:12] == "77" and nrb.endswith("00001234")
    from schwifty import IBAN
    assert IBAN("PL" + nrb).validate()
    assert services.customer_by_virtual_account(
        "PL" + " ".join(nrb[i:i + 4] for i in range(0, 26, 4))) == customer


def test_virtual_account_lookup_is_scoped_to_tenant(customer, other_tenant):
    with tenant_context(other_tenant):
        assert services.customer_by_virtual_account(customer.virtual_account) is None


# ------------------------------------------------------------------ contacts

def test_phone_is_normalised_searchable_and_logged(in_tenant, staff, customer):
    phone = services.phone_add(actor=staff, customer=customer, number="601 234 567")
    assert phone.number == "+48601234567"
    assert list(selectors.customer_list(query="601-234-567")) == [customer]
    assert list(selectors.customer_list(query="+48 601 234 567")) == [customer]
    assert "phone.add" in log_kinds(customer)


def test_invalid_phone_is_refused(in_tenant, staff, customer):
    with pytest.raises(ValidationError) as error:
        services.phone_add(actor=staff, customer=customer, number="12345")
    assert "not a valid phone number" in str(error.value)
    assert Phone.objects.count() == 0


def test_phone_change_is_logged_with_before_after(in_tenant, staff, customer):
    phone = services.phone_add(actor=staff, customer=customer, number="601234567")
    services.phone_update(actor=staff, phone=phone, number="+48 502 111 222")
    entry = ActionLog.objects.get(kind="phone.update")
    assert entry.changes["number"] == ["+48601234567", "+48502111222"]
    assert list(selectors.customer_list(query="502111222")) == [customer]
    assert list(selectors.customer_list(query="601234567")) == []


def test_email_validation_and_duplicates(in_tenant, staff, customer):
    services.email_add(actor=staff, customer=customer, address="jan@Example.PL",
                       for_invoices=True)
    with pytest.raises(ValidationError):
        services.email_add(actor=staff, customer=customer, address="jan@example.pl")
    with pytest.raises(ValidationError):
        services.email_add(actor=staff, customer=customer, address="not-an-email")
    assert list(selectors.customer_list(query="jan@example")) == [customer]


def test_consent_with_date(in_tenant, staff, customer):
    day = datetime.date(2025, 5, 1)
    services.consent_set(actor=staff, customer=customer, kind="marketing", granted=True,
                         given_on=day)
    services.consent_set(actor=staff, customer=customer, kind="marketing", granted=False,
                         given_on=day + timedelta(days=3))
    consent = customer.consents.get()
    assert consent.granted is False and consent.given_on == day + timedelta(days=3)
    with pytest.raises(ValidationError):
        services.consent_set(actor=staff, customer=customer, kind="marketing", granted=True,
                             given_on=timezone.localdate() + timedelta(days=1))


# ------------------------------------------------------------------ addresses

def test_addresses_one_residence_many_installations(in_tenant, staff, customer):
    base = {"street": "Długa", "building_no": "5", "postal_code": "00-950", "city": "Warszawa"}
    services.address_add(actor=staff, customer=customer, kind="residence", **base)
    services.address_add(actor=staff, customer=customer, kind="installation", **base)
    services.address_add(actor=staff, customer=customer, kind="installation",
                         **{**base, "building_no": "7"})
    with pytest.raises(ValidationError) as error:
        services.address_add(actor=staff, customer=customer, kind="residence", **base)
    assert "kind" in error.value.message_dict
    assert Address.objects.count() == 3
    assert list(selectors.customer_list(query="długa 7")) == [customer]


def test_address_validation(in_tenant, staff, customer):
    with pytest.raises(ValidationError) as error:
        services.address_add(actor=staff, customer=customer, kind="residence", building_no="1",
                             postal_code="00950", city="Warszawa")
    assert "postal_code" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.address_add(actor=staff, customer=customer, kind="residence", building_no="1",
                             postal_code="00-950", city="Warszawa", latitude=52.2)
    address = services.address_add(actor=staff, customer=customer, kind="residence",
                                   building_no="1", postal_code="00-950", city="Warszawa",
                                   latitude=52.229676, longitude=21.012229)
    assert "mlat=52.229676" in address.map_url


@pytest.mark.parametrize(("fields", "field"), [
    ({"teryt_simc": "091812"}, "teryt_simc"),          # six digits: one short
    ({"teryt_simc": "09181234"}, "teryt_simc"),        # eight: one too many
    ({"teryt_terc": "146501a"}, "teryt_terc"),         # a letter
    ({"teryt_simc": "0918123", "teryt_ulic": "1333"}, "teryt_ulic"),
    ({"teryt_ulic": "13334"}, "teryt_ulic"),           # a street without its locality
])
def test_address_teryt_refused_with_the_field_named(in_tenant, staff, customer, fields,
                                                     field):
    with pytest.raises(ValidationError) as error:
        services.address_add(actor=staff, customer=customer, kind="installation",
                             building_no="1", postal_code="00-950", city="Warszawa", **fields)
    assert field in error.value.message_dict
    assert not Address.objects.exists()


def test_address_teryt_kept_and_leading_zeros_survive(in_tenant, staff, customer):
    address = services.address_add(actor=staff, customer=customer, kind="installation",
                                   building_no="1", postal_code="00-950", city="Warszawa",
                                   teryt_terc="1465011", teryt_simc=" 0918123 ",
                                   teryt_ulic="01334")
    address.refresh_from_db()
    assert (address.teryt_terc, address.teryt_simc, address.teryt_ulic) == \
        ("1465011", "0918123", "01334")
    services.address_update(actor=staff, address=address, teryt_ulic="")
    address.refresh_from_db()
    assert address.teryt_ulic == "" and address.teryt_simc == "0918123"


def test_address_teryt_digits_are_a_database_rule(in_tenant, customer):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(customer=customer, kind="installation", building_no="1",
                               postal_code="00-950", city="Warszawa", teryt_simc="12345")


# ------------------------------------------------------------------ attributes

def test_attribute_types_and_values(in_tenant, staff, customer):
    tech = services.attribute_type_create(actor=staff, name="Technologia", value_type="choice",
                                          choices=["FTTH", "Radio"])
    speed = services.attribute_type_create(actor=staff, name="Prędkość", value_type="number")
    signed = services.attribute_type_create(actor=staff, name="Podpisano", value_type="date")
    services.attribute_set(actor=staff, customer=customer, attribute_type=tech, value="FTTH")
    services.attribute_set(actor=staff, customer=customer, attribute_type=tech, value="Radio")
    services.attribute_set(actor=staff, customer=customer, attribute_type=speed, value="300,5")
    services.attribute_set(actor=staff, customer=customer, attribute_type=signed,
                           value="2025-01-31")
    values = {a.attribute_type.name: a.value for a in customer.attributes.all()}
    assert values == {"Technologia": "Radio", "Prędkość": "300.5", "Podpisano": "2025-01-31"}
    for attribute_type, bad in ((tech, "DSL"), (speed, "dużo"), (signed, "31.01.2025")):
        with pytest.raises(ValidationError):
            services.attribute_set(actor=staff, customer=customer,
                                   attribute_type=attribute_type, value=bad)
    with pytest.raises(ValidationError):
        services.attribute_type_create(actor=staff, name="technologia", value_type="text")
    assert AttributeType.objects.count() == 3


# ------------------------------------------------------------------ folders and scans

def upload(name, content):
    return SimpleUploadedFile(name, content)


def test_scan_recognised_by_content(in_tenant, staff, customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = services.folder_create(actor=staff, customer=customer, name="Umowy",
                                    archive_location="Szafa 3, półka 2")
    scan = services.scan_add(actor=staff, customer=customer, folder=folder,
                             uploaded_file=upload("umowa.pdf", pdf_bytes()))
    assert scan.content_type == "application/pdf"
    image = services.scan_add(actor=staff, customer=customer,
                              uploaded_file=upload("photo.bin", png_bytes()))
    assert image.content_type == "image/png"  # the name does not matter, the content does
    assert scan.file.read().startswith(b"%PDF")


def test_exe_renamed_pdf_is_refused(in_tenant, staff, customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as error:
        services.scan_add(actor=staff, customer=customer,
                          uploaded_file=upload("umowa.pdf", exe_bytes()))
    assert "PDF, JPG, PNG and GIF" in error.value.message_dict["file"][0]
    assert Scan.objects.count() == 0
    assert list(tmp_path.rglob("*")) == [] or all(p.is_dir() for p in tmp_path.rglob("*"))


def test_oversized_scan_is_refused(in_tenant, staff, customer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    TenantSetting.objects.create(key="customer.scan_max_mb", value=1)
    big = png_bytes() + b"\0" * (1024 * 1024)
    with pytest.raises(ValidationError) as error:
        services.scan_add(actor=staff, customer=customer, uploaded_file=upload("big.png", big))
    assert "larger than 1 MB" in error.value.message_dict["file"][0]
    assert Scan.objects.count() == 0


def test_folder_names_unique_per_customer(in_tenant, staff, customer):
    services.folder_create(actor=staff, customer=customer, name="Umowy")
    with pytest.raises(ValidationError):
        services.folder_create(actor=staff, customer=customer, name="umowy")


# ------------------------------------------------------------------ bank accounts

def test_bank_accounts(in_tenant, staff, customer):
    account = services.bank_account_add(actor=staff, customer=customer,
                                        iban="61 1090 1014 0000 0712 1981 2874")
    assert account.iban == VALID_IBAN
    with pytest.raises(ValidationError):
        services.bank_account_add(actor=staff, customer=customer, iban=VALID_IBAN)
    with pytest.raises(ValidationError) as error:
        services.bank_account_add(actor=staff, customer=customer,
                                  iban="PL61109010140000071219812875")
    assert "not a valid bank account" in error.value.message_dict["iban"][0]
    services.bank_account_remove(actor=staff, account=account)
    assert customer.bank_accounts.count() == 0
    assert log_kinds(customer)[:2] == ["bank_account.remove", "bank_account.add"]


# ------------------------------------------------------------------ groups

@pytest.fixture
def templates(in_tenant):
    return (DocumentTemplate.objects.create(document_type="contract", name="Umowa domowa"),
            DocumentTemplate.objects.create(document_type="contract", name="Umowa firmowa"))


def test_group_conflict_on_default_templates(in_tenant, staff, customer, templates):
    home, business = templates
    g_home = services.group_create(actor=staff, name="Domowi")
    g_business = services.group_create(actor=staff, name="Firmy")
    g_plain = services.group_create(actor=staff, name="VIP")
    services.group_default_template_set(actor=staff, group=g_home, document_type="contract",
                                        template=home)
    services.group_default_template_set(actor=staff, group=g_business,
                                        document_type="contract", template=business)
    services.customer_group_add(actor=staff, customer=customer, group=g_home)
    services.customer_group_add(actor=staff, customer=customer, group=g_plain)
    with pytest.raises(ValidationError) as error:
        services.customer_group_add(actor=staff, customer=customer, group=g_business)
    message = error.value.message_dict["group"][0]
    assert "Domowi" in message and "Umowa domowa" in message
    assert set(customer.groups.values_list("name", flat=True)) == {"Domowi", "VIP"}


def test_group_default_change_cannot_create_conflict(in_tenant, staff, customer, templates):
    home, business = templates
    g1 = services.group_create(actor=staff, name="A")
    g2 = services.group_create(actor=staff, name="B")
    services.group_default_template_set(actor=staff, group=g1, document_type="contract",
                                        template=home)
    services.customer_group_add(actor=staff, customer=customer, group=g1)
    services.customer_group_add(actor=staff, customer=customer, group=g2)
    with pytest.raises(ValidationError):
        services.group_default_template_set(actor=staff, group=g2, document_type="contract",
                                            template=business)
    services.group_default_template_set(actor=staff, group=g2, document_type="contract",
                                        template=home)


def test_group_remove_and_duplicate(in_tenant, staff, customer):
    group = services.group_create(actor=staff, name="VIP")
    membership = services.customer_group_add(actor=staff, customer=customer, group=group)
    with pytest.raises(ValidationError):
        services.customer_group_add(actor=staff, customer=customer, group=group)
    services.customer_group_remove(actor=staff, membership=membership)
    assert GroupMembership.objects.count() == 0
    assert "group.remove" in log_kinds(customer)


# ------------------------------------------------------------------ annotations

def test_annotations_pin_and_delete(in_tenant, staff, customer):
    first = services.annotation_add(actor=staff, customer=customer, text="Dzwonić po 16")
    second = services.annotation_add(actor=staff, customer=customer, text="Pies na posesji")
    services.annotation_pin(actor=staff, annotation=first, pinned=True)
    assert [a.text for a in customer.annotations.all()] == ["Dzwonić po 16", "Pies na posesji"]
    services.annotation_delete(actor=staff, annotation=second)
    assert customer.annotations.count() == 1
    with pytest.raises(ValidationError):
        services.annotation_add(actor=staff, customer=customer, text="   ")
    assert {"annotation.add", "annotation.pin", "annotation.delete"} <= set(log_kinds(customer))


# ------------------------------------------------------------------ panel

@pytest.fixture
def panel(in_tenant, staff, customer):
    return services.panel_credentials_set(actor=staff, customer=customer, login="jkowalski",
                                          password="Haslo-Bardzo-Tajne-1")


def test_password_login(panel):
    result = services.panel_authenticate(login="JKowalski", secret="Haslo-Bardzo-Tajne-1",
                                         ip="10.0.0.1")
    assert result.ok and not result.must_change_password
    attempt = PanelLoginAttempt.objects.get()
    assert attempt.success and attempt.ip == "10.0.0.1"


def test_pin_works_once_forces_new_password_and_is_cleared(panel, staff, customer):
    pin = services.panel_pin_generate(actor=staff, customer=customer)
    assert pin.isdigit() and len(pin) == 6
    result = services.panel_authenticate(login="jkowalski", secret=pin)
    assert result.ok and result.must_change_password
    account = PanelAccount.objects.get()
    assert account.pin_hash == ""  # used: no valid PIN is left behind
    again = services.panel_authenticate(login="jkowalski", secret=pin)
    assert not again.ok and again.reason == "wrong_secret"
    services.panel_password_change(account=account, new_password="Nowe-Haslo-2025!")
    assert services.panel_authenticate(login="jkowalski", secret="Nowe-Haslo-2025!").ok
    kinds = log_kinds(customer)
    assert "panel.pin" in kinds and "panel.password" in kinds
    customer_entry = ActionLog.objects.filter(kind="panel.password").get()
    assert customer_entry.actor_kind == "customer"


def test_brute_force_locks_the_login(panel, customer):
    for _ in range(4):
        assert services.panel_authenticate(login="jkowalski", secret="zgaduje").reason \
            == "wrong_secret"
    fifth = services.panel_authenticate(login="jkowalski", secret="zgaduje")
    assert fifth.reason == "locked_now" and fifth.locked_until > timezone.now()
    # Even the right password is refused while locked.
    locked = services.panel_authenticate(login="jkowalski", secret="Haslo-Bardzo-Tajne-1")
    assert not locked.ok and locked.reason == "locked"
    assert PanelLoginAttempt.objects.filter(success=False).count() == 6
    assert "panel.locked" in log_kinds(customer)
    # After the period set in tenant settings the login works again.
    PanelAccount.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.panel_authenticate(login="jkowalski", secret="Haslo-Bardzo-Tajne-1").ok


def test_lock_period_comes_from_tenant_settings(panel):
    TenantSetting.objects.create(key="customer.panel_lock_minutes", value=60)
    TenantSetting.objects.create(key="customer.panel_max_attempts", value=2)
    services.panel_authenticate(login="jkowalski", secret="x")
    result = services.panel_authenticate(login="jkowalski", secret="x")
    assert result.reason == "locked_now"
    assert timedelta(minutes=59) < result.locked_until - timezone.now() <= timedelta(minutes=60)


def test_unknown_login_is_logged(in_tenant):
    result = services.panel_authenticate(login="nobody", secret="x", ip="192.0.2.1")
    assert result.reason == "unknown_login"
    assert PanelLoginAttempt.objects.get().login == "nobody"


def test_panel_login_unique_case_insensitive(panel, staff):
    other = services.customer_create(actor=staff, last_name="Nowak")
    with pytest.raises(ValidationError):
        services.panel_credentials_set(actor=staff, customer=other, login="JKOWALSKI")


def test_pin_needs_a_login_first(in_tenant, staff, customer):
    with pytest.raises(ValidationError):
        services.panel_pin_generate(actor=staff, customer=customer)


# ------------------------------------------------------------------ tenancy guard rails

def test_queries_without_tenant_fail_closed(db):
    with pytest.raises(TenantNotSet):
        list(Customer.objects.all())


def test_saving_another_tenants_row_is_refused(customer, other_tenant):
    with tenant_context(other_tenant):
        customer.last_name = "Hacked"
        with pytest.raises(CrossTenantWrite):
            customer.save()


# ------------------------------------------------------------------ search

def test_search_by_account_number_and_short_queries(in_tenant, staff, customer):
    other = services.customer_create(actor=staff, last_name="Ox")
    spaced = " ".join(customer.virtual_account[i:i + 4] for i in range(0, 26, 4))
    assert list(selectors.customer_list(query=spaced)) == [customer]
    assert list(selectors.customer_list(query=str(other.number))) == [other]
    assert list(selectors.customer_list(query="ox")) == []  # too short to search names
    assert list(selectors.customer_list(query="kowal")) == [customer]
    assert list(selectors.customer_list(query="jan kow")) == [customer]
