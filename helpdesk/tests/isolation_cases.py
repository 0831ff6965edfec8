"""Tenant A's cases-part objects for the isolation walk: a queue, a case type with a
field, a case with a comment and an attachment — built through the services."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from helpdesk.models import FieldKind
from helpdesk.services import cases as services


def build(objects: dict, *, tenant, staff, customer) -> None:
    queue = services.queue_save(actor=staff, name="KolejkaAlfa", members=[staff])
    case_type = services.case_type_save(actor=staff, name="TypAlfa", default_queue=queue)
    field = services.case_field_save(actor=staff, case_type=case_type, key="adres",
                                     label="AdresAlfa", kind=FieldKind.ADDRESS,
                                     required=True)
    case = services.case_create(actor=staff, case_type=case_type, title="ZgloszenieAlfa",
                                customer=customer, data={"adres": "UlicaAlfa 1"})
    services.case_comment_add(actor=staff, case=case, body="NotatkaAlfa", is_public=False)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG")
    attachment = services.case_attachment_add(
        actor=staff, case=case,
        uploaded_file=SimpleUploadedFile("PlikAlfa.png", buf.getvalue(),
                                         content_type="image/png"))
    objects.setdefault("queue", queue)
    objects.setdefault("casetype", case_type)
    objects.setdefault("casefield", field)
    objects.setdefault("case", case)
    objects.setdefault("caseattachment", attachment)
