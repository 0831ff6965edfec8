"""Tenant A's pipeline objects for the isolation walk: the KSeF profile (its token carries
"Alfa") and the submission of A's invoice, accepted with a UPO (so the UPO download and
"resend" are real URLs for A)."""

import base64
import hashlib

from ksef import pipeline
from ksef.models import KsefSubmission

UPO_ALFA = "<?xml version='1.0'?><Potwierdzenie>UpoAlfa</Potwierdzenie>"


def build(objects: dict, *, tenant, staff, customer) -> None:
    # An address where nothing listens: a send task run by a committed event fails fast.
    objects["ksefprofile"] = pipeline.profile_save(
        actor=staff, nip="5260001246", environment="custom", custom_url="http://127.0.0.1:9/v2",
        token="TokenKsefAlfa", enabled=True)
    invoice = objects["financedocument"]
    pipeline.submissions_queue(document_ids=[invoice.pk], trigger="issue")
    # As the pipeline leaves it after KSeF accepted it (the network part is tested in
    # test_pipeline_send.py).
    KsefSubmission.objects.filter(document=invoice).update(
        state=KsefSubmission.State.ACCEPTED, ksef_number="5260001246-20260110-A1FA00000000-AF",
        upo=UPO_ALFA, session_reference="20260110-SO-A1FA000000-A1FA000000-AF",
        invoice_reference="20260110-EE-A1FA000000-A1FA000000-AF",
        invoice_hash=base64.b64encode(hashlib.sha256(b"FakturaAlfa").digest()).decode())
    objects["ksefsubmission"] = KsefSubmission.objects.get(document=invoice)
