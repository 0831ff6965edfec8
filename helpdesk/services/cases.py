"""Every write to cases (owned by the cases part). Other parts call these."""


def case_create(*, actor, case_type, title: str, description: str = "", queue=None,
                priority=None, topic=None, customer=None, contact_name: str = "",
                contact_phone: str = "", contact_email: str = "", data: dict | None = None,
                source: str = "staff", interaction=None, by_customer: bool = False,
                attachments=(), now=None):
    """Create a case: validates ``data`` against the type's fields (mandatory ones
    required unless the source may leave them for later), numbers it, journals
    "created", sets the SLA, writes the action log. Raises ValidationError."""
    raise NotImplementedError


def case_comment_add(*, actor, case, body: str, is_public: bool = True,
                     by_customer: bool = False, source: str = "staff",
                     email_message_id: str = "", attachments=()):
    """Add a reply or an internal note; a staff public reply is the first response."""
    raise NotImplementedError
