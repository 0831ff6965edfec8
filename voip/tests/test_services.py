"""Number ranges, numbers taken and released, phones: what staff see when they add a
phone — including two phones added at once, and another ISP's numbers."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from core.models import ActionLog
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from voip import services
from voip.models import BillingGroup, FreeNumber, NumberRange, PhoneNumber, VoipPhone

from .conftest import BOTH, asterisk_rows, committed_range

pytestmark = pytest.mark.django_db


def _phone(staff, customer, numbers_range, **kw):
    return services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                                 **kw)


def test_a_national_number_is_polish_and_a_prefix_is_not_a_number():
    assert services.number_parse("22 300 00 00") == 48223000000
    assert services.number_parse("0048 22 300 00 00") == 48223000000
    assert services.number_parse("+420 212 345 678") == 420212345678
    for bad in ("", "+", "22 300 00", "+48 22 300 00 00 ext 1", "٤٨٢٢٣٠٠٠٠٠٠", "+48\n22"):
        with pytest.raises(ValidationError):
            services.number_parse(bad)


def test_a_range_brings_all_its_numbers_free(numbers_range):
    assert numbers_range.first == 48223000000 and numbers_range.size == 10
    assert list(PhoneNumber.objects.values_list("number", "state")) == [
        (48223000000 + i, "free") for i in range(10)]
    assert ActionLog.objects.filter(kind="numberrange.add").count() == 1


@pytest.mark.parametrize(("first", "last", "field", "says"), [
    ("+48 22 300 00 09", "+48 22 300 00 00", "last", "below the first"),
    ("+48 22 300 00 00", "+48 22 30 00 00", "last", "same number of digits"),
    ("+48 22 300 00 00", "+48 22 310 00 00", "last", "at most 100 000"),
    ("300 00 00", "300 00 09", "first", "international form"),
    ("+48 22 300 00 0x", "+48 22 300 00 09", "first", "international form"),
    ("+0 22 300 00 00", "+48 22 300 00 09", "first", "international form"),
    ("+4822300000012345", "+4822300000012349", "first", "international form"),
])
def test_a_bad_range_is_refused_and_nothing_is_saved(in_tenant, staff, first, last, field,
                                                     says):
    with pytest.raises(ValidationError) as err:
        services.number_range_create(actor=staff, name="Zły", first=first, last=last)
    assert says in " ".join(err.value.message_dict[field])
    assert not NumberRange.objects.exists() and not PhoneNumber.objects.exists()


def test_an_overlapping_range_of_the_tenant_is_named(numbers_range, staff):
    with pytest.raises(ValidationError) as err:
        services.number_range_create(actor=staff, name="Drugi", first="+48223000009",
                                     last="+48223000019")
    assert "Warszawa 22 300" in err.value.message_dict["first"][0]
    assert NumberRange.objects.count() == 1


def test_another_operators_numbers_are_refused_without_showing_them(
        numbers_range, other_tenant, other_staff):
    with tenant_context(other_tenant):
        with pytest.raises(ValidationError) as err:
            services.number_range_create(actor=other_staff, name="Beta",
                                         first="+48223000005", last="+48223000015")
        assert "another operator" in err.value.message_dict["first"][0]
        assert "Warszawa" not in str(err.value)
        assert not NumberRange.objects.exists() and not PhoneNumber.objects.exists()
        # a range next to it, sharing no number, is fine
        services.number_range_create(actor=other_staff, name="Beta", first="+48223000010",
                                     last="+48223000019")
        assert PhoneNumber.objects.count() == 10
    assert PhoneNumber.objects.count() == 10  # each sees its own


def test_a_phone_takes_the_first_free_number_and_a_chosen_one(numbers_range, staff,
                                                             customer):
    first, password = _phone(staff, customer, numbers_range)
    assert first.number.number == 48223000000 and first.number.state == "assigned"
    assert len(password) == 20 and first.password == password
    chosen, _p = _phone(staff, customer, numbers_range, number="+48 22 300 00 07")
    assert chosen.number.number == 48223000007
    following, _p = _phone(staff, customer, numbers_range)
    assert following.number.number == 48223000001
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, numbers_range, number="+48223000007")
    assert "not free" in err.value.message_dict["number"][0]
    with pytest.raises(ValidationError) as err:  # a prefix of the range's numbers
        _phone(staff, customer, numbers_range, number="+4822300000")
    assert "not in the range" in err.value.message_dict["number"][0]
    assert VoipPhone.objects.count() == 3


def test_a_full_range_says_so(in_tenant, staff, customer):
    small = services.number_range_create(actor=staff, name="Mały", first="+48223009000",
                                         last="+48223009000")
    _phone(staff, customer, small)
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, small)
    assert "no free number" in err.value.message_dict["number"][0]


def test_a_removed_phones_number_waits_in_quarantine(numbers_range, staff, customer):
    phone, _p = _phone(staff, customer, numbers_range, number="+48223000000")
    services.phone_remove(actor=staff, phone=phone)
    number = PhoneNumber.objects.get(number=48223000000)
    assert number.state == "quarantined"
    assert number.quarantined_until == timezone.localdate() + timedelta(days=90)
    again, _p = _phone(staff, customer, numbers_range)
    assert again.number.number == 48223000001  # not the quarantined one
    with pytest.raises(ValidationError):
        _phone(staff, customer, numbers_range, number="+48223000000")
    # the quarantine over, the number is free again
    PhoneNumber.objects.filter(pk=number.pk).update(
        quarantined_until=timezone.localdate())
    back, _p = _phone(staff, customer, numbers_range, number="+48223000000")
    assert back.number.state == "assigned" and back.number.quarantined_until is None


def test_no_quarantine_when_the_tenant_sets_zero_days(numbers_range, staff, customer):
    tenant_setting_set(actor=staff, key="voip.quarantine_days", raw_value="0")
    phone, _p = _phone(staff, customer, numbers_range)
    services.phone_remove(actor=staff, phone=phone)
    assert PhoneNumber.objects.get(number=48223000000).state == "free"


def test_phone_values_are_checked_all_at_once_and_nothing_is_saved(numbers_range, staff,
                                                                  customer):
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, numbers_range, password="krótkie",
               amount_limit="-1", notify_threshold="10.005", context='a"; DROP',
               voicemail_pin="12ab", free_minutes="-5", billing_type="gratis")
    assert set(err.value.message_dict) == {"password", "amount_limit", "notify_threshold",
                                           "context", "voicemail_pin", "free_minutes",
                                           "billing_type"}
    assert not VoipPhone.objects.exists()
    assert PhoneNumber.objects.filter(state="free").count() == 10


@pytest.mark.parametrize("password", ['quote"quote1234', "back\\slash12345",
                                      "space in it 1234", "zażółć12345678"])
def test_a_password_that_would_cross_badly_into_the_exchange_is_refused(
        numbers_range, staff, customer, password):
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, numbers_range, password=password)
    assert "may not contain" in err.value.message_dict["password"][0]


def test_free_minutes_groups_and_free_numbers(numbers_range, staff, customer, other_tenant):
    mobile = BillingGroup.objects.create(name="Komórkowe", code="mobile")
    with tenant_context(other_tenant):
        foreign = BillingGroup.objects.create(name="Obce", code="mobile")
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, numbers_range, free_minutes=300,
               free_minute_groups=[foreign.pk])
    assert "free_minute_groups" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        _phone(staff, customer, numbers_range, free_numbers_count=1,
               free_numbers=["+48600100200", "+48600100201"])
    assert "At most 1" in err.value.message_dict["free_numbers"][0]
    phone, _p = _phone(staff, customer, numbers_range, free_minutes=300,
                       free_minute_groups=[mobile.pk], free_numbers_count=2,
                       free_numbers=["+48 600 100 200", "0048600100200"],
                       amount_limit="150,00", notify_threshold="120")
    assert list(phone.free_minute_groups.all()) == [mobile]
    assert list(FreeNumber.objects.values_list("number", flat=True)) == ["48600100200"]
    assert phone.amount_limit == Decimal("150.00")
    with pytest.raises(ValidationError):  # fewer free numbers than it names
        services.phone_update(actor=staff, phone=phone, free_numbers_count=0)


def test_a_change_is_logged_without_the_secrets(numbers_range, staff, customer):
    phone, password = _phone(staff, customer, numbers_range)
    services.phone_update(actor=staff, phone=phone, password="Nowe-Haslo-2026xyz",
                          context="premium")
    entry = ActionLog.objects.get(kind="voipphone.change")
    assert entry.changes["context"] == ["default", "premium"]
    assert password not in str(entry.changes) and "Nowe-Haslo" not in str(entry.changes)
    assert VoipPhone.objects.get(pk=phone.pk).password == "Nowe-Haslo-2026xyz"


def test_another_tenants_phone_is_not_found(numbers_range, staff, customer, other_tenant):
    phone, _p = _phone(staff, customer, numbers_range)
    with tenant_context(other_tenant):
        assert not VoipPhone.objects.filter(pk=phone.pk).exists()
        with pytest.raises(VoipPhone.DoesNotExist):
            services.phone_update(actor=None, phone=phone, context="x")


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_two_phones_added_at_once_get_two_numbers(tenant, staff, asterisk_committed):
    customer, numbers_range = committed_range(tenant, staff, "+48223000100", "+48223000101")
    barrier, results = threading.Barrier(4), []

    def add(number=None):
        try:
            with tenant_context(tenant):
                barrier.wait(5)
                phone, _p = _phone(staff, customer, numbers_range, number=number)
                results.append(phone.number.number)
        except ValidationError as exc:
            results.append(exc.message_dict["number"][0])
        finally:
            connections.close_all()  # the thread's own: Abonent's and the exchange's

    # two ask for the first free one, two for the same chosen number
    threads = [threading.Thread(target=add), threading.Thread(target=add),
               threading.Thread(target=add, args=("+48223000101",)),
               threading.Thread(target=add, args=("+48223000101",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    numbers = sorted(r for r in results if isinstance(r, int))
    assert numbers == [48223000100, 48223000101]  # never one number twice
    assert len(results) == 4
    with tenant_context(tenant):
        assert VoipPhone.objects.count() == 2
        assert set(PhoneNumber.objects.values_list("state", flat=True)) == {"assigned"}
    # each written to the exchange after its commit
    assert [r["id"] for r in asterisk_rows("ps_endpoints")] == ["48223000100", "48223000101"]


@pytest.mark.django_db(transaction=True, databases=["default", "asterisk"])
def test_one_token_sent_twice_at_once_adds_one_phone(tenant, staff, asterisk_committed):
    import uuid

    from django.db import connection as conn

    customer, numbers = committed_range(tenant, staff, "+48223100000", "+48223100009")
    token, results, barrier = uuid.uuid4(), [], threading.Barrier(2)

    def add():
        try:
            with tenant_context(tenant):
                barrier.wait()
                results.append(services.phone_create(actor=staff, customer=customer,
                                                     numbers_range=numbers,
                                                     request_token=token)[0].pk)
        finally:
            conn.close()

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with tenant_context(tenant):
        assert VoipPhone.objects.count() == 1
        assert results == [VoipPhone.objects.get().pk] * 2
