"""Writes rows into an LMS database the way LMS itself writes them (test data for the import).

LMS (chilek/lms, GPL-2) keeps its semantics in PHP constants rather than in the schema, so
the ones the import depends on are repeated here with their LMS names. The writer mirrors
what LMS's own forms store: a customer always has a billing address (``customerview`` joins
on it), an invoice writes one negative ``cash`` row per item (type 0, a liability), a
correction stores the items' new state and writes the difference to ``cash``, a receipt (KP
positive, KW negative) and a bank payment write positive/negative type-1 rows, a debit note
writes negative rows. ``documents.closed = 1`` is LMS's "settled" mark.

Every cash row also goes into ``LmsWriter.balances`` so a test can compare what the writer
meant with what the database holds (``SUM(cash.value)`` and the ``customerbalances`` table
LMS's trigger keeps).
"""

import ipaddress
from collections import defaultdict
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

__all__ = [
    "ADDRESS_BILLING",
    "ADDRESS_DEFAULT_LOCATION",
    "ADDRESS_LOCATION",
    "ADDRESS_POSTAL",
    "CONTACT_BANKACCOUNT",
    "CONTACT_EMAIL",
    "CONTACT_INVOICES",
    "CONTACT_LANDLINE",
    "CONTACT_MOBILE",
    "CONTACT_NOTIFICATIONS",
    "DOC_CNOTE",
    "DOC_DNOTE",
    "DOC_INVOICE",
    "DOC_RECEIPT",
    "LmsWriter",
    "epoch",
    "iban_pl",
    "lms_bankaccount",
    "nip",
    "pesel",
    "regon",
    "scenario_small",
]

WARSAW = ZoneInfo("Europe/Warsaw")
CENT = Decimal("0.01")

# lib/definitions.php
CTYPES_PRIVATE, CTYPES_COMPANY = 0, 1
CSTATUS_INTERESTED, CSTATUS_WAITING, CSTATUS_CONNECTED, CSTATUS_DISCONNECTED = 1, 2, 3, 4
CCONSENT_DATE, CCONSENT_INVOICENOTICE, CCONSENT_MAILINGNOTICE, CCONSENT_EINVOICE = 1, 2, 3, 4
CCONSENT_SMSNOTICE = 8
DOC_INVOICE, DOC_RECEIPT, DOC_CNOTE, DOC_DNOTE = 1, 2, 3, 5
DISPOSABLE, MONTHLY, QUARTERLY, YEARLY = 0, 3, 4, 5
SERVICE_INTERNET, SERVICE_PHONE, SERVICE_TV = 1, 4, 5
CONTACT_MOBILE, CONTACT_FAX, CONTACT_LANDLINE, CONTACT_EMAIL = 1, 2, 4, 8
CONTACT_INVOICES, CONTACT_NOTIFICATIONS, CONTACT_BANKACCOUNT = 16, 32, 64
CONTACT_TECHNICAL, CONTACT_DISABLED = 128, 16384
SESSIONTYPE_PPPOE, SESSIONTYPE_DHCP = 1, 2  # nodes.authtype bits
# lib/LMSManagers/LMSLocationManager: customer_addresses.type
ADDRESS_POSTAL, ADDRESS_BILLING, ADDRESS_LOCATION, ADDRESS_DEFAULT_LOCATION = 0, 1, 2, 3
# cash.type: 0 a liability (document), 1 money moved (payment, receipt)
CASH_LIABILITY, CASH_PAYMENT = 0, 1


def epoch(day: date | datetime) -> int:
    """LMS stores local (Polish) time as a Unix timestamp; a date means its midnight."""
    if not isinstance(day, datetime):
        day = datetime.combine(day, time())
    if day.tzinfo is None:
        day = day.replace(tzinfo=WARSAW)
    return int(day.timestamp())


def _month(start: date, offset: int, day: int) -> date:
    """``day`` of the month ``offset`` months after ``start``'s (negative goes back)."""
    year, month = divmod(start.month - 1 + offset, 12)
    return date(start.year + year, month + 1, day)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _gross(value, count) -> Decimal:
    """An item's gross total as get_invoice_contents computes it: round(value * |count|, 2)."""
    return _money(Decimal(str(value)) * abs(Decimal(str(count))))


