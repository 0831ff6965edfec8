"""The telephony's catalogue (voip.catalog): billing groups, price lists and rules (typed
or imported from CSV, all or nothing), exchanges and their AMI check, deleting a range —
each refusal says why and saves nothing."""

import datetime
import socket
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.models import ActionLog
from core.tenancy import all_tenants_context, tenant_context
from voip import catalog, services
from voip.amipeer import AmiPeer, PeerEndpoint
from voip.models import (
    BillingGroup,
    Call,
    ExchangeServer,
    NumberRange,
    PhoneNumber,
    PriceList,
    PriceRule,
    VoipPhone,
)

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 1, 1)


@pytest.fixture
def groups(in_tenant, staff):
    return (catalog.billing_group_create(actor=staff, name="Stacjonarne", code="pl"),
            catalog.billing_group_create(actor=staff, name="Komórkowe", code="mobile"))


@pytest.fixture
def prices(in_tenant, staff):
    return catalog.price_list_create(actor=staff, name="Cennik 2026", valid_from=DAY)


def _messages(raised) -> list[str]:
    return raised.value.messages


def _rules(price_list) -> dict:
    return {r.prefix: (r.billing_group.code, r.price_per_minute, r.first_increment,
                       r.next_increment, r.connection_fee)
            for r in PriceRule.objects.filter(price_list=price_list).select_related(
                "billing_group")}


# --------------------------------------------------------------------------- groups

def test_billing_group_is_made_with_a_lower_case_code_and_logged(in_tenant, staff):
    group = catalog.billing_group_create(actor=staff, name=" Strefa 1 ", code="Zone-1")
    assert (group.name, group.code) == ("Strefa 1", "zone-1")
    assert ActionLog.objects.filter(kind="billinggroup.add").count() == 1


@pytest.mark.parametrize("name,code,field", [
    ("", "pl", "name"), ("Grupa", "", "code"), ("Grupa", "strefa 1", "code"),
    ("Grupa", "ą", "code"), ("Grupa", "x" * 41, "code"), ("G" * 101, "pl", "name"),
    ("Grupa\nzła", "pl", "name"),
])
def test_billing_group_bad_input_is_refused_per_field(in_tenant, staff, name, code, field):
    with pytest.raises(ValidationError) as raised:
        catalog.billing_group_create(actor=staff, name=name, code=code)
    assert field in raised.value.message_dict
    assert not BillingGroup.objects.exists() and not ActionLog.objects.exists()


def test_billing_group_code_is_unique_within_the_tenant_only(in_tenant, staff, groups,
                                                             other_tenant, other_staff):
    with pytest.raises(ValidationError) as raised:
        catalog.billing_group_create(actor=staff, name="Inna", code="PL")
    assert "pl" in raised.value.message_dict["code"][0]
    with tenant_context(other_tenant):
        catalog.billing_group_create(actor=other_staff, name="Stacjonarne", code="pl")
    with all_tenants_context():
        assert BillingGroup.all_tenants.filter(code="pl").count() == 2


def test_billing_group_rename_logs_only_a_change(in_tenant, staff, groups):
    pl, _mobile = groups
    catalog.billing_group_update(actor=staff, group=pl, name="Stacjonarne")
    assert not ActionLog.objects.filter(kind="billinggroup.change").exists()
    catalog.billing_group_update(actor=staff, group=pl, name="Krajowe")
    pl.refresh_from_db()
    assert (pl.name, pl.code) == ("Krajowe", "pl")
    entry = ActionLog.objects.get(kind="billinggroup.change")
    assert entry.changes == {"name": ["Stacjonarne", "Krajowe"]}


def test_billing_group_used_by_a_rule_is_not_deleted(in_tenant, staff, groups, prices):
    pl, mobile = groups
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="48", billing_group=pl,
                           price_per_minute="0.10")
    with pytest.raises(ValidationError) as raised:
        catalog.billing_group_delete(actor=staff, group=pl)
    assert "Cennik 2026" in _messages(raised)[0]
    assert BillingGroup.objects.filter(pk=pl.pk).exists()
    catalog.billing_group_delete(actor=staff, group=mobile)
    assert not BillingGroup.objects.filter(pk=mobile.pk).exists()
    assert ActionLog.objects.filter(kind="billinggroup.delete").count() == 1


