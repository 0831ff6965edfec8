"""A big LMS database for the import benchmark, written fast and the same every time.

LMS's own schema (``/work/shared/data/lms/lms.pgsql``, loaded with psql as the import's
tests load it) filled with the rows LMS writes, in the shapes
``lmsimport/tests/generator.py``'s ``LmsWriter`` documents, only set-based: the small
tables and the per-customer rows (customers, addresses, contacts, consents, groups, notes,
nodes, MACs, assignments) by COPY from a seeded ``random.Random``; the money history by
``INSERT … SELECT`` over ``generate_series`` inside PostgreSQL (2,400,000 documents do not
travel through Python). Row by row triggers and foreign-key checks are off while loading
(``session_replication_role = replica``); ``customerbalances`` — what LMS's cash trigger
keeps — is then written in one statement, equal to what the trigger would have made.

What it makes for N customers (default 100,000):

* N customers: 90 % private persons (valid PESEL), 10 % companies (valid NIP and REGON),
  ~0.3 % with a broken check digit, 3 % disconnected, 1 % deleted; a billing address and
  a default location address each (TERYT ids on a part), consents, a mobile phone, an
  e-mail for 70 % (a few shared by two customers), the customer's own bank account for
  10 %, group memberships for 30 %, a note for 10 %;
* networks (/22 each) with N nodes, one per customer (PPPoE with login and password, or
  DHCP with a MAC), four NAS (netdevices with a RADIUS secret);
* tariffs (internet 23 %, TV 8 %) and assignments: internet for everyone, TV for 20 %,
  a 10 % discount for 10 %;
* 24 monthly invoices per customer (Dec 2024 … Nov 2026): ``documents`` type 1,
  ``invoicecontents`` (one line per assignment), one negative ``cash`` row per line;
* payments (``cash`` type 1, bank): 80 % pay every invoice a week later, 10 % leave the
  last one to three open, 5 % paid the last one partly, 5 % paid a year ahead in one go;
  settled invoices ``closed = 1``.

``--change-percent P`` (on an existing database) then changes P % of rows the way LMS's
use does: customers renamed, a phone changed, new payments, a new month's invoices for
P % of customers, nodes moved to another IP. Each call is a new round (other rows).

    scripts/with-postgres.sh .venv/bin/python bench/lms_generate.py [--customers N]
        [--db NAME] [--seed S] [--force] [--change-percent P]
"""

import argparse
import ipaddress
import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from lmsimport.tests.generator import (  # noqa: E402 - the writer's own check-digit helpers
    ADDRESS_BILLING,
    ADDRESS_DEFAULT_LOCATION,
    CONTACT_BANKACCOUNT,
    CONTACT_EMAIL,
    CONTACT_INVOICES,
    CONTACT_MOBILE,
    CONTACT_NOTIFICATIONS,
    DOC_INVOICE,
    epoch,
    iban_pl,
    nip,
    pesel,
    regon,
)
from lmsimport.tests.lmsdb import LMS_SCHEMA, server_dsn  # noqa: E402

START = date(2024, 12, 1)  # the first invoiced month
MONTHS = 24
DIVISION_PREFIX = "102010261111"  # LMS derives each customer's account from it
CCONSENT_DATE, CCONSENT_EINVOICE = 1, 4
SESSIONTYPE_PPPOE, SESSIONTYPE_DHCP = 1, 2
CSTATUS_CONNECTED, CSTATUS_DISCONNECTED = 3, 4
SERVICE_INTERNET, SERVICE_TV = 1, 5
NET_SIZE = 1022  # hosts of a /22
# (name, gross, VAT, type, down kbit/s, up kbit/s)
TARIFFS = (("Internet 100", "59.99", 23, SERVICE_INTERNET, 100000, 20000),
           ("Internet 300", "79.00", 23, SERVICE_INTERNET, 300000, 50000),
           ("Internet 600", "99.00", 23, SERVICE_INTERNET, 600000, 100000),
           ("Internet 50 Mini", "49.00", 23, SERVICE_INTERNET, 50000, 10000),
           ("Telewizja Start", "29.90", 8, SERVICE_TV, 0, 0),
           ("Telewizja Max", "39.90", 8, SERVICE_TV, 0, 0))
FIRST = ("Jan", "Anna", "Piotr", "Katarzyna", "Tomasz", "Małgorzata", "Paweł", "Agnieszka",
         "Michał", "Ewa", "Krzysztof", "Barbara", "Łukasz", "Joanna", "Marek", "Zofia")
LAST = ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
        "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski")
