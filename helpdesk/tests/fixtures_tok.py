"""Fixtures of the TOK part's tests: a small topic tree built through the service."""

import pytest

from helpdesk.services import tok as services


@pytest.fixture
def tok_tree(in_tenant, staff):
    """Reason "Awaria" → topic "Brak internetu" (with a script) → detail "Po burzy";
    reason "Sprzedaż"."""
    failure = services.topic_create(actor=staff, name="Awaria")
    no_net = services.topic_create(actor=staff, name="Brak internetu", parent=failure,
                                   script="<p>Zapytaj o <b>diody</b> routera.</p>")
    storm = services.topic_create(actor=staff, name="Po burzy", parent=no_net)
    sales = services.topic_create(actor=staff, name="Sprzedaż")
    return {"failure": failure, "no_net": no_net, "storm": storm, "sales": sales}