def test_billing_group_of_a_phones_free_minutes_is_not_deleted(in_tenant, staff, groups,
                                                               numbers_range, customer):
    pl, _mobile = groups
    services.phone_create(actor=staff, customer=customer, numbers_range=numbers_range,
                          free_minutes=100, free_minute_groups=[pl.pk])
    with pytest.raises(ValidationError) as raised:
        catalog.billing_group_delete(actor=staff, group=pl)
    assert "phones" in _messages(raised)[0]
    assert BillingGroup.objects.filter(pk=pl.pk).exists()


# --------------------------------------------------------------------------- price lists

def test_price_list_per_day_and_copy_of_another(in_tenant, staff, groups, prices):
    pl, mobile = groups
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="48", billing_group=pl,
                           price_per_minute="0.10")
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="4850", billing_group=mobile,
                           price_per_minute="0,29", first_increment=1, next_increment=1,
                           connection_fee="0.05")
    with pytest.raises(ValidationError) as raised:
        catalog.price_list_create(actor=staff, name="Drugi", valid_from=DAY)
    assert "Cennik 2026" in raised.value.message_dict["valid_from"][0]
    copy = catalog.price_list_create(actor=staff, name="Lipiec", valid_from="2026-07-01",
                                     copy_from=prices)
    assert _rules(copy) == _rules(prices) and len(_rules(copy)) == 2
    assert ActionLog.objects.filter(kind="pricelist.add").order_by("pk").last().changes == {
        "rules": [None, 2]}


def test_price_list_copy_of_another_tenants_list_is_refused(in_tenant, staff, other_tenant):
    with tenant_context(other_tenant):
        theirs = PriceList.objects.create(name="Obcy", valid_from=DAY)
    with pytest.raises(ValidationError) as raised:
        catalog.price_list_create(actor=staff, name="Mój", valid_from=DAY, copy_from=theirs)
    assert "copy_from" in raised.value.message_dict
    assert not PriceList.objects.exists()


@pytest.mark.parametrize("day", ["", "2026-02-30", "1969-12-31", "2101-01-01",
                                 datetime.datetime(2026, 1, 1, 12, 0)])
def test_price_list_bad_day_is_refused(in_tenant, staff, day):
    with pytest.raises(ValidationError) as raised:
        catalog.price_list_create(actor=staff, name="Cennik", valid_from=day)
    assert "valid_from" in raised.value.message_dict


def test_price_list_that_priced_calls_is_kept(in_tenant, staff, groups, prices):
    pl, _mobile = groups
    rule = catalog.price_rule_set(actor=staff, price_list=prices, prefix="48",
                                  billing_group=pl, price_per_minute="0.10")
    empty = catalog.price_list_create(actor=staff, name="Pusty", valid_from="2027-01-01")
    catalog.price_rule_set(actor=staff, price_list=empty, prefix="48", billing_group=pl,
                           price_per_minute="0.20")
    Call.objects.create(unique_id="c.1", caller="48223000000", destination="48221234567",
                        started_at=timezone.now(), seconds=60, billed_seconds=60,
                        free_seconds=0, amount=D("0.10"), reason="priced",
                        period=DAY, rule=rule)
    with pytest.raises(ValidationError) as raised:
        catalog.price_list_delete(actor=staff, price_list=prices)
    assert "priced" in _messages(raised)[0]
    assert PriceRule.objects.filter(price_list=prices).count() == 1
    catalog.price_list_delete(actor=staff, price_list=empty)
    assert not PriceList.objects.filter(pk=empty.pk).exists()
    assert not PriceRule.objects.filter(price_list_id=empty.pk).exists()
    assert ActionLog.objects.get(kind="pricelist.delete").changes == {"rules": [1, None]}


# --------------------------------------------------------------------------- rules

