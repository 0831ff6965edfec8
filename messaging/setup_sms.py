"""The SMS part of the messaging app: its gateway kinds (Kannel, an SMS provider's HTTP
API) and their delivery reports (``messaging.webhooks``, ``messaging.urls_sms``)."""



def ready() -> None:
    # Register the gateway kinds with ``messaging.gateways`` before the first send.
    from .gateways import http_sms, kannel  # noqa: F401
