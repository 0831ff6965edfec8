"""The card's "Helpdesk" section: the customer's cases, numbers linking to each case."""

from helpdesk.selectors.cases import customer_cases

SECTION_LIMIT = 50


def helpdesk_section_context(customer, request) -> dict:
    """Two queries: the customer's newest cases (with queue and owner) and their count."""
    cases = customer_cases(customer.pk)
    return {"helpdesk_cases": list(cases[:SECTION_LIMIT]),
            "helpdesk_case_count": cases.count()}
