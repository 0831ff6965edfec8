"""Call-centre reports on the known dataset of ``fixtures_reports.report_data``.

The period is March 2026, both days included: 2026-03-01 00:00 local time is in it,
2026-04-01 00:00 is not (the end is exclusive). Worked out by hand:

* queue load — First line: created c2, c3; resolved c1, c2; open at the end c3.
  Second line: created c6, c7; resolved c7; open at the end c5, c6 (c6 resolved after
  the end). c4 (created at the first moment after the period) and c8 (closed in
  February) count nowhere; neither does the other tenant's case.
* SLA — resolved in March: c1 (resolved exactly at its due moment: met), c2 (an hour
  late: breached), both First line/Fault: 1 of 2 = 50.0 %; c7 (Second line/Fault) has
  no target.
* interactions — "Awaria › Brak internetu": 2 on 1 March (00:00 local is still 28
  February in UTC), 1 on 31 March; "Faktury": 1 on 29 March (the DST day).
* handling — Brak internetu 60 + 120 + 30 s → 70.0 s; Faktury has no duration.
* case times (created in March) — Fault: c2 (first response 1,800 s, resolution 7,200 s)
  and c7 (resolution 86,400 s); Billing: c3 (nothing) and c6 (first response 3,600 s,
  resolution 1,940,400 s: 22 days 12 hours of the clock, one hour less in real time).
"""

from datetime import date

import pytest
from django.urls import reverse

from helpdesk.selectors import reports
from helpdesk.selectors.reports import Period

MARCH = Period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
QUERY = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
PAGE = reverse("helpdesk:reports")


def test_queue_load(report_data):
    rows = reports.queue_load(MARCH)

    assert [(r.queue, r.created, r.resolved, r.open_at_end) for r in rows] == [
        ("First line", 2, 2, 1), ("Second line", 2, 1, 2)]
    total = reports.queue_load_total(rows)
    assert (total.created, total.resolved, total.open_at_end) == (4, 3, 3)


def test_sla_compliance(report_data):
    rows = reports.sla_compliance(MARCH)

    assert [(r.queue, r.case_type, r.resolved, r.met, r.breached, r.without_target,
             r.percent) for r in rows] == [
        ("First line", "Fault", 2, 1, 1, 0, 50.0),
        ("Second line", "Fault", 1, 0, 0, 1, None)]
    total = reports.sla_total(rows)
    assert (total.resolved, total.met, total.breached, total.percent) == (3, 1, 1, 50.0)


def test_interactions_per_topic_per_local_day(report_data):
    data = reports.interactions_per_topic_day(MARCH)

    assert len(data.days) == 31 and data.days[0] == date(2026, 3, 1)
    by_topic = {row.topic: row.counts for row in data.rows}
    assert set(by_topic) == {"Awaria › Brak internetu", "Faktury"}
    fault = by_topic["Awaria › Brak internetu"]
    assert fault[0] == 2 and fault[30] == 1 and sum(fault) == 3
    assert by_topic["Faktury"][28] == 1 and sum(by_topic["Faktury"]) == 1
    assert data.rows[0].topic == "Awaria › Brak internetu"  # the busiest first
    assert data.total == 4 and data.day_totals[0] == 2


def test_handling_time_per_topic_and_agent(report_data):
    topics = reports.handling_per_topic(MARCH)
    agents = reports.handling_per_agent(MARCH)

    assert [(r.name, r.interactions, r.timed, r.average_seconds) for r in topics] == [
        ("Awaria › Brak internetu", 3, 3, 70.0), ("Faktury", 1, 0, None)]
    assert [(r.name, r.interactions, r.timed, r.average_seconds) for r in agents] == [
        ("Anna Testowy", 2, 2, 90.0), ("", 1, 0, None), ("Tomasz Zieliński", 1, 1, 30.0)]
    total = reports.handling_total(agents)
    assert (total.interactions, total.timed, total.average_seconds) == (4, 3, 70.0)


def test_case_response_and_resolution_times(report_data):
    rows = reports.case_times(MARCH)

    assert [(r.case_type, r.created, r.responded, r.first_response_seconds, r.resolved,
             r.resolution_seconds) for r in rows] == [
        ("Billing", 2, 1, 3600.0, 1, 1940400.0),
        ("Fault", 2, 1, 1800.0, 2, 46800.0),
        ("", 4, 2, 2700.0, 3, 678000.0)]


def test_a_day_shorter_period_moves_the_boundary(report_data):
    """31 March excluded: c3 and the interaction at 23:30 drop out."""
    period = Period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 30))

    load = {r.queue: (r.created, r.open_at_end) for r in reports.queue_load(period)}
    assert load == {"First line": (1, 0), "Second line": (2, 2)}
    assert reports.interactions_per_topic_day(period).total == 3