def test_price_rule_set_adds_then_changes_the_rule_of_its_prefix(in_tenant, staff, groups,
                                                                 prices):
    pl, mobile = groups
    first = catalog.price_rule_set(actor=staff, price_list=prices, prefix=" 4850 ",
                                   billing_group=pl, price_per_minute="0,1")
    again = catalog.price_rule_set(actor=staff, price_list=prices, prefix="4850",
                                   billing_group=mobile.pk, price_per_minute=D("0.2900"),
                                   first_increment=30, next_increment=6)
    assert first.pk == again.pk
    assert _rules(prices) == {"4850": ("mobile", D("0.29"), 30, 6, D("0"))}
    change = ActionLog.objects.get(kind="pricerule.change").changes
    assert change["billing_group"] == ["pl", "mobile"]
    assert change["first_increment"] == [60, 30]
    # the same values again: nothing to log
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="4850", billing_group=mobile,
                           price_per_minute="0.29", first_increment=30, next_increment=6)
    assert ActionLog.objects.filter(kind="pricerule.change").count() == 1


@pytest.mark.parametrize("values,field", [
    ({"prefix": "+48"}, "prefix"), ({"prefix": ""}, "prefix"),
    ({"prefix": "1234567890123456"}, "prefix"), ({"prefix": "48a"}, "prefix"),
    ({"prefix": "４８"}, "prefix"),  # full-width digits: isdigit() but not ASCII
    ({"first_increment": 0}, "first_increment"), ({"next_increment": 3601}, "next_increment"),
    ({"first_increment": "60s"}, "first_increment"), ({"next_increment": True}, "next_increment"),
    ({"price_per_minute": "-0.01"}, "price_per_minute"),
    ({"price_per_minute": "0.00001"}, "price_per_minute"),
    ({"price_per_minute": "1e3"}, "price_per_minute"),
    ({"price_per_minute": "NaN"}, "price_per_minute"),
    ({"price_per_minute": D("Infinity")}, "price_per_minute"),
    ({"price_per_minute": "100000000"}, "price_per_minute"),
    ({"connection_fee": "0,12345"}, "connection_fee"),
    ({"connection_fee": D("-1")}, "connection_fee"),
])
def test_price_rule_bad_values_are_refused_per_field(in_tenant, staff, groups, prices, values,
                                                     field):
    pl, _mobile = groups
    kwargs = {"prefix": "48", "price_per_minute": "0.10", **values}
    with pytest.raises(ValidationError) as raised:
        catalog.price_rule_set(actor=staff, price_list=prices, billing_group=pl, **kwargs)
    assert list(raised.value.message_dict) == [field]
    assert not PriceRule.objects.exists()


def test_price_rule_boundaries_are_accepted(in_tenant, staff, groups, prices):
    pl, _mobile = groups
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="1", billing_group=pl,
                           price_per_minute="0", first_increment=1, next_increment=3600,
                           connection_fee="0.0001")
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="1" * 15, billing_group=pl,
                           price_per_minute="99999999.9999", first_increment="3600",
                           next_increment="1")
    assert _rules(prices)["1"] == ("pl", D("0"), 1, 3600, D("0.0001"))
    assert _rules(prices)["1" * 15][1] == D("99999999.9999")


def test_another_tenants_billing_group_is_not_usable(in_tenant, staff, prices, other_tenant):
    with tenant_context(other_tenant):
        theirs = BillingGroup.objects.create(name="Obca", code="obca")
    for group in (theirs, theirs.pk, None, "x"):
        with pytest.raises(ValidationError) as raised:
            catalog.price_rule_set(actor=staff, price_list=prices, prefix="48",
                                   billing_group=group, price_per_minute="0.10")
        assert "billing_group" in raised.value.message_dict
    assert not PriceRule.all_tenants.exists()


def test_price_rule_delete_is_logged(in_tenant, staff, groups, prices):
    pl, _mobile = groups
    rule = catalog.price_rule_set(actor=staff, price_list=prices, prefix="48",
                                  billing_group=pl, price_per_minute="0.10")
    catalog.price_rule_delete(actor=staff, rule=rule)
    assert not PriceRule.objects.exists()
    assert ActionLog.objects.get(kind="pricerule.delete").params["x"] == "48"


# --------------------------------------------------------------------------- CSV import

