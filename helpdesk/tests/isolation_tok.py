"""Tenant A's TOK objects for the isolation walk, built through the TOK services."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from helpdesk.services import tok as services


def build(objects: dict, *, tenant, staff, customer) -> None:
    reason = services.topic_create(actor=staff, name="PowodAlfa")
    topic = services.topic_create(actor=staff, name="UslugaAlfa", parent=reason,
                                  script="<p>SkryptAlfa</p>")
    objects["topic"] = topic
    objects["topicscript"] = topic.scripts.get()
    now = timezone.now()
    interaction, _case = services.interaction_create(
        actor=staff, topic=topic, text="RozmowaAlfa", customer=customer,
        number="601234567", script_version=objects["topicscript"], now=now)
    objects["interaction"] = interaction
    zero, _case = services.interaction_create(actor=staff, topic=topic, text="ZeroAlfa",
                                              caller_name="DzwoniacyAlfa", number="600100200",
                                              now=now)
    objects["zero_interaction"] = zero
    objects["callrecording"] = services.call_recording_add(
        customer=customer, interaction=interaction, started_at=now - datetime.timedelta(minutes=5),
        number="601234567", duration_seconds=42, file=ContentFile(b"RIFFalfa", name="alfa.wav"))