COMPANY = ("Usługi", "Handel", "Serwis", "Transport", "Budownictwo", "Apteka", "Piekarnia")
CITIES = (("Kraków", "31"), ("Tarnów", "33"), ("Bochnia", "32"), ("Wieliczka", "32"),
          ("Niepołomice", "32"), ("Myślenice", "32"))
STREETS = ("Długa", "Krótka", "Polna", "Leśna", "Słoneczna", "Szkolna", "Ogrodowa", "Lipowa",
           "Kościuszki", "Mickiewicza", "Jana Pawła II", "Kolejowa")
GROUPS = (("Osiedle Zachód", "Klienci z osiedla Zachód"), ("Osiedle Wschód", ""),
          ("Firmy", "Klienci biznesowi"), ("Światłowód", ""), ("Radiowi", "Sieć radiowa"))


# --------------------------------------------------------------------------- database

def database_name(customers: int) -> str:
    return f"lms_bench_{customers}"


def admin() -> psycopg.Connection:
    return psycopg.connect(server_dsn("postgres"), autocommit=True)


def exists(name: str) -> bool:
    with admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def complete(name: str) -> bool:
    """A database this script finished (it writes its mark last)."""
    if not exists(name):
        return False
    with psycopg.connect(server_dsn(name)) as conn:
        row = conn.execute("SELECT keyvalue FROM dbinfo WHERE keytype = 'bench_complete'"
                           ).fetchone()
    return row is not None


def create(name: str) -> None:
    with admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                             server_dsn(name), "-f", str(LMS_SCHEMA)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"loading {LMS_SCHEMA} failed:\n{result.stderr[-4000:]}")


def drop(name: str) -> None:
    with admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def connect(name: str) -> psycopg.Connection:
    conn = psycopg.connect(server_dsn(name))
    conn.execute("SELECT set_config('lms.current_user', '', false)")
    return conn


def copy(cur, table: str, columns: tuple, rows) -> int:
    n = 0
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def one(cur, query, params=()):
    return cur.execute(query, params).fetchone()[0]


# --------------------------------------------------------------------------- generation

def _pesel(rng: random.Random) -> str:
    year, month, day = rng.randint(1940, 1999), rng.randint(1, 12), rng.randint(1, 28)
    return pesel(f"{year % 100:02d}{month:02d}{day:02d}{rng.randint(0, 9999):04d}")


def _nip(rng: random.Random) -> str:
    while True:
        base = f"{rng.randint(100, 999)}{rng.randint(0, 999999):06d}"
        try:
            return nip(base)
        except AssertionError:  # a base giving check digit 10 is not a NIP
            continue