def test_import_with_header_semicolons_and_decimal_commas(in_tenant, staff, groups, prices):
    text = ("\ufeffPrefiks;Grupa;Cena;Pierwszy;Kolejny;Opłata\n"
            "48;pl;0,10\n"
            "\n"
            "4850;MOBILE;0,2900;1;1;0,05;;\n"
            "1;pl;1.2;30;6\n")
    assert catalog.price_rules_import(actor=staff, price_list=prices, text=text) == 3
    assert _rules(prices) == {
        "48": ("pl", D("0.10"), 60, 60, D("0")),
        "4850": ("mobile", D("0.29"), 1, 1, D("0.05")),
        "1": ("pl", D("1.2"), 30, 6, D("0")),
    }
    entry = ActionLog.objects.get(kind="pricerule.import")
    assert entry.changes == {"rules": [0, 3]}


def test_import_with_commas_and_quoted_decimal_comma(in_tenant, staff, groups, prices):
    text = 'prefix,group,price\n48,pl,0.10\n4850,mobile,"0,29",1,1\n'
    assert catalog.price_rules_import(actor=staff, price_list=prices, text=text) == 2
    assert _rules(prices)["4850"][1:4] == (D("0.29"), 1, 1)


def test_a_decimal_comma_split_by_comma_columns_is_refused_not_mispriced(
        in_tenant, staff, groups, prices):
    # "0,25 zł" in a comma-separated file reads as the price 0 and a first increment of
    # 25 s: refused by its line, never imported as a free call.
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices,
                                   text="48,pl,0.10\n4860,mobile,0,25\n")
    messages = raised.value.message_dict["text"]
    assert "1 lines are wrong" in messages[0]
    assert messages[1].startswith("line 2: ") and "0,25" in messages[1]
    assert "quotes" in messages[1] and "“;”" in messages[1]
    assert not PriceRule.objects.exists()
    # a whole price followed by the increments is as ambiguous ("1,60 zł" or 1 zł, 60 s?)
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices, text="48,pl,1,60,60")
    assert raised.value.message_dict["text"][1].startswith("line 1: ")
    assert not PriceRule.objects.exists()


@pytest.mark.parametrize("text", [
    '4860,mobile,"0,25"\n',       # the decimal comma in quotes
    "4860;mobile;0,25\n",         # ";" between columns, as Polish spreadsheets write
    "4860,mobile,0.25,60,60\n",   # a decimal point
])
def test_an_unambiguous_decimal_price_is_imported(in_tenant, staff, groups, prices, text):
    assert catalog.price_rules_import(actor=staff, price_list=prices, text=text) == 1
    assert _rules(prices) == {"4860": ("mobile", D("0.25"), 60, 60, D("0"))}


def test_a_whole_price_alone_or_among_semicolons_is_imported(in_tenant, staff, groups,
                                                             prices):
    # nothing follows the price: nothing of it can have been split off
    assert catalog.price_rules_import(actor=staff, price_list=prices, text="48,pl,1\n") == 1
    assert catalog.price_rules_import(actor=staff, price_list=prices,
                                      text="4860;mobile;1;60;60;0,05\n") == 1
    assert _rules(prices) == {"48": ("pl", D("1"), 60, 60, D("0")),
                              "4860": ("mobile", D("1"), 60, 60, D("0.05"))}


def test_import_errors_name_their_lines_and_nothing_is_saved(in_tenant, staff, groups, prices):
    pl, _mobile = groups
    catalog.price_rule_set(actor=staff, price_list=prices, prefix="48", billing_group=pl,
                           price_per_minute="0.10")
    text = ("prefix;group;price\n"
            "48;pl;0,50\n"        # 2: fine (would change the rule)
            "+4850;mobile;0,29\n"  # 3: bad prefix
            "4860;zone-9;0,29\n"   # 4: unknown group
            "4870;mobile;-1\n"     # 5: negative
            "4880;mobile\n"        # 6: too few columns
            "48;mobile;0,30\n"     # 7: prefix of line 2 again
            "4890;mobile;0,1;0\n")  # 8: increment 0
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices, text=text)
    messages = raised.value.message_dict["text"]
    assert "6 lines are wrong" in messages[0]
    lines = messages[1:]
    assert [m.split(":")[0] for m in lines] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8)]
    assert "prefix" in lines[0]
    assert "zone-9" in lines[1]
    assert "negative" in lines[2]
    assert "2 columns" in lines[3]
    assert "line 2" in lines[4].split(":", 1)[1]
    assert "first increment" in lines[5]
    assert _rules(prices) == {"48": ("pl", D("0.10"), 60, 60, D("0"))}
    assert not ActionLog.objects.filter(kind="pricerule.import").exists()


