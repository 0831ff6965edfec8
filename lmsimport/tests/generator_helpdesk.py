"""Writes LMS's helpdesk, timetable and VoIP rows the way LMS writes them (test data).

Constants with their LMS names (lib/definitions.php). What LMS's forms store:

* a ticket (``rttickets``) always sits in a queue; ``customerid`` is NULL when the
  requestor is not a customer (then ``requestor``/``requestor_mail``/``requestor_phone``
  say who); ``createtime``/``resolvetime`` are Unix times; the ticket's text is its first
  message (``rtmessages``);
* a message from e-mail keeps the sender (``mailfrom``), the ``Message-ID`` (``messageid``)
  and the raw headers (``headers``); a staff member's has ``userid``; the customer's (panel)
  has only ``customerid``; notes are ``type`` RTMESSAGE_NOTE or a change bit;
* attachments (``rtattachments``) name files LMS keeps on disk, not their content;
* an event's ``date``/``enddate`` are the Unix times of local midnights, ``begintime`` /
  ``endtime`` seconds from midnight; the staff doing it are ``eventassignments`` rows;
* a VoIP account belongs to a customer and has its numbers in ``voip_numbers``; calls are
  ``voip_cdr`` rows.

Every function takes the ``LmsWriter`` of ``generator.py`` and returns the new id.
"""

from datetime import date, datetime, time

from lmsimport.tests.generator import WARSAW, LmsWriter, epoch

__all__ = [
    "EVENT_INSTALLATION",
    "EVENT_MEETING",
    "EVENT_SERVICE",
    "RTMESSAGE_NOTE",
    "RTMESSAGE_REGULAR",
    "RTMESSAGE_STATE_CHANGE",
    "RT_DEAD",
    "RT_NEW",
    "RT_OPEN",
    "RT_RESOLVED",
    "RT_SOURCE_EMAIL",
    "RT_SOURCE_PHONE",
    "RT_SOURCE_USERPANEL",
    "event",
    "rt_category",
    "rt_message",
    "rt_queue",
    "rt_ticket",
    "scenario_helpdesk",
    "voip_account",
    "voip_call",
]

RT_NEW, RT_OPEN, RT_RESOLVED, RT_DEAD = 0, 1, 2, 3
RT_SOURCE_UNKNOWN, RT_SOURCE_PHONE, RT_SOURCE_EMAIL, RT_SOURCE_USERPANEL = 0, 1, 2, 3
RT_PRIORITY_LOW, RT_PRIORITY_NORMAL, RT_PRIORITY_URGENT = -1, 0, 2
RTMESSAGE_REGULAR, RTMESSAGE_NOTE, RTMESSAGE_STATE_CHANGE = 0, 1, 8
EVENT_OTHER, EVENT_SERVICE, EVENT_INSTALLATION, EVENT_MEETING = 1, 3, 4, 5
CALL_INCOMING, CALL_OUTGOING = 1, 2
CALL_ANSWERED = 2


def _at(day: date, hour: int = 9, minute: int = 0) -> int:
    return epoch(datetime.combine(day, time(hour, minute), tzinfo=WARSAW))


def rt_queue(w: LmsWriter, name, *, email="", description="", deleted=0) -> int:
    return w._insert("rtqueues", {"name": name, "email": email, "description": description,
                                  "deleted": deleted, "deltime": 0})


def rt_category(w: LmsWriter, name, description="") -> int:
    return w._insert("rtcategories", {"name": name, "description": description})