def test_empty_period(report_data):
    period = Period(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))

    assert reports.queue_load(period) == []
    assert reports.sla_compliance(period) == []
    assert reports.sla_total([]).percent is None
    daily = reports.interactions_per_topic_day(period)
    assert daily.rows == [] and daily.total == 0 and len(daily.days) == 31
    assert reports.handling_per_agent(period) == []
    assert reports.handling_total([]).average_seconds is None
    assert reports.case_times(period) == []


def test_far_dates(report_data):
    period = Period(date_from=date(1900, 1, 1), date_to=date(1900, 12, 31))

    assert reports.queue_load(period) == []
    far = Period(date_from=date(9998, 1, 1), date_to=date(9998, 12, 31))
    # Open at that end: c3 and c4 (First line), c5 (Second line).
    assert [r.open_at_end for r in reports.queue_load(far)] == [2, 1]


# --------------------------------------------------------------------------- the page

def test_page_shows_the_tables_and_charts(staff_client, report_data):
    response = staff_client.get(PAGE, QUERY)

    assert response.status_code == 200
    html = response.content.decode()
    for table in ("table-queue-load", "table-sla", "table-topics-daily",
                  "table-handling-topic", "table-handling-agent", "table-case-times"):
        assert f'id="{table}"' in html
    assert html.count("<svg class=\"w-100") == 4 and "<script" not in html.split("<main")[1] \
        .split("</main>")[0]
    assert "Awaria › Brak internetu" in html and "Tomasz Zieliński" in html
    assert "50.0" in html and "678000.0" in html
    assert "Obca kolejka" not in html and "Obcy" not in html


def test_page_defaults_to_the_last_30_days(staff_client, report_data):
    html = staff_client.get(PAGE).content.decode()

    period = reports.period_default()
    assert (period.date_to - period.date_from).days == 29
    assert f'value="{period.date_from.isoformat()}"' in html


def test_page_refuses_a_reversed_or_too_long_period(staff_client, in_tenant):
    reversed_ = staff_client.get(PAGE, {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert reversed_.status_code == 400
    assert "The end of the period is before its start." in reversed_.content.decode()
    too_long = staff_client.get(PAGE, {"date_from": "2020-01-01", "date_to": "2026-03-01"})
    assert too_long.status_code == 400
    assert staff_client.get(PAGE, {"date_from": "jutro"}).status_code == 400


def test_page_query_count(staff_client, report_data, django_assert_num_queries):
    # The staff request: session, user, membership with the role (3) and the session saved
    # (savepoint, update, release: 3); queue load (1); SLA
    # (1); per topic per day: interactions, topics, their ancestors (3); per topic:
    # interactions, topics, ancestors (3); per agent: interactions, agents (2); case
    # times: grouped and total (2).
    with django_assert_num_queries(18):
        assert staff_client.get(PAGE, QUERY).status_code == 200


def test_page_needs_a_staff_login(client, in_tenant):
    response = client.get(PAGE)

    assert response.status_code == 302 and "login" in response["Location"]


# --------------------------------------------------------------------------- the API

API = "/api/v1/helpdesk/reports/"


@pytest.mark.parametrize("name", ["queue-load", "sla", "topics-daily", "handling-topic",
                                  "handling-agent", "case-times"])
def test_api_answers_every_table(api_client, report_data, name):
    response = api_client.get(f"{API}{name}/", QUERY)

    assert response.status_code == 200
    assert response.json()["date_from"] == "2026-03-01"


def test_api_figures_match_the_page(api_client, report_data):
    load = api_client.get(f"{API}queue-load/", QUERY).json()
    sla = api_client.get(f"{API}sla/", QUERY).json()
    daily = api_client.get(f"{API}topics-daily/", QUERY).json()
    times = api_client.get(f"{API}case-times/", QUERY).json()

    assert [(r["queue"], r["created"], r["resolved"], r["open_at_end"])
            for r in load["rows"]] == [("First line", 2, 2, 1), ("Second line", 2, 1, 2)]
    assert load["total"]["open_at_end"] == 3
    assert sla["total"]["percent"] == 50.0 and sla["rows"][1]["percent"] is None
    assert daily["total"] == 4 and len(daily["days"]) == 31
    assert times["rows"][-1]["resolution_seconds"] == 678000.0


def test_api_other_tenant_sees_only_its_own(other_api_client, report_data):
    load = other_api_client.get(f"{API}queue-load/", QUERY).json()

    assert [r["queue"] for r in load["rows"]] == ["Obca kolejka"]
    assert other_api_client.get(f"{API}sla/", QUERY).json()["total"]["met"] == 1


def test_api_refuses_a_reversed_period_with_the_field(api_client, in_tenant):
    response = api_client.get(f"{API}sla/", {"date_from": "2026-03-31",
                                            "date_to": "2026-03-01"})

    assert response.status_code == 400 and "date_to" in response.json()["errors"]


def test_api_needs_authentication(client, in_tenant):
    assert client.get(f"{API}sla/").status_code in (401, 403)
