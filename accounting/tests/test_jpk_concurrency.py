"""The same month built twice at once (two accountants, or a double click): one file is
the first filing and the other its correction — never two "first filings"."""

import threading
from datetime import date

from django.db import connection

from accounting import jpk
from accounting.models import JpkFiling
from accounting.tests.fixtures_jpk import JPK_SETTINGS, jpk_invoice, jpk_line
from core.models import Tenant
from core.services import tenant_setting_set
from core.tenancy import tenant_context
from customers.services import customer_create


def test_two_builds_at_once_make_a_filing_and_its_correction(transactional_db, tenant,
                                                             staff):
    with tenant_context(tenant):
        for key, value in JPK_SETTINGS.items():
            tenant_setting_set(actor=staff, key=key, raw_value=value)
        customer = customer_create(actor=staff, first_name="Jan", last_name="Nowak",
                                   pesel="44051401458", status="connected")
        jpk_invoice(staff, customer, [jpk_line("100.00")], date(2026, 3, 5))
    errors, barrier = [], threading.Barrier(3)

    def work():
        try:
            with tenant_context(Tenant.objects.get(pk=tenant.pk)):
                barrier.wait()
                jpk.jpk_filing_create(actor=staff, year=2026, month=3)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with tenant_context(tenant):
        filings = list(JpkFiling.objects.order_by("sequence")
                       .values_list("sequence", "purpose", "previous__sequence"))
    assert filings == [(0, 1, None), (1, 2, 0), (2, 2, 1)]
