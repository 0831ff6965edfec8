"""Helpdesk and contact centre ("TOK" = Telefoniczna Obsługa Klienta, the call log).

* ``topics``: the tenant's topic tree (reason → topic → detail) with versioned scripts.
* ``interactions``: one contact with a customer or a "zero client" (a caller not in the
  database), with its timings and the routing decision taken when it was saved.
* ``cases``: cases and helpdesk tickets (one model), their types with per-type fields,
  queues (departments) with members, comments, attachments and the journal.
* ``sla``: business calendar (hours, holidays) and SLA targets per type and priority.
* ``routing``: rules evaluated in order when an interaction is saved.
* ``mail``: the helpdesk mailbox read over IMAP (e-mail to case).
* ``schedule``: "Terminarz", the scheduler's events and each staff member's feed.
"""

from .cases import (  # noqa: F401
    OPEN_STATUSES,
    Case,
    CaseAttachment,
    CaseComment,
    CaseField,
    CaseJournal,
    CaseSource,
    CaseStatus,
    CaseType,
    CommentSource,
    FieldKind,
    JournalKind,
    Priority,
    Queue,
    QueueMember,
)
from .interactions import CallRecording, ContactChannel, Direction, Interaction, RoutingAction  # noqa: F401,E501
from .mail import HelpdeskMailbox, ImapSecurity, IngestOutcome, MailIngest  # noqa: F401
from .routing import CustomerKindMatch, RoutingRule, TimeMatch, VipMatch  # noqa: F401
from .schedule import CalendarFeed, Event, EventStaff, EventType  # noqa: F401
from .sla import BusinessDay, Holiday, SlaTarget, Weekday  # noqa: F401
from .topics import Topic, TopicScript  # noqa: F401