class LmsWriter:
    """Inserts LMS rows through one autocommit psycopg connection; methods return new ids."""

    def __init__(self, conn, *, division_id: int | None = None):
        self.conn = conn
        # LMS sets this on every connection; customerview and friends read it.
        conn.execute("SELECT set_config('lms.current_user', '', false)")
        self.division_id = division_id or self._one("SELECT min(id) FROM divisions")
        self.balances: dict[int, Decimal] = defaultdict(Decimal)
        self._numbers: dict[tuple[int, int], int] = {}
        self._customers: dict[int, dict] = {}
        self.user_id = self.user("admin", "Jan", "Administrator")

    # -- plumbing -----------------------------------------------------------------------
    def _one(self, query, params=()):
        return self.conn.execute(query, params).fetchone()[0]

    def _insert(self, table: str, row: dict, returning: str | None = "id"):
        cols = ", ".join(row)
        marks = ", ".join(["%s"] * len(row))
        query = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - test code
        if returning:
            return self._one(query + f" RETURNING {returning}", tuple(row.values()))
        self.conn.execute(query, tuple(row.values()))
        return None

    def _cash(self, *, customer_id, value, when, kind, comment, docid=None, itemid=0,
              taxid=None, sourceid=None, servicetype=None) -> int:
        value = _money(value)
        if customer_id is not None:
            self.balances[customer_id] += value
        return self._insert("cash", {
            "time": when, "type": kind, "value": value, "customerid": customer_id,
            "comment": comment, "docid": docid, "itemid": itemid, "taxid": taxid,
            "userid": self.user_id, "sourceid": sourceid, "currency": "PLN",
            "currencyvalue": 1, "servicetype": servicetype,
        })

    # -- dictionaries -------------------------------------------------------------------
    def user(self, login, firstname, lastname) -> int:
        return self._insert("users", {
            "login": login, "firstname": firstname, "lastname": lastname,
            "email": f"{login}@isp.example", "rights": "full_access",
        })

    def division_account(self, account: str) -> None:
        """Set the division's bank account; a prefix (< 21 digits) makes LMS derive one
        account per customer from it (``lms_bankaccount``)."""
        self.conn.execute("UPDATE divisions SET account = %s, ten = %s, name = %s"
                          " WHERE id = %s", (account, "5250000008", "ISP Test Sp. z o.o.",
                                             self.division_id))

    def tax(self, value, label, *, taxed=1) -> int:
        return self._insert("taxes", {"value": Decimal(str(value)), "label": label,
                                      "taxed": taxed})

    def numberplan(self, template, doctype, *, period=YEARLY, isdefault=1) -> int:
        plan = self._insert("numberplans", {"template": template, "doctype": doctype,
                                            "period": period, "isdefault": isdefault})
        self._insert("numberplanassignments", {"planid": plan, "divisionid": self.division_id})
        return plan

    def cashreg(self, name, *, in_plan=None, out_plan=None) -> int:
        return self._insert("cashregs", {"name": name, "in_numberplanid": in_plan,
                                         "out_numberplanid": out_plan})

    def cashsource(self, name, account="") -> int:
        return self._insert("cashsources", {"name": name, "account": account})

    def location(self, *, state, district, borough, city, street=None, idents=None) -> dict:
        """A TERYT chain (state → district → borough → city → street); returns their ids."""
        ids = idents or {}
        out = {"state": self._insert("location_states", {
            "ident": ids.get("woj", "14"), "name": state})}
        out["district"] = self._insert("location_districts", {
            "name": district, "ident": ids.get("pow", "65"), "stateid": out["state"]})
        out["borough"] = self._insert("location_boroughs", {
            "name": borough, "ident": ids.get("gmi", "01"), "districtid": out["district"],
            "type": 1})
        out["city"] = self._insert("location_cities", {
            "ident": ids.get("simc", "0918123"), "name": city, "boroughid": out["borough"]})
        if street:
            out["street"] = self._insert("location_streets", {
                "name": street, "ident": ids.get("ulic", "12345"), "cityid": out["city"]})
        return out

    # -- customers ----------------------------------------------------------------------
    def customer(self, lastname, name="", *, type=CTYPES_PRIVATE, status=CSTATUS_CONNECTED,
                 ssn="", ten="", regon="", icn="", created=date(2024, 1, 1), deleted=0,
                 info="", consents=(CCONSENT_DATE,), address=None, paytime=-1,
                 flags=0) -> int:
        """A customer with its billing address (LMS requires one) and consents."""
        customer = self._insert("customers", {
            "lastname": lastname, "name": name, "type": type, "status": status, "ssn": ssn,
            "ten": ten, "regon": regon, "icn": icn, "creationdate": epoch(created),
            "moddate": epoch(created), "creatorid": self.user_id, "deleted": deleted,
            "info": info, "divisionid": self.division_id, "paytime": paytime, "flags": flags,
        })
        billing = address or {"city": "Warszawa", "street": "ul. Prosta", "house": "1",
                              "zip": "00-001"}
        self.address(customer, ADDRESS_BILLING, **billing)
        for consent in consents:
            self._insert("customerconsents", {"customerid": customer, "type": consent,
                                              "cdate": epoch(created)}, returning=None)
        self._customers[customer] = {
            "name": f"{lastname} {name}".strip(), "ten": ten, "ssn": ssn,
            "address": f"{billing.get('street') or billing['city']} {billing.get('house', '')}"
                       .strip(), "zip": billing.get("zip"), "city": billing["city"],
        }
        return customer

    def address(self, customer_id, kind, *, city, street=None, house=None, flat=None,
                zip=None, postoffice=None, city_id=None, street_id=None, state=None,
                state_id=None, name=None) -> int:
        """An address linked to a customer as billing/postal/(default) location."""
        poland = self._one("SELECT id FROM countries WHERE ccode = 'pl_PL' LIMIT 1")
        address = self._insert("addresses", {
            "name": name, "state": state, "state_id": state_id, "city": city,
            "city_id": city_id, "street": street, "street_id": street_id, "zip": zip,
            "postoffice": postoffice, "house": house, "flat": flat, "country_id": poland,
        })
        self._insert("customer_addresses", {"customer_id": customer_id, "address_id": address,
                                            "type": kind})
        return address

    def contact(self, customer_id, contact, kind, name="") -> int:
        return self._insert("customercontacts", {"customerid": customer_id,
                                                 "contact": contact, "type": kind,
                                                 "name": name})

    def phone(self, customer_id, number, *, mobile=True, notifications=False, name=""):
        kind = (CONTACT_MOBILE if mobile else CONTACT_LANDLINE) | (
            CONTACT_NOTIFICATIONS if notifications else 0)
        return self.contact(customer_id, number, kind, name)

    def email(self, customer_id, address, *, invoices=False, notifications=False,
              disabled=False, name=""):
        kind = CONTACT_EMAIL | (CONTACT_INVOICES if invoices else 0) | (
            CONTACT_NOTIFICATIONS if notifications else 0) | (
            CONTACT_DISABLED if disabled else 0)
        return self.contact(customer_id, address, kind, name)

    def bank_account(self, customer_id, account, *, assigned=False, name=""):
        """A bank account contact. ``assigned=True`` adds CONTACT_INVOICES: the account LMS
        prints on the customer's invoices instead of the division's (the customer's own
        "alternative"/virtual account to pay into); without it, the customer's own account
        (what the bank import matches payers by)."""
        kind = CONTACT_BANKACCOUNT | (CONTACT_INVOICES if assigned else 0)
        return self.contact(customer_id, account, kind, name)

    def group(self, name, description="") -> int:
        return self._insert("customergroups", {"name": name, "description": description})

    def group_member(self, group_id, customer_id, *, since=date(2024, 1, 1), until=None):
        return self._insert("customerassignments", {
            "customergroupid": group_id, "customerid": customer_id,
            "startdate": epoch(since), "enddate": epoch(until) if until else 0})

    def note(self, customer_id, message, *, when=date(2024, 6, 1)) -> int:
        return self._insert("customernotes", {"customerid": customer_id, "message": message,
                                              "dt": epoch(when), "userid": self.user_id})

    # -- services -----------------------------------------------------------------------
    def tariff(self, name, value, tax_id, *, period=MONTHLY, type=SERVICE_INTERNET,
               downrate=0, uprate=0, disabled=0, prodid="", description="") -> int:
        return self._insert("tariffs", {
            "name": name, "value": Decimal(str(value)), "taxid": tax_id, "period": period,
            "type": type, "downrate": downrate, "downceil": downrate, "uprate": uprate,
            "upceil": uprate, "disabled": disabled, "prodid": prodid,
            "description": description, "currency": "PLN",
        })

    def assignment(self, customer_id, tariff_id, *, period=MONTHLY, at=1,
                   datefrom=date(2024, 1, 1), dateto=None, pdiscount=0, vdiscount=0,
                   suspended=0, invoice=DOC_INVOICE, settlement=0, count=1,
                   numberplan_id=None) -> int:
        """``at`` is the day of the month the charge is made (the billing day)."""
        return self._insert("assignments", {
            "customerid": customer_id, "tariffid": tariff_id, "period": period, "at": at,
            "datefrom": epoch(datefrom), "dateto": epoch(dateto) if dateto else 0,
            "pdiscount": Decimal(str(pdiscount)), "vdiscount": Decimal(str(vdiscount)),
            "suspended": suspended, "invoice": invoice, "settlement": settlement,
            "count": count, "numberplanid": numberplan_id,
        })

    # -- network ------------------------------------------------------------------------
    def network(self, name, cidr, *, gateway=None, dns="", interface="eth0",
                dhcpstart="", dhcpend="") -> int:
        net = ipaddress.IPv4Network(cidr)
        return self._insert("networks", {
            "name": name, "address": int(net.network_address), "mask": str(net.netmask),
            "gateway": gateway or str(net.network_address + 1), "dns": dns,
            "interface": interface, "dhcpstart": dhcpstart, "dhcpend": dhcpend,
        })

    def netdevice(self, name, *, producer="MikroTik", model="CCR2004", nastype=0,
                  secret="", clients=0, description="") -> int:
        return self._insert("netdevices", {
            "name": name, "producer": producer, "model": model, "nastype": nastype,
            "secret": secret, "clients": clients, "description": description,
            "shortname": name[:32],
        })

    def node(self, owner_id, name, network_id, ip, *, macs=(), login=None, passwd="",
             access=1, warning=0, netdev=None, nas=0, authtype=0, chkmac=1,
             address_id=None, created=date(2024, 1, 1), ip_pub=None) -> int:
        """A node: IPs as LMS's inet_aton integers, MACs one row each in ``macs``."""
        node = self._insert("nodes", {
            "name": name, "login": login, "passwd": passwd, "ownerid": owner_id,
            "netid": network_id, "ipaddr": int(ipaddress.IPv4Address(ip)),
            "ipaddr_pub": int(ipaddress.IPv4Address(ip_pub)) if ip_pub else 0,
            "access": access, "warning": warning, "netdev": netdev, "nas": nas,
            "authtype": authtype, "chkmac": chkmac, "address_id": address_id,
            "creationdate": epoch(created), "moddate": epoch(created),
            "creatorid": self.user_id,
        })
        for mac in macs:
            self._insert("macs", {"mac": mac.upper(), "nodeid": node})
        return node

    # -- documents ----------------------------------------------------------------------
    def _next_number(self, plan_id, when: date) -> tuple[int, str]:
        key = (plan_id, when.year)
        self._numbers[key] = self._numbers.get(key, 0) + 1
        number = self._numbers[key]
        template = self._one("SELECT template FROM numberplans WHERE id = %s", (plan_id,))
        full = (template.replace("%N", str(number)).replace("%Y", f"{when.year}")
                .replace("%m", f"{when.month:02d}"))
        return number, full

    def _document(self, doctype, customer_id, when: date, plan_id, **extra) -> int:
        number, full = self._next_number(plan_id, when) if plan_id else (0, None)
        snapshot = self._customers.get(customer_id, {})
        return self._insert("documents", {
            "type": doctype, "number": number, "numberplanid": plan_id, "fullnumber": full,
            "cdate": epoch(when), "sdate": epoch(when), "customerid": customer_id,
            "userid": self.user_id, "divisionid": self.division_id,
            "name": snapshot.get("name", ""), "address": snapshot.get("address", ""),
            "zip": snapshot.get("zip"), "city": snapshot.get("city"),
            "ten": snapshot.get("ten", ""), "ssn": snapshot.get("ssn", ""),
            "div_name": "default", "div_shortname": "default", "currency": "PLN",
            "currencyvalue": 1, **extra,
        })

    def invoice(self, customer_id, when: date, items, *, plan_id, paytime=14, paytype=2,
                closed=0, flags=0) -> int:
        """An invoice: ``items`` are dicts (description, value = unit gross after discount,
        count, tax_id, optional tariff_id, pdiscount, vdiscount, prodid). Writes one
        negative cash row per item, as LMS does."""
        doc = self._document(DOC_INVOICE, customer_id, when, plan_id, paytime=paytime,
                             paytype=paytype, closed=closed, flags=flags)
        for itemid, item in enumerate(items, start=1):
            self._item(doc, itemid, item)
            self._cash(customer_id=customer_id, value=-_gross(item["value"],
                       item.get("count", 1)), when=epoch(when), kind=CASH_LIABILITY,
                       comment=item["description"], docid=doc, itemid=itemid,
                       taxid=item["tax_id"], servicetype=item.get("servicetype"))
        return doc

    def _item(self, doc, itemid, item):
        self._insert("invoicecontents", {
            "docid": doc, "itemid": itemid, "value": Decimal(str(item["value"])),
            "taxid": item["tax_id"], "prodid": item.get("prodid", ""), "content": "szt.",
            "count": Decimal(str(item.get("count", 1))), "description": item["description"],
            "tariffid": item.get("tariff_id"),
            "pdiscount": Decimal(str(item.get("pdiscount", 0))),
            "vdiscount": Decimal(str(item.get("vdiscount", 0))), "period": MONTHLY,
        }, returning=None)

    def correction(self, invoice_id, when: date, items, *, plan_id, reason="",
                   closed=0) -> int:
        """A credit note: ``items`` map the corrected invoice's itemid to its new state
        (value, count; missing keys keep the old). LMS stores the new state in
        invoicecontents and writes the gross difference to cash."""
        old = self.conn.execute(
            "SELECT d.customerid, ic.itemid, ic.value, ic.count, ic.taxid, ic.description,"
            " ic.tariffid FROM invoicecontents ic JOIN documents d ON d.id = ic.docid"
            " WHERE ic.docid = %s ORDER BY ic.itemid", (invoice_id,)).fetchall()
        customer_id = old[0][0]
        doc = self._document(DOC_CNOTE, customer_id, when, plan_id, reference=invoice_id,
                             reason=reason, closed=closed, paytime=14, paytype=2)
        for _, itemid, value, count, tax_id, description, tariff_id in old:
            new = {"value": value, "count": count, "tax_id": tax_id,
                   "description": description, "tariff_id": tariff_id,
                   **items.get(itemid, {})}
            self._item(doc, itemid, new)
            diff = _gross(new["value"], new["count"]) - _gross(value, count)
            if diff:
                self._cash(customer_id=customer_id, value=-diff, when=epoch(when),
                           kind=CASH_LIABILITY, comment=description, docid=doc,
                           itemid=itemid, taxid=tax_id)
        return doc

    def receipt(self, customer_id, when: date, items, *, plan_id, regid, cash_out=False,
                closed=1) -> int:
        """A cash receipt: KP (money in, positive) or KW (``cash_out``, negative); items are
        (description, amount) with amount > 0."""
        doc = self._document(DOC_RECEIPT, customer_id, when, plan_id, closed=closed,
                             paytype=1)
        sign = -1 if cash_out else 1
        for itemid, (description, amount) in enumerate(items, start=1):
            value = sign * _money(amount)
            self._insert("receiptcontents", {"docid": doc, "itemid": itemid, "value": value,
                                             "regid": regid, "description": description},
                         returning=None)
            self._cash(customer_id=customer_id, value=value, when=epoch(when),
                       kind=CASH_PAYMENT, comment=description, docid=doc, itemid=itemid)
        return doc

    def debit_note(self, customer_id, when: date, items, *, plan_id, closed=0) -> int:
        """A debit note (nota obciążeniowa): items (description, amount) charged in full."""
        doc = self._document(DOC_DNOTE, customer_id, when, plan_id, closed=closed,
                             paytime=14, paytype=2)
        for itemid, (description, amount) in enumerate(items, start=1):
            self._insert("debitnotecontents", {"docid": doc, "itemid": itemid,
                                               "value": _money(amount),
                                               "description": description})
            self._cash(customer_id=customer_id, value=-_money(amount), when=epoch(when),
                       kind=CASH_LIABILITY, comment=description, docid=doc, itemid=itemid)
        return doc

    def payment(self, customer_id, amount, when: date | datetime, *, comment="Wpłata",
                source_id=None, settles=()) -> int:
        """A bank/cash payment (a cash row without a document); ``settles`` are documents
        LMS marks closed (settled) because of it."""
        row = self._cash(customer_id=customer_id, value=amount, when=epoch(when),
                         kind=CASH_PAYMENT, comment=comment, sourceid=source_id)
        for doc in settles:
            self.conn.execute("UPDATE documents SET closed = 1 WHERE id = %s", (doc,))
        return row

    def adjust_cash(self, cash_id, delta) -> None:
        """Change one cash row by ``delta`` (a hand-edited ledger row, as found in real LMS
        databases); the expected balance follows."""
        customer_id = self._one(
            "UPDATE cash SET value = value + %s WHERE id = %s RETURNING customerid",
            (_money(delta), cash_id))
        self.balances[customer_id] += _money(delta)

    def invoice_edit(self, doc, itemid, value) -> None:
        """Edit an item's unit gross as LMS's invoice edit does: the item changes and its
        cash row is written again (the balance follows)."""
        count, customer_id = self.conn.execute(
            "SELECT ic.count, d.customerid FROM invoicecontents ic JOIN documents d"
            " ON d.id = ic.docid WHERE ic.docid = %s AND ic.itemid = %s", (doc, itemid)).fetchone()
        old = self._one("SELECT value FROM cash WHERE docid = %s AND itemid = %s", (doc, itemid))
        new = -_gross(value, count)
        self.conn.execute("UPDATE invoicecontents SET value = %s WHERE docid = %s AND itemid = %s",
                          (Decimal(str(value)), doc, itemid))
        self.conn.execute("UPDATE cash SET value = %s WHERE docid = %s AND itemid = %s",
                          (new, doc, itemid))
        self.balances[customer_id] += new - old

    def document_delete(self, doc) -> None:
        """Delete a document as LMS does: its items and cash rows go with it (cascade)."""
        for customer_id, value in self.conn.execute(
                "SELECT customerid, value FROM cash WHERE docid = %s", (doc,)).fetchall():
            self.balances[customer_id] -= value
        self.conn.execute("DELETE FROM documents WHERE id = %s", (doc,))

    def cash_delete(self, cash_id) -> None:
        """Delete a cash row (a payment removed in LMS)."""
        customer_id, value = self.conn.execute(
            "DELETE FROM cash WHERE id = %s RETURNING customerid, value", (cash_id,)).fetchone()
        self.balances[customer_id] -= value

    def monthly_invoices(self, customer_id, lines, *, start: date, months: int, plan_id,
                         day=1) -> list[int]:
        """One invoice per month for ``months`` months from ``start`` (issued on ``day``)."""
        docs = []
        for offset in range(months):
            when = _month(start, offset, day)
            period = f"{when.month:02d}/{when.year}"
            items = [{**line, "description": f"{line['description']} ({period})"}
                     for line in lines]
            docs.append(self.invoice(customer_id, when, items, plan_id=plan_id))
        return docs