def test_import_lists_at_most_twenty_bad_lines(in_tenant, staff, groups, prices):
    text = "\n".join(f"48{n};nope;0,1" for n in range(30))
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices, text=text)
    messages = raised.value.message_dict["text"]
    assert "30 lines are wrong" in messages[0]
    assert len(messages) == 1 + 20 + 1 and "10 more" in messages[-1]


def test_import_another_tenants_group_code_is_unknown(in_tenant, staff, groups, prices,
                                                      other_tenant):
    with tenant_context(other_tenant):
        BillingGroup.objects.create(name="Obca", code="obca")
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices, text="48;obca;0,10")
    assert "obca" in raised.value.message_dict["text"][1]
    assert not PriceRule.all_tenants.exists()


@pytest.mark.parametrize("text", ["", "\n\n", "prefix;group;price\n"])
def test_import_of_no_rules_is_refused(in_tenant, staff, groups, prices, text):
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices, text=text)
    assert "no price rules" in raised.value.message_dict["text"][0]


def test_a_first_line_with_a_bad_prefix_is_an_error_not_a_header(in_tenant, staff, groups,
                                                                 prices):
    with pytest.raises(ValidationError) as raised:
        catalog.price_rules_import(actor=staff, price_list=prices,
                                   text="+48;pl;0,10\n4850;mobile;0,29")
    assert raised.value.message_dict["text"][1].startswith("line 1:")


def test_import_updates_prefixes_and_replace_deletes_the_rest(in_tenant, staff, groups, prices):
    pl, mobile = groups
    for prefix in ("48", "4850", "49"):
        catalog.price_rule_set(actor=staff, price_list=prices, prefix=prefix, billing_group=pl,
                               price_per_minute="1")
    kept = PriceRule.objects.get(prefix="4850").pk
    catalog.price_rules_import(actor=staff, price_list=prices, text="4850;mobile;0,29\n44;pl;2")
    assert set(_rules(prices)) == {"48", "4850", "49", "44"}
    assert PriceRule.objects.get(prefix="4850").pk == kept  # changed in place
    assert _rules(prices)["4850"][:2] == ("mobile", D("0.29"))
    catalog.price_rules_import(actor=staff, price_list=prices, text="4850;mobile;0,30",
                               replace=True)
    assert _rules(prices) == {"4850": ("mobile", D("0.30"), 60, 60, D("0"))}
    assert ActionLog.objects.filter(kind="pricerule.import").order_by("pk").last().changes == {
        "rules": [4, 1], "deleted": [None, 3]}


def test_import_of_5000_lines_is_written_in_bulk(in_tenant, staff, groups, prices,
                                                 django_assert_max_num_queries):
    text = "\n".join(f"{48_000_000 + n};{'pl' if n % 2 else 'mobile'};0,{n % 100:02d};1;1"
                     for n in range(5000))
    # groups, the list locked, the count before, 3 inserts of 2,000, the count after, the
    # log entry, savepoints — whatever the number of lines.
    with django_assert_max_num_queries(15):
        assert catalog.price_rules_import(actor=staff, price_list=prices, text=text) == 5000
    assert PriceRule.objects.filter(price_list=prices).count() == 5000


# --------------------------------------------------------------------------- exchanges

def _exchange(staff, **kw):
    values = {"name": "Centrala", "ami_host": "127.0.0.1", "ami_port": 5038,
              "ami_username": "abonent", "ami_secret": "Tajne: hasło", **kw}
    return catalog.exchange_server_create(actor=staff, **values)


