"""Registrations of the helpdesk's mail part (called from helpdesk.setup): its log kinds,
its tasks, and the reaction to a case comment (a staff public reply goes out by e-mail)."""

def ready() -> None:
    from core.events import subscribe

    # The log kinds and the tasks (Celery finds them when the app loads).
    from . import log_kinds_mail, tasks_mail  # noqa: F401
    from .services.mail import on_case_comment_added

    subscribe("case.comment_added", on_case_comment_added)
