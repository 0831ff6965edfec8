"""Tenant A's payment demands for the isolation walk, built through the services."""

from datetime import date, timedelta
from decimal import Decimal

from accounting import demands
from finance import services as finance


def build(objects: dict, *, tenant, staff, customer) -> None:
    today = date.today()
    finance.invoice_issue(actor=staff, customer=customer, issue_date=today - timedelta(days=40),
                          due_date=today - timedelta(days=20),
                          lines=[{"name": "WezwanieAlfa", "quantity": 1,
                                  "net_unit_price": Decimal("12.34"), "vat_rate": "zw"}])
    job = demands.demands_start(actor=staff, customer_ids=[customer.pk])
    objects["demandjob"] = job
    outcome = demands.demand_issue(actor=staff, customer_id=customer.pk, job=job)
    objects["paymentdemand"] = outcome.demand
    objects["paymentdemanditem"] = outcome.demand.items.first()