def test_exchange_secret_is_encrypted_and_never_logged(in_tenant, staff):
    server = _exchange(staff)
    with connection.cursor() as cursor:
        cursor.execute("SELECT ami_secret FROM voip_exchangeserver WHERE id = %s", [server.pk])
        stored = cursor.fetchone()[0]
    assert "Tajne" not in stored
    assert ExchangeServer.objects.get().ami_secret == "Tajne: hasło"
    catalog.exchange_server_update(actor=staff, server=server, ami_secret="")
    assert ExchangeServer.objects.get().ami_secret == "Tajne: hasło"
    assert not ActionLog.objects.filter(kind="exchangeserver.change").exists()
    catalog.exchange_server_update(actor=staff, server=server, ami_secret="Nowe-haslo",
                                   ami_port="5039")
    server.refresh_from_db()
    assert (server.ami_secret, server.ami_port) == ("Nowe-haslo", 5039)
    logged = " ".join(str(e.changes) + str(e.params) for e in ActionLog.objects.all())
    assert "Tajne" not in logged and "Nowe-haslo" not in logged
    assert ActionLog.objects.get(kind="exchangeserver.change").changes["ami_secret"] == [
        "•••", "•••"]


@pytest.mark.parametrize("values,field", [
    ({"name": ""}, "name"), ({"ami_host": "bad host"}, "ami_host"),
    ({"ami_host": "-x.example"}, "ami_host"), ({"ami_host": ""}, "ami_host"),
    ({"ami_port": 0}, "ami_port"), ({"ami_port": 65536}, "ami_port"),
    ({"ami_username": "ab c"}, "ami_username"), ({"ami_secret": ""}, "ami_secret"),
    ({"ami_secret": "a\r\nAction: Originate"}, "ami_secret"),
])
def test_exchange_bad_values_are_refused(in_tenant, staff, values, field):
    with pytest.raises(ValidationError) as raised:
        _exchange(staff, **values)
    assert list(raised.value.message_dict) == [field]
    assert not ExchangeServer.objects.exists()


def test_exchange_names_are_unique_and_hosts_may_be_names_or_ipv6(in_tenant, staff):
    _exchange(staff, ami_host="PBX.example.com")
    assert ExchangeServer.objects.get().ami_host == "pbx.example.com"
    with pytest.raises(ValidationError) as raised:
        _exchange(staff, ami_host="::1")
    assert "name" in raised.value.message_dict
    assert _exchange(staff, name="Zapasowa", ami_host="::1").ami_host == "::1"


def test_an_exchange_moved_with_its_secret_typed_again_keeps_it(in_tenant, staff):
    server = _exchange(staff)
    # moved without the secret: refused (the kept secret would go to the new address)
    with pytest.raises(ValidationError) as raised:
        catalog.exchange_server_update(actor=staff, server=server, ami_host="10.9.9.9")
    assert "type its AMI secret again" in raised.value.message_dict["ami_secret"][0]
    # the same secret typed again is given: the exchange moves and keeps it
    catalog.exchange_server_update(actor=staff, server=server, ami_host="10.9.9.9",
                                   ami_port=5039, ami_secret="Tajne: hasło")
    server.refresh_from_db()
    assert (server.ami_host, server.ami_port, server.ami_secret) == (
        "10.9.9.9", 5039, "Tajne: hasło")
    changed = ActionLog.objects.get(kind="exchangeserver.change").changes
    assert changed["ami_host"] == ["127.0.0.1", "10.9.9.9"]
    assert "ami_secret" not in changed  # the secret did not change
    # the same host and port again is no move: no secret needed
    catalog.exchange_server_update(actor=staff, server=server, ami_host="10.9.9.9",
                                   ami_port="5039", name="Centrala B")
    server.refresh_from_db()
    assert (server.name, server.ami_secret) == ("Centrala B", "Tajne: hasło")


@pytest.mark.parametrize("host", [
    "pbx_1.example.com",        # "_": a DNS label (SRV's _sip._udp), not a host name
    "_sip._udp.example.com",
    "127.1",                    # an IPv4 address in a resolver's shorthand, not a name
    "2130706433",
    "10.0.0.999",
    "pbx.example.123",
    "a" * 64 + ".example.com",  # a label of 64
    ("a" * 62 + ".") * 4 + "pl",  # 254 characters
    "pbx..example.com",
    "pbx.example.com-",
    "ｐｂｘ.example.com",         # full-width letters are not ASCII
])
def test_an_exchange_host_that_is_no_host_name_is_refused(in_tenant, staff, host):
    from core import netguard

    assert not netguard.hostname_valid(host)
    with pytest.raises(ValidationError) as raised:
        _exchange(staff, ami_host=host)
    assert "neither an IP address nor a host name" in raised.value.message_dict["ami_host"][0]
    assert not ExchangeServer.objects.exists()


