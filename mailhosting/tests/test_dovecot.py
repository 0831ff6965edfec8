"""A real Dovecot authenticates IMAP logins against what the services provision.

Dovecot reads committed rows, as the role ``abonent_dovecot``: these tests use the
transactional database (``transactional_db``: emptied after each test) and Dovecot started
once per run (``dovecot`` in conftest.py).
"""

import imaplib
import threading

import psycopg
import pytest

from core.tenancy import tenant_context
from customers.services import customer_create
from mailhosting import services

pytestmark = pytest.mark.usefixtures("transactional_db")

POLISH = "Zażółć \"gęślą\" jaźń \\ 'x'"


@pytest.fixture
def setup(tenant, other_tenant, staff, other_staff):
    """A customer with a domain in each tenant."""
    with tenant_context(tenant):
        customer = customer_create(actor=staff, first_name="Jan", last_name="Kowalski",
                                   status="connected")
        domain = services.maildomain_add(actor=staff, name="alfa-net.pl")
    with tenant_context(other_tenant):
        other_customer = customer_create(actor=other_staff, first_name="Ewa",
                                         last_name="Nowak", status="connected")
        other_domain = services.maildomain_add(actor=other_staff, name="beta-net.pl")
    return {"tenant": tenant, "customer": customer, "domain": domain, "staff": staff,
            "other_tenant": other_tenant, "other_customer": other_customer,
            "other_domain": other_domain, "other_staff": other_staff}


def _mailbox(s, local_part, password, *, other=False, **kwargs):
    tenant = s["other_tenant" if other else "tenant"]
    with tenant_context(tenant):
        mailbox, _ = services.mailbox_create(
            actor=s["other_staff" if other else "staff"],
            customer=s["other_customer" if other else "customer"],
            domain=s["other_domain" if other else "domain"], local_part=local_part,
            password=password, **kwargs)
    return mailbox


def imap_plain(server, user: str, password: str) -> imaplib.IMAP4:
    """Log in with SASL PLAIN (UTF-8: the Polish letters travel as they are)."""
    imap = imaplib.IMAP4("127.0.0.1", server.port)
    try:
        imap.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
    except imaplib.IMAP4.error:
        imap.shutdown()
        raise
    return imap


def refused(server, user: str, password: str) -> bool:
    try:
        imap = imap_plain(server, user, password)
    except imaplib.IMAP4.error as e:
        assert "AUTHENTICATIONFAILED" in str(e)
        return True
    imap.logout()
    return False