def _broken(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def dictionaries(cur) -> dict:
    """Users, division, taxes, number plans, cash source, TERYT, groups, tariffs, networks,
    NAS: the small tables, row by row like LmsWriter (they are a few dozen rows)."""
    cur.execute("INSERT INTO users (login, firstname, lastname, email, rights) VALUES "
                "('admin', 'Jan', 'Administrator', 'admin@isp.example', 'full_access') "
                "RETURNING id")
    out = {"user": cur.fetchone()[0], "division": one(cur, "SELECT min(id) FROM divisions")}
    cur.execute("UPDATE divisions SET account = %s, ten = %s, name = %s WHERE id = %s",
                [DIVISION_PREFIX, "5250000008", "ISP Bench Sp. z o.o.", out["division"]])
    out["tax"] = {}
    for value, label, taxed in ((23, "23%", 1), (8, "8%", 1), (0, "zw.", 0)):
        out["tax"][value if taxed else "zw"] = one(
            cur, "INSERT INTO taxes (value, label, taxed) VALUES (%s, %s, %s) RETURNING id",
            [value, label, taxed])
    out["plan"] = one(cur, "INSERT INTO numberplans (template, doctype, period, isdefault) "
                           "VALUES ('%%N/FV/%%Y', %s, 5, 1) RETURNING id", [DOC_INVOICE])
    cur.execute("INSERT INTO numberplanassignments (planid, divisionid) VALUES (%s, %s)",
                [out["plan"], out["division"]])
    out["bank"] = one(cur, "INSERT INTO cashsources (name, account) VALUES (%s, %s) "
                           "RETURNING id",
                      ["Bank PKO", iban_pl("10201026", "0000120200000001")])
    state = one(cur, "INSERT INTO location_states (ident, name) VALUES ('12', "
                     "'MAŁOPOLSKIE') RETURNING id")
    district = one(cur, "INSERT INTO location_districts (name, ident, stateid) VALUES "
                        "('Kraków', '61', %s) RETURNING id", [state])
    borough = one(cur, "INSERT INTO location_boroughs (name, ident, districtid, type) VALUES "
                       "('Kraków', '01', %s, 1) RETURNING id", [district])
    city = one(cur, "INSERT INTO location_cities (ident, name, boroughid) VALUES "
                    "('0950463', 'Kraków', %s) RETURNING id", [borough])
    out["teryt"] = {"city": city, "streets": [
        one(cur, "INSERT INTO location_streets (name, ident, cityid) VALUES (%s, %s, %s) "
                 "RETURNING id", [f"ul. {s}", f"{10000 + i * 7:05d}", city])
        for i, s in enumerate(STREETS)]}
    out["groups"] = [one(cur, "INSERT INTO customergroups (name, description) VALUES "
                              "(%s, %s) RETURNING id", g) for g in GROUPS]
    out["tariffs"] = []
    for name, value, vat, kind, down, up in TARIFFS:
        out["tariffs"].append((one(
            cur, "INSERT INTO tariffs (name, value, taxid, period, type, downrate, downceil,"
                 " uprate, upceil, currency) VALUES (%s, %s, %s, 3, %s, %s, %s, %s, %s, "
                 "'PLN') RETURNING id",
            [name, value, out["tax"][vat], kind, down, down, up, up]), value, vat, kind))
    return out


def networks(cur, customers: int, ctx: dict) -> list[tuple[int, ipaddress.IPv4Network]]:
    """/22 networks enough for every node (10.16.0.0 onwards) and the NAS."""
    nets = []
    base = ipaddress.IPv4Network("10.16.0.0/22")
    for i in range(customers // NET_SIZE + 1):
        net = ipaddress.IPv4Network((int(base.network_address) + i * 1024, 22))
        nets.append((one(cur, "INSERT INTO networks (name, address, mask, gateway, dns, "
                              "interface) VALUES (%s, %s, %s, %s, %s, 'eth0') RETURNING id",
                         [f"LAN-{i + 1:03d}", int(net.network_address), str(net.netmask),
                          str(net.network_address + 1), "10.0.0.53"]), net))
    # the network the change rounds move nodes to
    spare = ipaddress.IPv4Network("10.128.0.0/12")
    ctx["spare_net"] = one(cur, "INSERT INTO networks (name, address, mask, gateway, dns, "
                                "interface) VALUES ('LAN-ZMIANY', %s, %s, %s, '10.0.0.53', "
                                "'eth1') RETURNING id",
                           [int(spare.network_address), str(spare.netmask),
                            str(spare.network_address + 1)])
    mgmt = ipaddress.IPv4Network("10.0.0.0/24")
    ctx["mgmt_net"] = one(cur, "INSERT INTO networks (name, address, mask, gateway, "
                               "interface) VALUES ('ZARZĄDZANIE', %s, %s, '10.0.0.1', "
                               "'mgmt') RETURNING id",
                          [int(mgmt.network_address), str(mgmt.netmask)])
    ctx["nas"] = [one(cur, "INSERT INTO netdevices (name, producer, model, nastype, secret, "
                           "clients, shortname) VALUES (%s, 'MikroTik', 'CCR2004', 1, %s, %s, "
                           "%s) RETURNING id", [f"BRAS-{i + 1}", f"radius-secret-{i + 1}",
                                                customers // 4 + 1, f"BRAS-{i + 1}"])
                  for i in range(4)]
    ctx["switch"] = one(cur, "INSERT INTO netdevices (name, producer, model, shortname) "
                             "VALUES ('SW-RDZEN', 'Cisco', 'C9300', 'SW-RDZEN') RETURNING id")
    return nets


def customers_copy(cur, n: int, rng: random.Random, ctx: dict) -> None:
    """Customers and what belongs to each, COPY per table; the money facts of each
    customer go to the temporary table ``bench_c`` the invoice SQL reads."""
    ids = list(range(1, n + 1))
    cust, addr, caddr, cons, contacts, members, notes, nodes, macs, assigns, facts = \
        [], [], [], [], [], [], [], [], [], [], []
    internet = [t for t in ctx["tariffs"] if t[3] == SERVICE_INTERNET]
    tv = [t for t in ctx["tariffs"] if t[3] == SERVICE_TV]
    nets = ctx["nets"]
    user, division = ctx["user"], ctx["division"]
    address_id = one(cur, "SELECT coalesce(max(id), 0) FROM addresses")  # the division's
    assignment_id = 0
    shared_pool = []
    for cid in ids:
        created = date(2020 + rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28))
        created_s = epoch(created)
        company = rng.random() < 0.10
        status = CSTATUS_CONNECTED
        deleted = 0
        roll = rng.random()
        if roll < 0.01:
            deleted, status = 1, CSTATUS_DISCONNECTED
        elif roll < 0.04:
            status = CSTATUS_DISCONNECTED
        if company:
            lastname = f"{rng.choice(COMPANY)} {rng.choice(LAST)} Sp. z o.o. {cid}"
            first, ssn, ten, reg = "", "", _nip(rng), regon(f"{rng.randint(0, 99999999):08d}")
            if rng.random() < 0.003:
                ten = _broken(ten)
        else:
            lastname, first = rng.choice(LAST), rng.choice(FIRST)
            ssn, ten, reg = _pesel(rng), "", ""
            if rng.random() < 0.003:
                ssn = _broken(ssn)
        cust.append((cid, lastname, first, 1 if company else 0, status, ssn, ten, reg, "",
                     created_s, created_s, user, deleted, "", division, -1, 0))
        city, zip_head = rng.choice(CITIES)
        street_i = rng.randrange(len(STREETS))
        street, house = f"ul. {STREETS[street_i]}", str(rng.randint(1, 150))
        flat = str(rng.randint(1, 80)) if rng.random() < 0.6 else None
        zip_ = f"{zip_head}-{rng.randint(0, 999):03d}"
        in_krakow = city == "Kraków"
        city_id = ctx["teryt"]["city"] if in_krakow else None
        street_id = ctx["teryt"]["streets"][street_i] if in_krakow else None
        # billing address, then the default location (where the node is)
        address_id += 1
        addr.append((address_id, None, city, city_id, street, street_id, zip_, house, flat,
                     ctx["poland"]))
        caddr.append((cid, address_id, ADDRESS_BILLING))
        address_id += 1
        addr.append((address_id, None, city, city_id, street, street_id, zip_, house, flat,
                     ctx["poland"]))
        caddr.append((cid, address_id, ADDRESS_DEFAULT_LOCATION))
        location = address_id
        cons.append((cid, created_s, CCONSENT_DATE))
        if rng.random() < 0.5:
            cons.append((cid, created_s, CCONSENT_EINVOICE))
        contacts.append((cid, f"+48 {rng.randint(500, 899)} {rng.randint(0, 999):03d} "
                              f"{rng.randint(0, 999):03d}",
                         CONTACT_MOBILE | CONTACT_NOTIFICATIONS, ""))
        if rng.random() < 0.7:
            email = f"klient{cid}@poczta.example.pl"
            if shared_pool and rng.random() < 0.002:
                email = rng.choice(shared_pool)  # a family sharing one address
            elif rng.random() < 0.01:
                shared_pool.append(email)
            contacts.append((cid, email, CONTACT_EMAIL | CONTACT_INVOICES
                             | CONTACT_NOTIFICATIONS, ""))
        if rng.random() < 0.1:
            contacts.append((cid, iban_pl("11402004", f"{cid:016d}"), CONTACT_BANKACCOUNT,
                             "Rachunek klienta"))
        if rng.random() < 0.3:
            members.append((ctx["groups"][rng.randrange(len(ctx["groups"]))], cid,
                            created_s, 0))
        if rng.random() < 0.1:
            notes.append((cid, "Umowa podpisana w biurze.", created_s, user))
        # the node: PPPoE 60 %, DHCP 40 %
        net_id, net = nets[(cid - 1) // NET_SIZE]
        ip = int(net.network_address) + 2 + (cid - 1) % NET_SIZE
        dhcp = rng.random() < 0.4
        nodes.append((cid, f"n{cid}", None if dhcp else f"k{cid}",
                      "" if dhcp else f"{rng.getrandbits(48):012x}", cid, net_id, ip,
                      ctx["switch"], 1 if status == CSTATUS_CONNECTED and not deleted else 0,
                      SESSIONTYPE_DHCP if dhcp else SESSIONTYPE_PPPOE, location, created_s,
                      created_s, user))
        if dhcp or rng.random() < 0.5:
            macs.append((f"02:{cid >> 24 & 255:02X}:{cid >> 16 & 255:02X}:"
                         f"{cid >> 8 & 255:02X}:{cid & 255:02X}:{rng.randint(0, 255):02X}",
                         cid))
        # assignments and the money facts
        t_id, t_value, _vat, _kind = rng.choice(internet)
        pdiscount = 10 if rng.random() < 0.1 else 0
        assignment_id += 1
        assigns.append((assignment_id, t_id, cid, 3, 1, epoch(date(2024, 11, 1)), 0, 1,
                        pdiscount, 0))
        tv_id, tv_value = None, None
        if rng.random() < 0.2:
            tv_id, tv_value, _vat, _kind = rng.choice(tv)
            assignment_id += 1
            assigns.append((assignment_id, tv_id, cid, 3, 1, epoch(date(2024, 11, 1)), 0, 1,
                            0, 0))
        roll = rng.random()
        pattern, tail = (0, 0) if roll < 0.8 else (1, rng.randint(1, 3)) if roll < 0.9 \
            else (2, 1) if roll < 0.95 else (3, 0)
        address_text = f"{street} {house}" + (f"/{flat}" if flat else "")
        facts.append((cid, t_id, pdiscount, tv_id, pattern, tail,
                      f"{lastname} {first}".strip(), address_text, zip_, city, ten, ssn))
    cur.execute("CREATE TEMP TABLE bench_c (cid int PRIMARY KEY, tariff int, pdiscount int,"
                " tv int, pattern int, tail int, name text, address text, zip text,"
                " city text, ten text, ssn text)")
    copy(cur, "customers", ("id", "lastname", "name", "type", "status", "ssn", "ten", "regon",
                            "icn", "creationdate", "moddate", "creatorid", "deleted", "info",
                            "divisionid", "paytime", "flags"), cust)
    copy(cur, "addresses", ("id", "name", "city", "city_id", "street", "street_id", "zip",
                            "house", "flat", "country_id"), addr)
    copy(cur, "customer_addresses", ("customer_id", "address_id", "type"), caddr)
    copy(cur, "customerconsents", ("customerid", "cdate", "type"), cons)
    copy(cur, "customercontacts", ("customerid", "contact", "type", "name"), contacts)
    copy(cur, "customerassignments", ("customergroupid", "customerid", "startdate",
                                      "enddate"), members)
    copy(cur, "customernotes", ("customerid", "message", "dt", "userid"), notes)
    copy(cur, "nodes", ("id", "name", "login", "passwd", "ownerid", "netid", "ipaddr",
                        "netdev", "access", "authtype", "address_id", "creationdate",
                        "moddate", "creatorid"), nodes)
    copy(cur, "macs", ("mac", "nodeid"), macs)
    copy(cur, "assignments", ("id", "tariffid", "customerid", "period", "at", "datefrom",
                              "dateto", "invoice", "pdiscount", "vdiscount"), assigns)
    copy(cur, "bench_c", ("cid", "tariff", "pdiscount", "tv", "pattern", "tail", "name",
                          "address", "zip", "city", "ten", "ssn"), facts)
    for table in ("customers", "addresses", "nodes", "assignments"):
        cur.execute(sql.SQL("SELECT setval({s}, (SELECT max(id) FROM {t}))").format(
            s=sql.Literal(f"{table}_id_seq"), t=sql.Identifier(table)))
    mgmt = int(ipaddress.IPv4Address("10.0.0.0"))
    for i, dev in enumerate(ctx["nas"]):  # the NAS: nodes without an owner
        cur.execute("INSERT INTO nodes (name, ownerid, netid, ipaddr, netdev, nas, "
                    "creationdate, moddate, creatorid) VALUES (%s, NULL, %s, %s, %s, 1, %s, "
                    "%s, %s)", [f"bras{i + 1}", ctx["mgmt_net"], mgmt + 10 + i, dev,
                                epoch(date(2020, 1, 1)), epoch(date(2020, 1, 1)),
                                ctx["user"]])


# Warsaw midnight of a date, as LMS stores it (``epoch`` in the writer).
EPOCH_SQL = "extract(epoch FROM ({d})::timestamp AT TIME ZONE 'Europe/Warsaw')::bigint"


def invoices_sql(cur, ctx: dict, *, months: list[int], where: str = "TRUE") -> None:
    """Monthly invoices (documents + invoicecontents + negative cash rows) of the month
    offsets ``months`` (0 = December 2024) for the customers of ``bench_c`` matching
    ``where``; numbers continue each year's sequence of the plan."""
    cur.execute("DROP TABLE IF EXISTS bench_lines")
    cur.execute(f"""
        CREATE TEMP TABLE bench_lines AS
        SELECT c.cid, m.m, 1 AS itemid, t.id AS tariff, t.taxid, t.type AS servicetype,
               round(t.value * (100 - c.pdiscount) / 100, 2) AS value, c.pdiscount,
               'Abonament internetowy' AS description
        FROM bench_c c JOIN tariffs t ON t.id = c.tariff
        CROSS JOIN unnest(%(months)s::int[]) AS m(m) WHERE {where}
        UNION ALL
        SELECT c.cid, m.m, 2, t.id, t.taxid, t.type, t.value, 0, 'Telewizja'
        FROM bench_c c JOIN tariffs t ON t.id = c.tv
        CROSS JOIN unnest(%(months)s::int[]) AS m(m) WHERE {where}""",  # noqa: S608
                {"months": months})
    day = "(%(start)s::date + make_interval(months => d.m))"
    cur.execute("DROP TABLE IF EXISTS bench_docs")
    # numbers continue each year's sequence of the plan (a later round's new month)
    cur.execute(f"""
        CREATE TEMP TABLE bench_docs AS
        SELECT nextval('documents_id_seq') AS id, s.* FROM (
            SELECT d.cid, d.m, d.at, d.year,
                   row_number() OVER (PARTITION BY d.year ORDER BY d.m, d.cid)
                   + coalesce(e.before, 0) AS number
            FROM (SELECT d.cid, d.m, {EPOCH_SQL.format(d=day)} AS at,
                         extract(year FROM {day})::int AS year
                  FROM (SELECT DISTINCT cid, m FROM bench_lines) d) d
            LEFT JOIN (SELECT extract(year FROM to_timestamp(cdate)
                                      AT TIME ZONE 'Europe/Warsaw')::int AS year,
                              count(*) AS before
                       FROM documents WHERE numberplanid = %(plan)s GROUP BY 1) e
                   ON e.year = d.year
            ORDER BY d.m, d.cid) s""", {"start": START, "plan": ctx["plan"]})
    cur.execute("""
        INSERT INTO documents (id, type, number, numberplanid, fullnumber, cdate, sdate,
            customerid, userid, divisionid, name, address, zip, city, ten, ssn, paytime,
            paytype, closed, div_name, div_shortname, currency, currencyvalue)
        SELECT d.id, %(type)s, d.number, %(plan)s, d.number || '/FV/' || d.year, d.at, d.at,
               d.cid, %(user)s, %(division)s, c.name, c.address, c.zip, c.city, c.ten,
               c.ssn, 14, 2, 0, 'default', 'default', 'PLN', 1
        FROM bench_docs d JOIN bench_c c ON c.cid = d.cid""",
                {"type": DOC_INVOICE, "plan": ctx["plan"], "user": ctx["user"],
                 "division": ctx["division"]})
    cur.execute("""
        INSERT INTO invoicecontents (docid, itemid, value, taxid, prodid, content, count,
            description, tariffid, pdiscount, vdiscount, period)
        SELECT d.id, l.itemid, l.value, l.taxid, '', 'szt.', 1,
               l.description || ' (' || to_char(%(start)s::date
                   + make_interval(months => l.m), 'MM/YYYY') || ')',
               l.tariff, l.pdiscount, 0, 3
        FROM bench_lines l JOIN bench_docs d ON d.cid = l.cid AND d.m = l.m""",
                {"start": START})
    cur.execute("""
        INSERT INTO cash (time, type, value, customerid, comment, docid, itemid, taxid,
            userid, currency, currencyvalue, servicetype)
        SELECT d.at, 0, -l.value, l.cid, l.description || ' (' || to_char(%(start)s::date
                   + make_interval(months => l.m), 'MM/YYYY') || ')',
               d.id, l.itemid, l.taxid, %(user)s, 'PLN', 1, l.servicetype
        FROM bench_lines l JOIN bench_docs d ON d.cid = l.cid AND d.m = l.m""",
                {"start": START, "user": ctx["user"]})


def payments_sql(cur, ctx: dict) -> None:
    """Payments of the whole history by each customer's pattern; settled invoices closed."""
    cur.execute("""
        CREATE TEMP TABLE bench_due AS
        SELECT d.id, d.customerid AS cid, d.cdate, -sum(c.value) AS due,
               row_number() OVER (PARTITION BY d.customerid ORDER BY d.cdate DESC) AS back
        FROM documents d JOIN cash c ON c.docid = d.id
        WHERE d.type = %s GROUP BY d.id""", [DOC_INVOICE])
    # 0: every invoice; 1: all but the last ``tail``; 2: the last one half; 3: one lump a
    # year ahead at the start and monthly for the rest
    cur.execute("""
        INSERT INTO cash (time, type, value, customerid, comment, sourceid, userid,
            currency, currencyvalue)
        SELECT u.cdate + 86400 * (5 + u.cid %% 7), 1,
               CASE WHEN b.pattern = 2 AND u.back = 1 THEN round(u.due / 2, 2) ELSE u.due END,
               u.cid, 'Przelew - abonament', %(bank)s, %(user)s, 'PLN', 1
        FROM bench_due u JOIN bench_c b ON b.cid = u.cid
        WHERE (b.pattern IN (0, 2) OR (b.pattern = 1 AND u.back > b.tail)
               OR (b.pattern = 3 AND u.back <= %(months)s - 12))""",
                {"bank": ctx["bank"], "user": ctx["user"], "months": MONTHS})
    cur.execute("""
        INSERT INTO cash (time, type, value, customerid, comment, sourceid, userid,
            currency, currencyvalue)
        SELECT min(u.cdate) - 86400 * 3, 1, sum(u.due) + 20, u.cid, 'Przedpłata za rok',
               %(bank)s, %(user)s, 'PLN', 1
        FROM bench_due u JOIN bench_c b ON b.cid = u.cid
        WHERE b.pattern = 3 AND u.back > %(months)s - 12 GROUP BY u.cid""",
                {"bank": ctx["bank"], "user": ctx["user"], "months": MONTHS})
    cur.execute("""
        UPDATE documents d SET closed = 1 FROM bench_due u JOIN bench_c b ON b.cid = u.cid
        WHERE d.id = u.id AND (b.pattern IN (0, 3) OR (b.pattern = 1 AND u.back > b.tail)
                               OR (b.pattern = 2 AND u.back > 1))""")


def balances_sql(cur, cids_where: str = "TRUE") -> None:
    """customerbalances as LMS's cash trigger keeps it (the trigger was off while
    loading)."""
    cur.execute(f"DELETE FROM customerbalances WHERE {cids_where.replace('cid', 'customerid')}")  # noqa: S608
    cur.execute(f"""
        INSERT INTO customerbalances (customerid, balance)
        SELECT customerid, sum(value * currencyvalue) FROM cash
        WHERE customerid IS NOT NULL AND {cids_where.replace('cid', 'customerid')}
        GROUP BY customerid""")  # noqa: S608


def generate(name: str, customers: int, seed: int) -> dict:
    started = time.perf_counter()
    create(name)
    rng = random.Random(seed)
    timings = {}
    with connect(name) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no per-row triggers/FKs
        cur.execute("SET maintenance_work_mem = '256MB'")
        ctx = dictionaries(cur)
        ctx["poland"] = one(cur, "SELECT id FROM countries WHERE ccode = 'pl_PL' LIMIT 1")
        ctx["nets"] = networks(cur, customers, ctx)
        mark = time.perf_counter()
        customers_copy(cur, customers, rng, ctx)
        timings["customers_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        invoices_sql(cur, ctx, months=list(range(MONTHS)))
        timings["invoices_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        payments_sql(cur, ctx)
        balances_sql(cur)
        timings["payments_s"] = time.perf_counter() - mark
        cur.execute("INSERT INTO dbinfo (keytype, keyvalue) VALUES ('bench_complete', %s)",
                    [f"{customers}:{seed}"])
        conn.commit()
    with psycopg.connect(server_dsn(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["total_s"] = time.perf_counter() - started
    return {k: round(v, 1) for k, v in timings.items()}


def change(name: str, percent: float) -> dict:
    """P % of rows changed the way LMS's use changes them; a new round each call."""
    step = max(1, round(100 / percent))
    started = time.perf_counter()
    with connect(name) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        plan = one(cur, "SELECT id FROM numberplans WHERE doctype = %s ORDER BY id LIMIT 1",
                   [DOC_INVOICE])
        user = one(cur, "SELECT min(id) FROM users")
        division = one(cur, "SELECT min(id) FROM divisions")
        bank = one(cur, "SELECT min(id) FROM cashsources")
        spare = one(cur, "SELECT id FROM networks WHERE name = 'LAN-ZMIANY'")
        last = one(cur, "SELECT max(cdate) FROM documents WHERE type = %s", [DOC_INVOICE])
        month = one(cur, "SELECT (extract(year FROM d) - %s) * 12 + extract(month FROM d) - %s"
                         " FROM (SELECT (to_timestamp(%s) AT TIME ZONE 'Europe/Warsaw')::date"
                         " AS d) x", [START.year, START.month, last])
        new_month = int(month) + 1
        rnd = new_month % step  # which residue of ids this round changes
        now = one(cur, "SELECT " + EPOCH_SQL.format(
            d="%s::date + make_interval(months => %s, days => 3)"),
                  [START, new_month])
        pick = f"mod(c.cid, {step}) = {rnd}"
        # bench_c again, from the database (the generating session's is gone)
        cur.execute("""
            CREATE TEMP TABLE bench_c AS
            SELECT c.id AS cid, a.tariffid AS tariff, a.pdiscount::int AS pdiscount,
                   tv.tariffid AS tv, 0 AS pattern, 0 AS tail,
                   trim(c.lastname || ' ' || c.name) AS name,
                   ad.street || ' ' || ad.house AS address, ad.zip, ad.city, c.ten, c.ssn
            FROM customers c
            JOIN LATERAL (SELECT tariffid, pdiscount FROM assignments x JOIN tariffs t
                          ON t.id = x.tariffid WHERE x.customerid = c.id AND t.type = 1
                          ORDER BY x.id LIMIT 1) a ON true
            LEFT JOIN LATERAL (SELECT tariffid FROM assignments x JOIN tariffs t
                               ON t.id = x.tariffid WHERE x.customerid = c.id AND t.type = 5
                               ORDER BY x.id LIMIT 1) tv ON true
            JOIN customer_addresses ca ON ca.customer_id = c.id AND ca.type = 1
            JOIN addresses ad ON ad.id = ca.address_id
            WHERE c.deleted = 0""")
        out = {"round_month": new_month}
        cur.execute(f"UPDATE customers SET lastname = lastname || ' (zm. {new_month})', "  # noqa: S608
                    f"moddate = %s WHERE mod(id, {step}) = {rnd}", [now])
        out["customers_renamed"] = cur.rowcount
        cur.execute(f"UPDATE customercontacts SET contact = '+48 7' || lpad(mod({new_month} * "  # noqa: S608
                    f"1000003 + id, 100000000) || '', 8, '0') WHERE type & 1 > 0 "
                    f"AND mod(customerid, {step}) = mod({rnd} + 1, {step})")
        out["phones_changed"] = cur.rowcount
        ctx = {"plan": plan, "user": user, "division": division}
        before = one(cur, "SELECT count(*) FROM documents")
        invoices_sql(cur, ctx, months=[new_month], where=pick)
        out["invoices_added"] = one(cur, "SELECT count(*) FROM documents") - before
        cur.execute(f"""
            INSERT INTO cash (time, type, value, customerid, comment, sourceid, userid,
                currency, currencyvalue)
            SELECT %s, 1, -sum(c.value), d.customerid, 'Przelew - abonament', %s, %s,
                   'PLN', 1
            FROM documents d JOIN cash c ON c.docid = d.id
            WHERE d.closed = 0 AND d.type = {DOC_INVOICE}
            AND mod(d.customerid, {step}) = mod({rnd} + 2, {step})
            GROUP BY d.id, d.customerid""", [now, bank, user])  # noqa: S608
        out["payments_added"] = cur.rowcount
        cur.execute(f"UPDATE documents SET closed = 1 WHERE closed = 0 AND type = "  # noqa: S608
                    f"{DOC_INVOICE} AND mod(customerid, {step}) = mod({rnd} + 2, {step})")
        spare_base = one(cur, "SELECT address FROM networks WHERE id = %s", [spare])
        cur.execute(f"UPDATE nodes SET netid = %s, ipaddr = %s + 2 + id + {new_month} * 7, "  # noqa: S608
                    f"moddate = %s WHERE nas = 0 AND mod(id, {step}) = mod({rnd} + 3, {step})",
                    [spare, spare_base, now])
        out["nodes_moved"] = cur.rowcount
        balances_sql(cur, f"mod(cid, {step}) IN ({rnd}, mod({rnd} + 2, {step}))")
        conn.commit()
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def counts(name: str) -> dict:
    with connect(name) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(t))).fetchone()[0]
            for t in ("customers", "addresses", "customercontacts", "nodes", "assignments",
                      "documents", "invoicecontents", "cash")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database name (lms_bench_<N>)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--force", action="store_true", help="generate even if present")
    parser.add_argument("--change-percent", type=float, default=None,
                        help="change this %% of rows of the existing database")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL of the PostgreSQL server is needed (scripts/with-postgres.sh)")
    name = args.db or database_name(args.customers)
    if args.change_percent is not None:
        print(change(name, args.change_percent))
        return
    if complete(name) and not args.force:
        print(f"{name} is there already (--force to make it again)")
    else:
        print(generate(name, args.customers, args.seed))
    print(counts(name))


if __name__ == "__main__":
    main()