def rt_ticket(w: LmsWriter, queue_id, subject, *, customer_id=None, state=RT_NEW,
              owner=None, creator=None, created=date(2025, 3, 1), resolved=None,
              priority=None, source=RT_SOURCE_PHONE, requestor=None, requestor_mail=None,
              requestor_phone=None, categories=(), deleted=0) -> int:
    """A ticket as LMS's ticket form writes it (``resolved``: the day it was resolved)."""
    created_at = _at(created)
    ticket = w._insert("rttickets", {
        "queueid": queue_id, "subject": subject, "customerid": customer_id,
        "state": state, "owner": owner, "creatorid": creator, "createtime": created_at,
        "resolvetime": _at(resolved, 16) if resolved else 0,
        "modtime": _at(resolved, 16) if resolved else created_at, "priority": priority,
        "source": source, "requestor": requestor, "requestor_mail": requestor_mail,
        "requestor_phone": requestor_phone, "deleted": deleted, "cause": 0,
    })
    for category in categories:
        w._insert("rtticketcategories", {"ticketid": ticket, "categoryid": category})
    return ticket


def rt_message(w: LmsWriter, ticket_id, body, *, user=None, customer_id=None,
               when: datetime | None = None, subject="", mailfrom="", messageid="",
               headers="", type=RTMESSAGE_REGULAR, attachments=(), deleted=0) -> int:
    """A message of a ticket; ``attachments`` are file names (LMS keeps files on disk)."""
    message = w._insert("rtmessages", {
        "ticketid": ticket_id, "userid": user, "customerid": customer_id,
        "mailfrom": mailfrom, "subject": subject, "messageid": messageid,
        "headers": headers, "body": body, "type": type, "deleted": deleted,
        "createtime": epoch(when or datetime(2025, 3, 1, 9, 0)),
    })
    for name in attachments:
        w._insert("rtattachments", {"messageid": message, "filename": name,
                                    "contenttype": "application/pdf"}, returning=None)
    return message


def email_headers(sender, to, subject, message_id, when: datetime) -> str:
    """The raw headers LMS's rtparser keeps of a mail it turned into a message."""
    stamp = when.replace(tzinfo=WARSAW).strftime("%a, %d %b %Y %H:%M:%S %z")
    return (f"Return-Path: <{sender}>\nFrom: {sender}\nTo: {to}\nSubject: {subject}\n"
            f"Date: {stamp}\nMessage-ID: {message_id}\nContent-Type: text/plain; "
            "charset=UTF-8\n")


def event(w: LmsWriter, title, day: date, *, begin="09:00", end="10:00", end_day=None,
          users=(), customer_id=None, creator=None, type=EVENT_OTHER, description="",
          note="", closed=False, closed_by=None, closed_on=None, ticket_id=None,
          node_id=None, private=0, date_epoch=None) -> int:
    """An event; ``begin``/``end`` "HH:MM" → seconds from midnight as LMS stores them;
    ``date_epoch`` writes a raw ``date`` (a broken row)."""
    def seconds(hhmm):
        hours, minutes = hhmm.split(":")
        return int(hours) * 3600 + int(minutes) * 60

    row = w._insert("events", {
        "title": title, "description": description, "note": note,
        "date": date_epoch if date_epoch is not None else epoch(day),
        "begintime": seconds(begin), "enddate": epoch(end_day) if end_day else 0,
        "endtime": seconds(end), "userid": creator, "customerid": customer_id,
        "private": private, "closed": 1 if closed else 0,
        "closeddate": _at(closed_on, 15) if closed and closed_on else 0,
        "closeduserid": closed_by, "creationdate": _at(day, 8) if date_epoch is None else 0,
        "type": type, "ticketid": ticket_id, "nodeid": node_id,
    })
    for user in users:
        w._insert("eventassignments", {"eventid": row, "userid": user}, returning=None)
    return row


def voip_account(w: LmsWriter, owner_id, login, passwd, numbers=()) -> int:
    account = w._insert("voipaccounts", {
        "ownerid": owner_id, "login": login, "passwd": passwd, "access": 1,
        "creationdate": epoch(date(2024, 2, 1)), "creatorid": w.user_id})
    for index, phone in enumerate(numbers, start=1):
        w._insert("voip_numbers", {"voip_account_id": account, "phone": phone,
                                   "number_index": index})
    return account


