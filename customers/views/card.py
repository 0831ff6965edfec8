from customers import selectors

ACTIONLOG_PAGE = 20


def actionlog_section_context(customer, request):
    """The newest entries of the action log, filtered by ``log_kind`` / ``log_actor``."""
    kind = request.GET.get("log_kind", "")
    actor = request.GET.get("log_actor", "")
    entries = selectors.action_log_list(customer=customer, kind=kind, actor=actor)
    return {
        "log_entries": list(entries[:ACTIONLOG_PAGE]),
        "log_kinds": selectors.action_log_kinds(customer=customer),
        "log_kind": kind,
        "log_actor": actor,
    }
