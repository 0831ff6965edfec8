"""``load_demo`` says what it is doing while it works and prints the address it is served at."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.management.commands.load_demo import ProgressPrinter


def test_progress_prints_each_step_at_start_every_quarter_and_end():
    lines, now = [], [0.0]
    progress = ProgressPrinter(lines.append, clock=lambda: now[0])
    for done in range(0, 201):
        now[0] = done * 0.5
        progress("Sieć Alfa: customers", done, 200)
    progress("Sieć Alfa: billing runs", 0, 3)
    progress("Sieć Alfa: billing runs", 0, 3)  # told twice, printed once
    assert lines == [
        "[ 0:00] Sieć Alfa: customers: 0/200 (0%)",
        "[ 0:25] Sieć Alfa: customers: 50/200 (25%)",
        "[ 0:50] Sieć Alfa: customers: 100/200 (50%)",
        "[ 1:15] Sieć Alfa: customers: 150/200 (75%)",
        "[ 1:40] Sieć Alfa: customers: 200/200 (100%)",
        "[ 1:40] Sieć Alfa: billing runs: 0/3 (0%)",
    ]


def test_progress_of_an_empty_step_is_done():
    lines = []
    ProgressPrinter(lines.append, clock=lambda: 0)("Sieć Beta: traffic", 0, 0)
    assert lines == ["[ 0:00] Sieć Beta: traffic: 0/0 (100%)"]


def _load(**options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_demo", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_load_demo_shows_progress_and_the_address_it_is_served_at():
    out, err = _load(customers=3, address="192.0.2.10:8080")
    assert "Loading the demo: 2 ISPs with 3 customers each" in err
    for step in ("Sieć Alfa: customers: 3/3 (100%)", "Sieć Beta: customers: 0/3 (0%)",
                 "Sieć Alfa: billing runs: 3/3 (100%)", "Sieć Beta: payments:",
                 "Sieć Beta: logins:", "Sieć Beta: traffic:"):
        assert step in err
    assert "Staff logins (http://192.0.2.10:8080/):" in out
    assert "http://192.0.2.10:8080/panel/login/?isp=alfa" in out
    assert "Sieć Alfa" not in out  # progress stays on stderr

    again_out, again_err = _load(customers=3)
    assert "already loaded" in again_out and again_err == ""
    assert "Staff logins (http://127.0.0.1:8000/):" in again_out  # make run's address


@pytest.mark.django_db
def test_load_demo_quiet_prints_no_progress():
    out, err = _load(customers=2, quiet=True)
    assert err == "" and "Demo data loaded" in out