def test_right_password_logs_in_and_wrong_one_is_refused(dovecot, setup):
    _mailbox(setup, "jan", "Tajne-hasło-1")
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Tajne-hasło-1")
    assert imap.select("INBOX")[0] == "OK"
    imap.logout()
    assert refused(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1")
    assert refused(dovecot, "jan@alfa-net.pl", "")
    assert refused(dovecot, "nikt@alfa-net.pl", "Tajne-hasło-1")


def test_imap_login_command_with_quotes_and_backslash(dovecot, setup):
    """The plain LOGIN command quotes the password: its quotes and backslashes arrive."""
    password = 'a"b\\c\'d%u{x}'
    _mailbox(setup, "o'brien", password)
    imap = imaplib.IMAP4("127.0.0.1", dovecot.port)
    assert imap.login("O'Brien@ALFA-NET.PL", password)[0] == "OK"
    imap.logout()
    imap = imaplib.IMAP4("127.0.0.1", dovecot.port)
    with pytest.raises(imaplib.IMAP4.error):
        imap.login("o'brien@alfa-net.pl", 'a"b\\c')
    imap.shutdown()


def test_polish_letters_quotes_and_backslash_in_password(dovecot, setup):
    _mailbox(setup, "zofia", POLISH)
    imap_plain(dovecot, "zofia@alfa-net.pl", POLISH).logout()
    assert refused(dovecot, "zofia@alfa-net.pl", POLISH.replace("ż", "z"))


def test_sql_characters_in_the_name_stay_data(dovecot, setup):
    """A quote or a percent sign in the name before the @ is data to Dovecot's query,
    never SQL or a variable."""
    _mailbox(setup, "a'or'1'='1", "Haslo-12345")
    _mailbox(setup, "x%u", "Haslo-67890")
    imap_plain(dovecot, "a'or'1'='1@alfa-net.pl", "Haslo-12345").logout()
    imap_plain(dovecot, "x%u@alfa-net.pl", "Haslo-67890").logout()
    assert refused(dovecot, "a'or'1'='1@alfa-net.pl", "Haslo-67890")
    assert refused(dovecot, "' OR '1'='1", "Haslo-12345")


def test_disabled_mailbox_and_disabled_domain_are_refused(dovecot, setup):
    mailbox = _mailbox(setup, "jan", "Tajne-haslo-1")
    with tenant_context(setup["tenant"]):
        services.mailbox_update(actor=setup["staff"], mailbox=mailbox, active=False)
    assert refused(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1")
    with tenant_context(setup["tenant"]):
        services.mailbox_update(actor=setup["staff"], mailbox=mailbox, active=True)
    imap_plain(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1").logout()
    with tenant_context(setup["tenant"]):
        services.maildomain_update(actor=setup["staff"], domain=setup["domain"], active=False)
    assert refused(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1")
    with tenant_context(setup["tenant"]):
        services.maildomain_update(actor=setup["staff"], domain=setup["domain"], active=True)
    imap_plain(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1").logout()


def test_changed_password_counts_at_once_and_deleted_mailbox_is_gone(dovecot, setup):
    mailbox = _mailbox(setup, "jan", "Stare-haslo-1")
    with tenant_context(setup["tenant"]):
        generated = services.mailbox_password_set(actor=setup["staff"], mailbox=mailbox)
    assert refused(dovecot, "jan@alfa-net.pl", "Stare-haslo-1")
    imap_plain(dovecot, "jan@alfa-net.pl", generated).logout()
    with tenant_context(setup["tenant"]):
        services.mailbox_remove(actor=setup["staff"], mailbox=mailbox)
    assert refused(dovecot, "jan@alfa-net.pl", generated)


def test_quota_is_reported(dovecot, setup):
    mailbox = _mailbox(setup, "jan", "Tajne-haslo-1", quota_mb=250)
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1")
    status, data = imap.getquotaroot("INBOX")
    assert status == "OK"
    # STORAGE used and limit in KiB: 250 MB.
    assert data[1] == [b'"User quota" (STORAGE 0 256000)']
    imap.logout()
    with tenant_context(setup["tenant"]):
        services.mailbox_update(actor=setup["staff"], mailbox=mailbox, quota_mb=1)
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Tajne-haslo-1")
    assert imap.getquotaroot("INBOX")[1][1] == [b'"User quota" (STORAGE 0 1024)']
    # A message over the quota is refused.
    result = imap.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"x" * 1_100_000)
    assert result[0] == "NO"
    imap.logout()


def test_other_tenants_mailbox_is_never_confused(dovecot, setup):
    """The same name in each tenant's domain: each logs in with its own password only,
    and each has its own mail."""
    _mailbox(setup, "jan", "Haslo-alfa-1")
    _mailbox(setup, "jan", "Haslo-beta-1", other=True)
    assert refused(dovecot, "jan@alfa-net.pl", "Haslo-beta-1")
    assert refused(dovecot, "jan@beta-net.pl", "Haslo-alfa-1")
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Haslo-alfa-1")
    imap.append("INBOX", None, None, b"Subject: dla alfy\r\n\r\nTresc.\r\n")
    imap.logout()
    imap = imap_plain(dovecot, "jan@beta-net.pl", "Haslo-beta-1")
    imap.select("INBOX")
    assert imap.search(None, "ALL")[1] == [b""]
    imap.logout()


def test_recreated_address_does_not_inherit_the_old_mail(dovecot, setup):
    mailbox = _mailbox(setup, "jan", "Haslo-stare-1")
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Haslo-stare-1")
    imap.append("INBOX", None, None, b"Subject: prywatne\r\n\r\nTresc.\r\n")
    imap.logout()
    with tenant_context(setup["tenant"]):
        services.mailbox_remove(actor=setup["staff"], mailbox=mailbox)
    _mailbox(setup, "jan", "Haslo-nowe-1")
    imap = imap_plain(dovecot, "jan@alfa-net.pl", "Haslo-nowe-1")
    imap.select("INBOX")
    assert imap.search(None, "ALL")[1] == [b""]
    imap.logout()


def test_dovecot_role_reads_the_projection_only(dovecot, setup):
    """The role Dovecot connects as sees the projection, and neither the tenant tables
    nor any password but the hashes."""
    _mailbox(setup, "jan", "Tajne-haslo-1")
    db = dovecot.database
    with psycopg.connect(host=db["host"], port=db["port"], dbname=db["dbname"],
                         user=db["user"], password=db["password"], autocommit=True) as conn:
        rows = conn.execute("SELECT email, password FROM mailhosting_mailuser").fetchall()
        assert [r[0] for r in rows] == ["jan@alfa-net.pl"]
        assert rows[0][1].startswith("{ARGON2ID}$argon2id$")
        assert "Tajne-haslo-1" not in rows[0][1]
        # What the MTA reads: the hosted domains and the forwardings' routes.
        assert conn.execute("SELECT name FROM mailhosting_mailhosteddomain ORDER BY name") \
            .fetchall() == [("alfa-net.pl",), ("beta-net.pl",)]
        assert conn.execute("SELECT count(*) FROM mailhosting_mailroute").fetchone() == (0,)
        for table in ("mailhosting_mailbox", "customers_customer"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table}")  # noqa: S608 - a table name


def test_same_mailbox_created_twice_at_once_makes_one(dovecot, setup):
    results, errors = [], []
    barrier = threading.Barrier(2)

    def create(password):
        from django.core.exceptions import ValidationError
        from django.db import connection
        from django.utils import translation

        barrier.wait()
        # A thread starts in the default language (Polish): the test reads English.
        try:
            with translation.override("en"):
                results.append(_mailbox(setup, "jan", password))
        except ValidationError as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(f"Haslo-watek-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1 and len(errors) == 1
    assert "already" in str(errors[0])
    won, lost = sorted(("Haslo-watek-1", "Haslo-watek-2"), key=lambda p: not
                       services.password_verify(results[0].password_hash, p))
    imap_plain(dovecot, "jan@alfa-net.pl", won).logout()
    assert refused(dovecot, "jan@alfa-net.pl", lost)


def test_password_shown_on_the_card_logs_in(dovecot, setup, client):
    """Staff add a mailbox on the card with a generated password; the customer logs in
    to Dovecot with what the card showed them."""
    from django.urls import reverse

    client.force_login(setup["staff"])
    url = reverse("mailhosting:mailbox_add", kwargs={"customer_id": setup["customer"].pk})
    response = client.post(url, {"local_part": "Jan.Kowalski", "domain": setup["domain"].pk,
                                 "quota_mb": 20, "active": "on"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    shown = html.split('class="generated-password">')[1].split("<")[0]
    imap = imap_plain(dovecot, "jan.kowalski@alfa-net.pl", shown)
    assert imap.getquotaroot("INBOX")[1][1] == [b'"User quota" (STORAGE 0 20480)']
    imap.logout()
