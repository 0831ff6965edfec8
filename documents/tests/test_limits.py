"""Bounded work (issue 12): a template cannot occupy a worker for minutes. Loops nested in
loops are stopped at DOCUMENT_RENDER_SECONDS, layout at DOCUMENT_MAX_PAGES, on save,
preview, issue and in bulk, each with an error naming the limit."""

import io
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from core.models import NumberSeries
from customers import services as customer_services
from documents import rendering, services
from documents.models import Document, DocumentBatch

# Five loops of 1,000 each: 10^15 iterations if nothing stops it.
NESTED = ('{% for a in "x"|ljust:1000 %}{% for b in "x"|ljust:1000 %}'
          '{% for c in "x"|ljust:1000 %}{% for d in "x"|ljust:1000 %}'
          '{% for e in "x"|ljust:1000 %}{{ e }}{% endfor %}{% endfor %}{% endfor %}'
          '{% endfor %}{% endfor %}')
# The same with an empty innermost loop: no variable is looked up there.
NESTED_EMPTY = ('{% for a in "x"|ljust:1000 %}{% for b in "x"|ljust:1000 %}'
                '{% for c in "x"|ljust:1000 %}{% for d in "x"|ljust:1000 %}'
                '{% endfor %}{% endfor %}{% endfor %}{% endfor %}')

def pages_body(count: int) -> str:
    """``count`` pages of one line each."""
    return (f'{{% for i in "x"|ljust:{count} %}}<p style="page-break-after: always">'
            'Strona {{ forloop.counter }}</p>{% endfor %}')


PAGES_500 = pages_body(500)


@pytest.fixture
def limits(settings):
    settings.DOCUMENT_RENDER_SECONDS = 1
    settings.DOCUMENT_MAX_PAGES = 20
    return settings


def refused(call) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(ValidationError) as error:
        call()
    return " ".join(error.value.messages), time.monotonic() - started


def test_nested_loops_are_stopped_on_save_naming_the_limit(in_tenant, staff, limits):
    for body in (NESTED, NESTED_EMPTY):
        message, took = refused(lambda body=body: services.document_template_create(
            actor=staff, document_type="contract", name="Pętle", body=body))
        assert "DOCUMENT_RENDER_SECONDS" in message and "1 seconds" in message
        assert took < 5  # stopped, not only measured
    assert not services.DocumentTemplate.objects.exists()


def test_500_page_template_is_stopped_at_the_page_limit_on_preview(in_tenant, limits):
    limits.DOCUMENT_RENDER_SECONDS = 120  # the page limit, not the clock, stops this one
    message, took = refused(lambda: services.template_preview(
        document_type="contract", body=PAGES_500))
    assert "more than 20 pages" in message and "DOCUMENT_MAX_PAGES" in message
    pdf = services.template_preview(document_type="contract", body=pages_body(20))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 20


def test_layout_is_stopped_at_the_first_page_over_the_limit(in_tenant, settings):
    """The page count is checked as layout makes pages, not after all 500 are made."""
    settings.DOCUMENT_RENDER_SECONDS = 120
    settings.DOCUMENT_MAX_PAGES = 5
    html = rendering.render_html(PAGES_500, {})
    started = time.monotonic()
    with pytest.raises(rendering.RenderLimitExceeded):
        rendering.render_pdf(html_body=html, css="", number="X/1", code="ABN000000001")
    five_pages = time.monotonic() - started
    settings.DOCUMENT_MAX_PAGES = 500
    started = time.monotonic()
    rendering.render_pdf(html_body=html, css="", number="X/1", code="ABN000000001")
    assert five_pages * 5 < time.monotonic() - started


