"""Tenant A's offline-part objects for the isolation walk: an outage and the offline
certificate (its serial and the note carry "Alfa")."""

import datetime as dt

from django.utils import timezone

from ksef import offline
from ksef.tests.fixtures_offline import offline_certificate_files


def build(objects: dict, *, tenant, staff, customer) -> None:
    start = timezone.now() - dt.timedelta(days=3)
    objects["ksefoutage"] = offline.outage_declare(
        actor=staff, kind="failure", starts_at=start, ends_at=start + dt.timedelta(hours=5),
        note="AwariaAlfa")
    cert, key_pem, _key = offline_certificate_files("ec")
    objects["offlinecertificate"] = offline.offline_certificate_upload(
        actor=staff, certificate=cert, private_key=key_pem)