@pytest.mark.parametrize("host", ["pbx", "PBX-1.Example.com", "pbx.example.com.",
                                  "1pbx.example.pl", "xn--pbx-zma.pl",
                                  ("a" * 62 + ".") * 4 + "p"])
def test_an_exchange_host_name_of_rfc_1123_is_taken(in_tenant, staff, host):
    from core import netguard

    assert netguard.hostname_valid(host)
    assert _exchange(staff, ami_host=host).ami_host == host.lower()


def test_exchange_used_by_a_phone_is_not_deleted(in_tenant, staff, numbers_range, customer):
    server = _exchange(staff)
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    VoipPhone.objects.filter(pk=phone.pk).update(server=server)
    with pytest.raises(ValidationError) as raised:
        catalog.exchange_server_delete(actor=staff, server=server)
    assert "1 phones" in _messages(raised)[0]
    VoipPhone.objects.filter(pk=phone.pk).update(server=None)
    catalog.exchange_server_delete(actor=staff, server=server)
    assert not ExchangeServer.objects.exists()


def test_exchange_check_logs_in_to_the_ami(in_tenant, staff):
    with AmiPeer(username="abonent", secret="Tajne: hasło",
                 endpoints={"4822300001": PeerEndpoint()}) as peer:
        server = _exchange(staff, ami_port=peer.port)
        check = catalog.exchange_server_check(server=server, timeout=3)
        assert check.ok and "abonent" in check.message
        assert [a["Action"] for a in peer.actions][:2] == ["Login", "PJSIPShowEndpoint"]
        catalog.exchange_server_update(actor=staff, server=server, ami_secret="zgadywane")
        server.refresh_from_db()
        check = catalog.exchange_server_check(server=server, timeout=3)
        assert not check.ok and "Authentication failed" in check.message


def test_exchange_check_of_a_closed_port_says_so(in_tenant, staff):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    check = catalog.exchange_server_check(server=_exchange(staff, ami_port=port), timeout=3)
    assert not check.ok and "No AMI service answered at 127.0.0.1" in check.message


# --------------------------------------------------------------------------- ranges

def test_range_with_an_assigned_number_is_not_deleted(in_tenant, staff, numbers_range,
                                                      customer):
    phone, _p = services.phone_create(actor=staff, customer=customer,
                                      numbers_range=numbers_range)
    with pytest.raises(ValidationError) as raised:
        catalog.number_range_delete(actor=staff, numbers_range=numbers_range)
    assert "1 numbers" in _messages(raised)[0]
    assert PhoneNumber.objects.filter(range=numbers_range).count() == 10
    services.phone_remove(actor=staff, phone=phone)  # its number goes to quarantine
    catalog.number_range_delete(actor=staff, numbers_range=numbers_range)
    assert not NumberRange.objects.exists() and not PhoneNumber.objects.exists()
    assert ActionLog.objects.get(kind="numberrange.delete").changes == {"numbers": [10, 0]}


def test_deleting_a_range_leaves_other_ranges_and_tenants_alone(in_tenant, staff,
                                                                numbers_range, other_tenant,
                                                                other_staff):
    other = services.number_range_create(actor=staff, name="Kraków", first="+48123000000",
                                         last="+48123000004")
    with tenant_context(other_tenant):
        services.number_range_create(actor=other_staff, name="Obcy", first="+48583000000",
                                     last="+48583000002")
    catalog.number_range_delete(actor=staff, numbers_range=numbers_range)
    assert PhoneNumber.objects.filter(range=other).count() == 5
    with all_tenants_context():
        assert PhoneNumber.all_tenants.count() == 8


def test_an_exchange_at_the_platforms_own_address_is_refused(in_tenant, staff, settings):
    settings.PEER_ALLOWED_NETWORKS = []
    for host in ("127.0.0.1", "169.254.169.254", "::1"):
        with pytest.raises(ValidationError) as refused:
            _exchange(staff, ami_host=host)
        assert "ami_host" in refused.value.message_dict
    assert not ExchangeServer.objects.exists()
    assert _exchange(staff, ami_host="10.1.2.3").ami_host == "10.1.2.3"  # an ISP's own LAN