def test_issuing_a_runaway_template_refuses_and_leaves_no_document(customer, staff, limits):
    limits.DOCUMENT_RENDER_SECONDS = 120
    template = services.document_template_create(actor=staff, document_type="contract",
                                                 name="Długa", body=PAGES_500,
                                                 is_default=True)
    message, _ = refused(lambda: services.document_issue(
        actor=staff, customer=customer, document_type="contract", template=template))
    assert "DOCUMENT_MAX_PAGES" in message
    assert not Document.objects.exists()
    assert NumberSeries.objects.exists()  # the number was taken, as for any failed issue


def test_huge_widths_and_lorem_are_refused(in_tenant, staff):
    for body in ('{{ "x"|ljust:"999999999" }}', '{{ 1|stringformat:"0999999999d" }}',
                 '{{ 1.5|floatformat:"999999999" }}', "{% lorem 9999999 w %}"):
        message, took = refused(lambda body=body: services.document_template_create(
            actor=staff, document_type="letter", name="X", body=body))
        assert took < 2, body
        assert "not allowed" in message or "not available" in message, body


def test_doubling_a_string_is_stopped_by_the_value_limit(in_tenant, staff):
    body, previous = '{% with s="' + "x" * 32 + '" %}', "s"
    for level in range(30):  # 32 characters doubled 30 times: 32 GiB
        body += f"{{% with s{level}={previous}|add:{previous} %}}"
        previous = f"s{level}"
    body += "{{ " + previous + " }}" + "{% endwith %}" * 31
    message, took = refused(lambda: services.document_template_create(
        actor=staff, document_type="letter", name="X", body=body))
    assert "longer than" in message and took < 2


def test_preview_page_names_the_limit(staff_client, staff, limits):
    response = staff_client.post(reverse("documents:template_preview_new"),
                                 {"document_type": "letter", "body": NESTED})
    assert response.status_code == 400
    assert "DOCUMENT_RENDER_SECONDS" in response.content.decode()


def test_preview_in_a_worker_shows_progress_then_the_pdf(staff_client, staff, tenant,
                                                         other_staff):
    # A broker that holds the task: the request must not wait for the render.
    with mock.patch("documents.tasks.template_preview.delay") as queued:
        response = staff_client.post(reverse("documents:template_preview_new"),
                                     {"document_type": "letter", "body": "<p>Pismo</p>"})
    assert response.status_code == 302
    job_url = response["Location"]
    assert job_url.startswith(reverse("documents:preview_job"))
    waiting = staff_client.get(job_url)
    assert waiting.status_code == 200 and "Waiting for a worker" in waiting.content.decode()
    job_id = job_url.split("job=")[1]
    progress_url = reverse("documents:preview_progress") + f"?job={job_id}"
    assert "HX-Refresh" not in staff_client.get(progress_url)

    other = Client()
    other.force_login(other_staff)  # another tenant's user does not see it
    assert other.get(job_url).status_code == 404
    assert other.get(progress_url).status_code == 404

    from documents.tasks import template_preview

    template_preview(*queued.call_args.args)  # the worker runs it
    assert staff_client.get(progress_url)["HX-Refresh"] == "true"
    done = staff_client.get(job_url)
    assert done.status_code == 200 and done["Content-Type"] == "application/pdf"
    assert "Pismo" in PdfReader(io.BytesIO(done.content)).pages[0].extract_text()


def test_bulk_generation_records_the_limit_per_customer(customer, staff, limits,
                                                        django_capture_on_commit_callbacks):
    limits.DOCUMENT_RENDER_SECONDS = 120
    template = services.document_template_create(actor=staff, document_type="contract",
                                                 name="Długa", body=PAGES_500)
    group = customer_services.group_create(actor=staff, name="Blok")
    customer_services.customer_group_add(actor=staff, customer=customer, group=group)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.document_batch_start(actor=staff, group=group,
                                              document_type="contract", template=template)
    batch = DocumentBatch.objects.get(pk=batch.pk)
    assert (batch.done, batch.failed, batch.status) == (1, 1, "failed")
    assert "DOCUMENT_MAX_PAGES" in batch.errors[0]
