"""Fixtures of the panel part's tests ("Zgłoszenia"): a queue, a case type the tenant
offers in the panel with a mandatory field, one it does not offer, a logged-in panel
customer and a neighbour with a ticket of their own."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import services as customer_services
from customers.services import customer_create
from helpdesk.models import FieldKind
from helpdesk.tests.factories import case_type_make, queue_make

PANEL_PASSWORD = "Haslo-Bardzo-Tajne-1"


@pytest.fixture
def panel_queue(in_tenant, staff):
    return queue_make("Panel line", members=[staff])


@pytest.fixture
def panel_type(in_tenant, panel_queue):
    """"No internet", offered in the panel: a mandatory phone, an optional choice."""
    return case_type_make("No internet", panel_visible=True, default_queue=panel_queue,
                          fields=[("phone", "Contact phone", FieldKind.PHONE, True),
                                  ("device", "Device", FieldKind.CHOICE, False,
                                   ["router", "ONT"])])


@pytest.fixture
def staff_only_type(in_tenant, panel_queue):
    return case_type_make("Internal audit", panel_visible=False, default_queue=panel_queue)


def panel_log_in(client, customer, staff, login="jkowalski"):
    customer_services.panel_credentials_set(actor=staff, customer=customer, login=login,
                                            password=PANEL_PASSWORD)
    response = client.post(reverse("panel:login"), {"login": login, "secret": PANEL_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def panel_customer_client(client, customer, staff):
    return panel_log_in(client, customer, staff)


@pytest.fixture
def panel_neighbour(in_tenant, staff):
    return customer_create(actor=staff, last_name="Nowak")


def png_upload(name="photo.png") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")
