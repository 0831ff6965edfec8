"""Free text people type has a length limit (core.validation): the longest text is taken,
one character more is refused with a message saying the limit, through the staff forms and
the API alike."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.services import tenant_setting_set
from core.validation import NOTE_MAX_LENGTH, TEMPLATE_MAX_LENGTH
from customers.models import Annotation
from documents.models import DocumentTemplate
from radius.models import Login
from radius.services import login_create

# Not only ASCII: the limit counts characters, not bytes. No space at either end, where
# the forms strip it.
NOTE = "Zażółć\ngęślą\tjaźń."


def text(length: int) -> str:
    return (NOTE * (length // len(NOTE) + 1))[:length - 1] + "!"


# --------------------------------------------------------------------------- annotations

def test_annotation_form_takes_the_limit_and_refuses_one_more(staff_client, customer):
    url = reverse("customers:annotation_add", args=[customer.pk])
    response = staff_client.post(url, {"text": text(NOTE_MAX_LENGTH + 1)})
    assert "Ensure this value has at most 10000 characters (it has 10001)." in \
        response.content.decode()
    assert not Annotation.objects.exists()
    staff_client.post(url, {"text": text(NOTE_MAX_LENGTH)})
    assert len(Annotation.objects.get().text) == NOTE_MAX_LENGTH


def test_annotation_api_takes_the_limit_and_refuses_one_more(api_client, customer):
    url = f"/api/v1/customers/{customer.pk}/annotations/"
    refused = api_client.post(url, {"text": text(NOTE_MAX_LENGTH + 1)}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["text"] == [
        "Ensure this field has no more than 10000 characters."]
    assert not Annotation.objects.exists()
    taken = api_client.post(url, {"text": text(NOTE_MAX_LENGTH)}, format="json")
    assert taken.status_code == 201
    assert len(taken.json()["text"]) == NOTE_MAX_LENGTH


def test_a_five_megabyte_annotation_is_refused(api_client, customer):
    response = api_client.post(f"/api/v1/customers/{customer.pk}/annotations/",
                               {"text": "x" * (5 * 1024 * 1024)}, format="json")
    assert response.status_code in (400, 413)
    assert not Annotation.objects.exists()


# --------------------------------------------------------------------------- login notes

@pytest.fixture
def login(customer, staff):
    return login_create(actor=staff, customer=customer, login="jan", password="pw")


def test_login_notes_form_takes_the_limit_and_refuses_one_more(staff_client, login):
    url = reverse("radius:login_notes", args=[login.pk])
    response = staff_client.post(url, {"notes": text(NOTE_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert "at most 10000 characters (it has 10001)" in response.content.decode()
    login.refresh_from_db()
    assert login.notes == ""
    assert staff_client.post(url, {"notes": text(NOTE_MAX_LENGTH)}).status_code == 302
    login.refresh_from_db()
    assert len(login.notes) == NOTE_MAX_LENGTH


def test_login_notes_api_takes_the_limit_and_refuses_one_more(api_client, login):
    url = f"/api/v1/radius/logins/{login.pk}/"
    refused = api_client.patch(url, {"notes": text(NOTE_MAX_LENGTH + 1)}, format="json")
    assert refused.status_code == 400
    assert "no more than 10000 characters" in refused.json()["errors"]["notes"][0]
    taken = api_client.patch(url, {"notes": text(NOTE_MAX_LENGTH)}, format="json")
    assert taken.status_code == 200
    assert len(Login.objects.get(pk=login.pk).notes) == NOTE_MAX_LENGTH


# --------------------------------------------------------------------------- templates

def body(length: int) -> str:
    return "<p>" + "a" * (length - len("<p></p>")) + "</p>"


def test_template_api_takes_the_limit_and_refuses_one_more(api_client, in_tenant):
    url = "/api/v1/document-templates/"
    refused = api_client.post(url, {"document_type": "letter", "name": "Długi",
                                    "body": body(TEMPLATE_MAX_LENGTH + 1)}, format="json")
    assert refused.status_code == 400
    assert "no more than 200000 characters" in refused.json()["errors"]["body"][0]
    refused = api_client.post(url, {"document_type": "letter", "name": "Długi",
                                    "css": "p{}" + " " * TEMPLATE_MAX_LENGTH}, format="json")
    assert refused.status_code == 400 and "css" in refused.json()["errors"]
    assert not DocumentTemplate.objects.exists()
    taken = api_client.post(url, {"document_type": "letter", "name": "Długi",
                                  "body": body(TEMPLATE_MAX_LENGTH)}, format="json")
    assert taken.status_code == 201


def test_template_form_refuses_one_more(staff_client, in_tenant):
    response = staff_client.post(reverse("documents:template_create"), {
        "document_type": "letter", "name": "Długi", "body": body(TEMPLATE_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert "at most 200000 characters (it has 200001)" in response.content.decode()
    assert not DocumentTemplate.objects.exists()


# --------------------------------------------------------------------------- settings

def test_text_setting_takes_the_limit_and_refuses_one_more(staff, in_tenant, staff_client):
    key = "finance.seller_name"
    response = staff_client.post("/settings/", {"key": key, "value": "S" * (NOTE_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert "at most 10000 characters (it has 10001)" in response.content.decode()
    with pytest.raises(ValidationError):
        tenant_setting_set(actor=staff, key=key, raw_value="S" * (NOTE_MAX_LENGTH + 1))
    tenant_setting_set(actor=staff, key=key, raw_value="S" * NOTE_MAX_LENGTH)