def voip_call(w: LmsWriter, caller, callee, when: datetime, seconds, *, account=None,
              uniqueid) -> int:
    return w._insert("voip_cdr", {
        "caller": caller, "callee": callee, "call_start_time": epoch(when),
        "totaltime": seconds, "billedtime": seconds, "price": "0.12",
        "status": CALL_ANSWERED, "direction": CALL_OUTGOING, "callervoipaccountid": account,
        "uniqueid": uniqueid})


def _message_of_missing_ticket(w: LmsWriter, body) -> tuple[int, int]:
    """A message whose ticket is gone: found in databases moved from MySQL/MyISAM (no
    foreign keys). Written with the triggers that check foreign keys off, as a restore
    of such a dump does."""
    missing = w._one("SELECT COALESCE(max(id), 0) + 1000 FROM rttickets")
    w.conn.execute("SET session_replication_role = replica")
    try:
        message = rt_message(w, missing, body, when=datetime(2025, 2, 2, 10, 0))
    finally:
        w.conn.execute("SET session_replication_role = DEFAULT")
    return message, missing


def scenario_helpdesk(w: LmsWriter, made: dict) -> dict:
    """Tickets, messages, events and VoIP accounts on top of ``scenario_small``'s customers.

    Keys: ``users`` (login → LMS user id: anna and tomek have Abonent accounts in the tests,
    zbyszek has none), ``queues``, ``categories``, ``tickets`` / ``messages`` / ``events``
    (role → id), ``attachments`` (file names), ``voip`` (kind → count), ``broken`` (kind,
    table, id, problem).
    """
    c = made["customers"]
    users = {login: w.user(login, first, last) for login, first, last in (
        ("anna", "Anna", "Serwisowa"), ("tomek", "Tomasz", "Technik"),
        ("zbyszek", "Zbigniew", "Dawny"))}
    anna, tomek, zbyszek = users["anna"], users["tomek"], users["zbyszek"]
    queues = {"faults": rt_queue(w, "Awarie", email="awarie@isp.example",
                                 description="Zgłoszenia awarii"),
              "office": rt_queue(w, "Biuro obsługi klienta", email="bok@isp.example"),
              "old": rt_queue(w, "Stara kolejka", deleted=1)}
    categories = {"internet": rt_category(w, "Internet"), "tv": rt_category(w, "Telewizja"),
                  "billing": rt_category(w, "Faktury")}
    tickets, messages, events, broken = {}, {}, {}, []

    # new: a phone call noted by staff, nobody has taken it yet
    t = tickets["new"] = rt_ticket(
        w, queues["faults"], "Brak internetu od rana", customer_id=c["paid_in_full"],
        creator=anna, created=date(2025, 3, 3), categories=[categories["internet"]])
    messages["new_first"] = rt_message(
        w, t, "Klient dzwonił: brak internetu od 7:00, dioda LOS świeci na czerwono.",
        user=anna, customer_id=c["paid_in_full"], when=datetime(2025, 3, 3, 9, 0))

    # open: an e-mail from the company, answered by anna, a note by tomek, an attachment
    t = tickets["open"] = rt_ticket(
        w, queues["office"], "Faktura 3/FV/2025 – błędny NIP", customer_id=c["partly_paid"],
        state=RT_OPEN, owner=anna, created=date(2025, 4, 2), priority=RT_PRIORITY_URGENT,
        source=RT_SOURCE_EMAIL, requestor_mail="biuro@siec-net.pl",
        categories=[categories["billing"], categories["internet"]])
    when = datetime(2025, 4, 2, 8, 15)
    messages["open_mail"] = rt_message(
        w, t, "Dzień dobry,\nna fakturze jest błędny NIP. Proszę o korektę.\n\nPozdrawiam",
        customer_id=c["partly_paid"], when=when, subject="Faktura 3/FV/2025 – błędny NIP",
        mailfrom="biuro@siec-net.pl", messageid="<20250402081500.abc@siec-net.pl>",
        headers=email_headers("biuro@siec-net.pl", "bok@isp.example",
                              "Faktura 3/FV/2025", "<20250402081500.abc@siec-net.pl>", when),
        attachments=["faktura-3.pdf", "nip.png"])
    messages["open_reply"] = rt_message(
        w, t, "Dzień dobry, korekta zostanie wystawiona do końca tygodnia.", user=anna,
        when=datetime(2025, 4, 2, 11, 40), subject="Re: Faktura 3/FV/2025",
        messageid="<lms-reply-1@isp.example>")
    messages["open_note"] = rt_message(
        w, t, "Sprawdzić NIP w GUS przed korektą.", user=tomek, type=RTMESSAGE_NOTE,
        when=datetime(2025, 4, 2, 12, 0))

    # resolved: reported in the customer panel, answered by a former employee
    t = tickets["resolved"] = rt_ticket(
        w, queues["faults"], "Wolny internet wieczorami", customer_id=c["overpaid"],
        state=RT_RESOLVED, owner=tomek, created=date(2025, 5, 5), resolved=date(2025, 5, 9),
        source=RT_SOURCE_USERPANEL, priority=RT_PRIORITY_LOW,
        categories=[categories["internet"]])
    messages["resolved_panel"] = rt_message(
        w, t, "Od tygodnia wieczorem prędkość spada do 5 Mb/s.", customer_id=c["overpaid"],
        when=datetime(2025, 5, 5, 20, 30))
    messages["resolved_reply"] = rt_message(
        w, t, "Wymieniliśmy port na przełączniku, proszę sprawdzić.", user=zbyszek,
        when=datetime(2025, 5, 9, 14, 0))
    messages["resolved_state"] = rt_message(
        w, t, "Zmiana stanu zgłoszenia: otwarte → rozwiązane", user=tomek,
        type=RTMESSAGE_STATE_CHANGE, when=datetime(2025, 5, 9, 16, 0))

    # dead: rejected, owned by the former employee
    t = tickets["dead"] = rt_ticket(
        w, queues["office"], "Prośba o obniżkę abonamentu", customer_id=c["corrected_to_zero"],
        state=RT_DEAD, owner=zbyszek, creator=zbyszek, created=date(2025, 6, 1),
        resolved=date(2025, 6, 3))
    messages["dead_first"] = rt_message(
        w, t, "Klient prosi o obniżkę do 49 zł.", user=zbyszek,
        when=datetime(2025, 6, 1, 10, 0))

    # a requestor who is not a customer: only an e-mail address
    t = tickets["requestor_only"] = rt_ticket(
        w, queues["office"], "Zapytanie o ofertę dla firmy", requestor="Jan Obcy",
        requestor_mail="jan.obcy@example.com", requestor_phone="+48 501 222 333",
        source=RT_SOURCE_EMAIL, created=date(2025, 7, 7))
    when = datetime(2025, 7, 7, 7, 7)
    messages["requestor_mail"] = rt_message(
        w, t, "Czy macie światłowód na ul. Polnej 5?", when=when,
        mailfrom="Jan Obcy <jan.obcy@example.com>", messageid="<offer-1@example.com>",
        headers=email_headers("jan.obcy@example.com", "bok@isp.example", "Oferta",
                              "<offer-1@example.com>", when))

    # the deleted customer's old ticket
    t = tickets["deleted_customer"] = rt_ticket(
        w, queues["office"], "Rezygnacja z usług", customer_id=c["deleted"],
        state=RT_RESOLVED, owner=anna, created=date(2024, 12, 1), resolved=date(2024, 12, 2))
    messages["deleted_customer_first"] = rt_message(
        w, t, "Klient składa wypowiedzenie umowy.", user=anna,
        when=datetime(2024, 12, 1, 12, 0))

    # -- broken rows ------------------------------------------------------------------
    t = tickets["deleted_queue"] = rt_ticket(
        w, queues["old"], "Zgłoszenie w usuniętej kolejce", customer_id=c["tv_suspended"],
        state=RT_OPEN, created=date(2024, 11, 11))
    broken.append({"kind": "ticket_in_deleted_queue", "table": "rttickets", "id": t,
                   "problem": "its queue Stara kolejka is deleted"})
    t = tickets["trashed"] = rt_ticket(
        w, queues["faults"], "Pomyłka – do usunięcia", customer_id=c["paid_in_full"],
        deleted=1, created=date(2025, 1, 20))
    messages["trashed_first"] = rt_message(w, t, "Duplikat.", user=anna,
                                           when=datetime(2025, 1, 20, 9, 0))
    broken.append({"kind": "ticket_deleted", "table": "rttickets", "id": t,
                   "problem": "deleted (in LMS's trash)"})
    orphan, missing = _message_of_missing_ticket(w, "Wiadomość bez zgłoszenia.")
    messages["orphan"] = orphan
    broken.append({"kind": "message_missing_ticket", "table": "rtmessages", "id": orphan,
                   "problem": f"its ticket {missing} does not exist"})

    # -- timetable --------------------------------------------------------------------
    kowalski_node = made["ids"]["nodes"][1]
    events["installation"] = event(
        w, "Instalacja ONT", date(2025, 3, 4), begin="10:00", end="12:30",
        users=[tomek, anna], customer_id=c["paid_in_full"], creator=anna,
        type=EVENT_INSTALLATION, description="Wymiana ONT po awarii",
        ticket_id=tickets["new"], node_id=kowalski_node)
    events["meeting"] = event(
        w, "Spotkanie zespołu", date(2025, 3, 10), begin="08:00", end="09:00",
        users=[anna, zbyszek], creator=zbyszek, type=EVENT_MEETING)
    events["closed"] = event(
        w, "Wizyta serwisowa", date(2025, 5, 8), begin="13:00", end="14:00",
        users=[tomek], customer_id=c["overpaid"], creator=tomek, type=EVENT_SERVICE,
        closed=True, closed_by=tomek, closed_on=date(2025, 5, 8),
        note="Port wymieniony, prędkość OK.", ticket_id=tickets["resolved"])
    events["two_days"] = event(
        w, "Przebudowa węzła", date(2025, 8, 30), begin="22:00", end="04:00",
        end_day=date(2025, 8, 31), users=[tomek], creator=anna, type=EVENT_OTHER)
    bad_year = datetime(7143, 1, 1, tzinfo=WARSAW)
    events["year_7143"] = event(w, "Wizyta (literówka w roku)", date(2025, 1, 1),
                                users=[anna], date_epoch=int(bad_year.timestamp()))
    broken.append({"kind": "event_far_date", "table": "events", "id": events["year_7143"],
                   "problem": "its date is in year 7143"})
    events["end_before_begin"] = event(w, "Koniec przed początkiem", date(2025, 9, 9),
                                       begin="15:00", end="11:00", users=[tomek])
    broken.append({"kind": "event_end_before_begin", "table": "events",
                   "id": events["end_before_begin"], "problem": "ends before it begins"})

    # -- VoIP -------------------------------------------------------------------------
    v1 = voip_account(w, c["paid_in_full"], "48221234567", "sip-secret-1",
                      numbers=["48221234567", "48221234568"])
    v2 = voip_account(w, c["partly_paid"], "48227654321", "sip-secret-2",
                      numbers=["48227654321"])
    for n, (account, caller) in enumerate(((v1, "48221234567"), (v1, "48221234568"),
                                           (v2, "48227654321"))):
        voip_call(w, caller, "48600100200", datetime(2025, 3, 1, 12, n), 60 + n,
                  account=account, uniqueid=f"call-{n}")

    return {"users": users, "queues": queues, "categories": categories,
            "tickets": tickets, "messages": messages, "events": events,
            "attachments": ["faktura-3.pdf", "nip.png"],
            "voip": {"voipaccounts": 2, "voip_numbers": 3, "voip_cdr": 3},
            "voip_accounts": [v1, v2], "broken": broken}