# -- identifiers with check digits (so the scenario's valid ones are really valid) --------
def pesel(base9_10: str) -> str:
    """A PESEL from its first 10 digits plus the check digit."""
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    total = sum(int(d) * w for d, w in zip(base9_10, weights, strict=True))
    return base9_10 + str((10 - total % 10) % 10)


def nip(base9: str) -> str:
    """A NIP from its first 9 digits (the base must not give a check digit of 10)."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    check = sum(int(d) * w for d, w in zip(base9, weights, strict=True)) % 11
    assert check != 10, base9
    return base9 + str(check)


def regon(base8: str) -> str:
    weights = (8, 9, 2, 3, 4, 5, 6, 7)
    return base8 + str(sum(int(d) * w for d, w in zip(base8, weights, strict=True)) % 11 % 10)


def iban_pl(bank8: str, account16: str) -> str:
    """A Polish NRB (26 digits) with correct IBAN check digits."""
    bban = bank8 + account16
    check = 98 - int(bban + "252100") % 97  # "PL00" → 25 21 00
    return f"{check:02d}{bban}"


def lms_bankaccount(customer_id: int, prefix: str) -> str:
    """The account LMS gives a customer (lib/common.php iban_account('PL', 26, ...)): the
    division's account, when shorter than 21 characters, is a prefix that the customer id
    (zero-padded) completes, and IBAN check digits go in front. A full 26-digit division
    account is used as is (no per-customer accounts)."""
    if not prefix or len(prefix) > 20:
        return prefix
    body = prefix + str(customer_id).zfill(24 - len(prefix))
    return f"{98 - int(body + '252100') % 97:02d}{body}"


def _break_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def scenario_small(writer: LmsWriter, *, start: date = date(2025, 1, 1),
                   months: int = 12) -> dict:
    """The realistic mix issue 17 lists, in one LMS database; returns what it made.

    Keys: ``customers`` (role → id), ``ids`` (kind → list of ids), ``balances`` (customer id
    → expected SUM(cash.value), every customer), ``broken`` (list of dicts: kind, table, id,
    problem), ``accounts`` (customer id → the account the customer pays into: the
    ``alternative_accounts`` contact where one exists, else ``virtual_accounts``, derived by
    LMS from the division's account prefix ``division_account``), ``plans``, ``taxes``,
    ``start``/``months``.
    """
    w = writer
    ids: dict[str, list[int]] = defaultdict(list)
    vat23, vat8 = w.tax(23, "23%"), w.tax(8, "8%")
    vat_zw = w.tax(0, "zw.", taxed=0)
    prefix = "102010261111"
    w.division_account(prefix)
    plans = {
        "invoice": w.numberplan("%N/FV/%Y", DOC_INVOICE),
        "correction": w.numberplan("%N/FK/%Y", DOC_CNOTE),
        "kp": w.numberplan("KP %N/%Y", DOC_RECEIPT),
        "kw": w.numberplan("KW %N/%Y", DOC_RECEIPT, isdefault=0),
        "debit": w.numberplan("%N/NO/%Y", DOC_DNOTE),
    }
    regid = w.cashreg("Kasa główna", in_plan=plans["kp"], out_plan=plans["kw"])
    bank = w.cashsource("Bank PKO", account=iban_pl("10201026", "0000120200000001"))
    teryt = w.location(state="MAZOWIECKIE", district="Warszawa", borough="Warszawa",
                       city="Warszawa", street="Marszałkowska",
                       idents={"woj": "14", "pow": "65", "gmi": "01", "simc": "0918123",
                               "ulic": "13334"})

    lan = w.network("LAN-KLIENCI", "10.10.0.0/24", dns="10.10.0.1")
    public = w.network("PUBLICZNA", "192.0.2.0/24", dns="192.0.2.1")
    nas_dev = w.netdevice("BRAS-1", nastype=1, secret="radius-secret", clients=1024)
    switch = w.netdevice("SW-OSIEDLE-A", producer="Cisco", model="C2960")
    nas_node = w.node(None, "bras1", lan, "10.10.0.1", netdev=nas_dev, nas=1)
    ids["networks"] += [lan, public]
    ids["netdevices"] += [nas_dev, switch]
    ids["nodes"].append(nas_node)

    t100 = w.tariff("Internet 100", "59.99", vat23, downrate=100000, uprate=20000)
    t300 = w.tariff("Internet 300", "79.00", vat23, downrate=300000, uprate=50000)
    tv = w.tariff("Telewizja Pakiet Start", "29.90", vat8, type=SERVICE_TV)
    old = w.tariff("Internet 10 (wycofana)", "39.00", vat23, downrate=10000, disabled=1)
    ids["tariffs"] += [t100, t300, tv, old]
    estate = w.group("Osiedle A", "Klienci z osiedla A")
    vip = w.group("Firmy")
    ids["groups"] += [estate, vip]

    customers: dict[str, int] = {}
    broken: list[dict] = []
    alternative: dict[int, str] = {}

    def full(role, lastname, name, tariff, value, *, type=CTYPES_PRIVATE, ssn="", ten="",
             reg="", ip, mac, email, group=estate, pdiscount=0, vdiscount=0):
        """A connected customer with every kind of contact, three addresses, a node, an
        assignment and a year of monthly invoices."""
        cid = w.customer(lastname, name, type=type, ssn=ssn, ten=ten, regon=reg,
                         created=_month(start, -10, 1),
                         consents=(CCONSENT_DATE, CCONSENT_INVOICENOTICE, CCONSENT_EINVOICE,
                                   CCONSENT_SMSNOTICE),
                         address={"city": "Warszawa", "street": "ul. Marszałkowska",
                                  "house": str(10 + len(customers)), "flat": "4",
                                  "zip": "00-624", "city_id": teryt["city"],
                                  "street_id": teryt["street"]})
        customers[role] = cid
        w.address(cid, ADDRESS_POSTAL, city="Kraków", street="ul. Długa", house="5",
                  zip="31-147", name=f"{name} {lastname}".strip())
        place = w.address(cid, ADDRESS_DEFAULT_LOCATION, city="Warszawa",
                          street="ul. Marszałkowska", house="100", flat=str(cid),
                          zip="00-026", city_id=teryt["city"], street_id=teryt["street"])
        w.phone(cid, f"+48 600 100 {cid:03d}", notifications=True)
        w.phone(cid, f"22 555 01 {cid:02d}", mobile=False)
        w.email(cid, email, invoices=True, notifications=True)
        w.email(cid, f"old.{cid}@example.pl", disabled=True)
        w.bank_account(cid, iban_pl("11402004", f"{cid:016d}"), name="Rachunek klienta")
        if type == CTYPES_COMPANY:  # an alternative account instead of the derived one
            alternative[cid] = iban_pl("10201026", f"9999{cid:012d}")
            w.bank_account(cid, alternative[cid], assigned=True, name="Rachunek do wpłat")
        w.group_member(group, cid)
        w.note(cid, f"Umowa podpisana w biurze ({role}).")
        node = w.node(cid, f"node{cid}", lan if not ip.startswith("192.") else public, ip,
                      macs=[f"00:1A:2B:3C:4D:{cid:02X}"] if mac else [],
                      login=f"klient{cid}", passwd=f"haslo{cid}", netdev=switch,
                      address_id=place, authtype=SESSIONTYPE_PPPOE)
        ids["nodes"].append(node)
        ids["assignments"].append(w.assignment(cid, tariff, pdiscount=pdiscount,
                                               vdiscount=vdiscount, at=1,
                                               datefrom=_month(start, -10, 1)))
        docs = w.monthly_invoices(cid, [{"description": "Abonament internetowy",
                                         "value": value, "tax_id": vat23,
                                         "tariff_id": tariff, "pdiscount": pdiscount,
                                         "vdiscount": vdiscount,
                                         "servicetype": SERVICE_INTERNET}],
                                  start=start, months=months, plan_id=plans["invoice"])
        ids["invoices"] += docs
        return cid, docs

    # 1. pays every invoice in full by transfer, each settled
    kowalski, docs = full("paid_in_full", "Kowalski", "Jan", t100, "59.99",
                          ssn=pesel("8503150123"), ip="10.10.0.10", mac=True,
                          email="jan.kowalski@example.pl")
    for doc in docs:
        cdate = w._one("SELECT cdate FROM documents WHERE id = %s", (doc,))
        ids["payments"].append(w.payment(kowalski, "59.99",
                                         datetime.fromtimestamp(cdate + 86400 * 7, WARSAW),
                                         source_id=bank, settles=[doc],
                                         comment="Przelew - abonament"))

    # 2. a company, 10 % discount (vdiscount 5 zł): pays some fully, one partly, rest open
    company, docs = full("partly_paid", "Sieć-Net Sp. z o.o.", "", t300, "74.00",
                         type=CTYPES_COMPANY, ten=nip("525000000"), reg=regon("14000000"),
                         ip="192.0.2.10", mac=True, email="biuro@siec-net.pl", group=vip,
                         vdiscount=5)
    w.group_member(estate, company)
    # a second login, blocked for debt (access off, warning on), DHCP, with a public IP
    ids["nodes"].append(w.node(company, f"node{company}b", lan, "10.10.0.50",
                               macs=["00:1A:2B:3C:4E:01", "00:1A:2B:3C:4E:02"],
                               ip_pub="192.0.2.50", access=0, warning=1,
                               authtype=SESSIONTYPE_DHCP, netdev=switch))
    for doc in docs[:-3]:
        ids["payments"].append(w.payment(company, "74.00", _month(start, months, 20),
                                         settles=[doc], source_id=bank))
    ids["payments"].append(w.payment(company, "30.00", _month(start, months, 21),
                                     source_id=bank, comment="Częściowa wpłata"))
    ids["debit_notes"].append(w.debit_note(company, _month(start, months - 1, 15),
                                           [("Odsetki za zwłokę", "12.37")],
                                           plan_id=plans["debit"]))

    # 3. overpayment: pays more than billed (balance > 0), with a percentage discount
    nowak, docs = full("overpaid", "Nowak", "Anna", t100, "53.99",
                       ssn=pesel("9002281234"), ip="10.10.0.11", mac=True,
                       email="anna.nowak@example.pl", pdiscount=10)
    w.payment(nowak, _money(Decimal("53.99") * months + Decimal("100")),
              _month(start, 0, 5), source_id=bank, settles=docs,
              comment="Przedpłata za rok")

    # 4. pays in cash at the office (KP), one invoice corrected to zero, a KW refund
    wisniewski, docs = full("corrected_to_zero", "Wiśniewski", "Piotr", t300, "79.00",
                            ssn=pesel("7711020456"), ip="10.10.0.12", mac=False,
                            email="piotr.w@example.pl")
    zero = w.correction(docs[2], _month(start, 2, 20), {1: {"value": 0, "count": 0}},
                        plan_id=plans["correction"], reason="Brak usługi - awaria")
    partial = w.correction(docs[5], _month(start, 5, 25), {1: {"value": "39.50"}},
                           plan_id=plans["correction"], reason="Rabat za przerwę")
    ids["corrections"] += [zero, partial]
    for doc in docs[:6]:
        ids["receipts"].append(w.receipt(wisniewski, _month(start, 6, 1),
                                         [(f"Wpłata do faktury {doc}", "79.00")],
                                         plan_id=plans["kp"], regid=regid))
    ids["receipts"].append(w.receipt(wisniewski, _month(start, 6, 2),
                                     [("Zwrot nadpłaty po korekcie", "50.00")],
                                     plan_id=plans["kw"], regid=regid, cash_out=True))

    # 5. TV at 8 %, a suspended internet assignment, a billing day of the 15th
    tv_only = w.customer("Zielińska", "Ewa", ssn=pesel("6506101111"),
                         created=_month(start, 0, 10))
    customers["tv_suspended"] = tv_only
    w.email(tv_only, "ewa.z@example.pl", notifications=True)
    ids["assignments"].append(w.assignment(tv_only, tv, at=15, datefrom=_month(start, 1, 1)))
    ids["assignments"].append(w.assignment(tv_only, t100, suspended=1, at=15,
                                           datefrom=_month(start, 1, 1)))
    ids["invoices"] += w.monthly_invoices(
        tv_only, [{"description": "Telewizja", "value": "29.90", "tax_id": vat8,
                   "tariff_id": tv, "servicetype": SERVICE_TV}],
        start=_month(start, 1, 1), months=months - 1, plan_id=plans["invoice"], day=15)

    # 6. deleted customer: history settled to zero, disconnected
    gone = w.customer("Usunięty", "Adam", ssn=pesel("5001010101"), deleted=1,
                      status=CSTATUS_DISCONNECTED, created=date(2023, 5, 1))
    customers["deleted"] = gone
    doc = w.invoice(gone, start,
                    [{"description": "Abonament", "value": "59.99", "tax_id": vat23}],
                    plan_id=plans["invoice"])
    w.payment(gone, "59.99", _month(start, 0, 9), settles=[doc])
    ids["invoices"].append(doc)

    # -- broken rows ---------------------------------------------------------------------
    bad_nip = w.customer("Firma Zły NIP", "", type=CTYPES_COMPANY,
                         ten=_break_last_digit(nip("526025027")))
    broken.append({"kind": "invalid_nip", "table": "customers", "id": bad_nip,
                   "problem": "NIP check digit is wrong"})
    bad_pesel = w.customer("Błędny", "Pesel", ssn=_break_last_digit(pesel("8001011234")))
    broken.append({"kind": "invalid_pesel", "table": "customers", "id": bad_pesel,
                   "problem": "PESEL check digit is wrong"})
    twin = w.customer("Kowalska", "Janina", ssn=pesel("8604150555"))
    dup = w.email(twin, "jan.kowalski@example.pl", invoices=True)
    broken.append({"kind": "duplicate_email", "table": "customercontacts", "id": dup,
                   "customer": twin, "duplicate_of": kowalski,
                   "problem": "e-mail jan.kowalski@example.pl also belongs to customer "
                              f"{kowalski}"})
    sums = w.customer("Niezgodna", "Suma", ssn=pesel("7502020202"))
    bad_doc = w.invoice(sums, _month(start, 3, 1),
                        [{"description": "Abonament", "value": "59.99", "tax_id": vat23},
                         {"description": "Instalacja", "value": "100.00", "tax_id": vat23}],
                        plan_id=plans["invoice"])
    row = w._one("SELECT id FROM cash WHERE docid = %s AND itemid = 2", (bad_doc,))
    w.adjust_cash(row, "0.01")
    ids["invoices"].append(bad_doc)
    broken.append({"kind": "invoice_sum_mismatch", "table": "documents", "id": bad_doc,
                   "problem": "items sum to 159.99, cash rows to 159.98"})
    orphan_owner = w.customer("Stara", "Taryfa", ssn=pesel("6803030303"))
    orphan = w.assignment(orphan_owner, old, datefrom=date(2024, 1, 1))
    ids["assignments"].append(orphan)
    broken.append({"kind": "assignment_deleted_tariff", "table": "assignments", "id": orphan,
                   "problem": f"tariff {old} is withdrawn (disabled) in LMS"})
    customers.update({"invalid_nip": bad_nip, "invalid_pesel": bad_pesel,
                      "duplicate_email": twin, "sum_mismatch": sums,
                      "deleted_tariff": orphan_owner})

    every = w.conn.execute("SELECT id FROM customers ORDER BY id").fetchall()
    balances = {cid: w.balances.get(cid, Decimal("0.00")) for (cid,) in every}
    derived = {cid: lms_bankaccount(cid, prefix) for (cid,) in every}
    return {"customers": customers, "ids": dict(ids), "balances": balances,
            "broken": broken, "plans": plans, "division_account": prefix,
            "virtual_accounts": derived, "alternative_accounts": alternative,
            "accounts": {**derived, **alternative},
            "taxes": {"23": vat23, "8": vat8, "zw": vat_zw}, "start": start,
            "months": months}


def scenario_ledger_bulk(writer: LmsWriter, *, customers: int, months: int = 12,
                         start: date = date(2025, 1, 1)) -> dict:
    """Many customers, each with a monthly invoice (one item, its cash row) and a bank
    payment settling it (``closed = 1``), written by set-based SQL in LMS's shapes: the
    money stages' speed test. Returns the counts."""
    w, conn = writer, writer.conn
    vat = w.tax(23, "23%")
    plan = w.numberplan("%N/FV/%Y", DOC_INVOICE)
    first = conn.execute(
        "INSERT INTO customers (lastname, name, type, status, creationdate, moddate,"
        " divisionid, deleted) SELECT 'Klient ' || g, 'Jan', 0, 3, %s, %s, %s, 0"
        " FROM generate_series(1, %s) g RETURNING id",
        (epoch(start), epoch(start), w.division_id, customers)).fetchall()
    lo = min(r[0] for r in first)
    for offset in range(months):
        when = _month(start, offset, 1)
        base = offset * customers
        conn.execute(
            "INSERT INTO documents (type, number, numberplanid, fullnumber, cdate, sdate,"
            " customerid, userid, divisionid, name, address, zip, city, paytime, closed,"
            " currency, currencyvalue)"
            " SELECT 1, %s + g, %s, (%s + g) || '/FV/' || %s, %s, %s, %s + g - 1, %s, %s,"
            " 'Klient ' || g, 'ul. Prosta 1', '00-001', 'Warszawa', 14, 1, 'PLN', 1"
            " FROM generate_series(1, %s) g",
            (base, plan, base, when.year, epoch(when), epoch(when), lo, w.user_id,
             w.division_id, customers))
        conn.execute(
            "INSERT INTO invoicecontents (docid, itemid, value, taxid, content, count,"
            " description) SELECT id, 1, 59.99, %s, 'szt.', 1, 'Abonament' FROM documents"
            " WHERE cdate = %s AND type = 1", (vat, epoch(when)))
        conn.execute(
            "INSERT INTO cash (time, type, value, customerid, comment, docid, itemid, taxid,"
            " currency, currencyvalue) SELECT cdate, 0, -59.99, customerid, 'Abonament', id,"
            " 1, %s, 'PLN', 1 FROM documents WHERE cdate = %s AND type = 1",
            (vat, epoch(when)))
        conn.execute(
            "INSERT INTO cash (time, type, value, customerid, comment, currency,"
            " currencyvalue) SELECT cdate + 86400 * 5, 1, 59.99, customerid, 'Przelew',"
            " 'PLN', 1 FROM documents WHERE cdate = %s AND type = 1", (epoch(when),))
    return {"customers": customers, "invoices": customers * months,
            "payments": customers * months}
