"""Rows other parts' tests need before the owning part's services exist (or when the
service is not the subject). Prefer the owning part's services where they exist."""

from helpdesk.models import CaseField, CaseType, Queue, QueueMember, Topic


def topic_make(name: str, parent: Topic | None = None, **extra) -> Topic:
    """A topic with its level and path as the TOK service sets them."""
    topic = Topic.objects.create(name=name, parent=parent,
                                 level=(parent.level + 1) if parent else 1, **extra)
    topic.path = f"{parent.path if parent else ''}{topic.pk}/"
    topic.save(update_fields=["path"])
    return topic


def queue_make(name: str, members=(), **extra) -> Queue:
    queue = Queue.objects.create(name=name, **extra)
    for user in members:
        QueueMember.objects.create(queue=queue, user=user)
    return queue


def case_type_make(name: str, *, fields=(), **extra) -> CaseType:
    """``fields``: (key, label, kind, required[, choices]) tuples."""
    case_type = CaseType.objects.create(name=name, **extra)
    for position, spec in enumerate(fields):
        key, label, kind, required, *rest = spec
        CaseField.objects.create(case_type=case_type, key=key, label=label, kind=kind,
                                 required=required, choices=rest[0] if rest else [],
                                 position=position)
    return case_type
