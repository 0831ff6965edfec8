"""The ways a message leaves Abonent: one class per gateway kind, one registry.

A gateway gets a ``Message`` and its ``MessageAttempt`` (whose ``key`` it passes on: the
e-mail's Message-ID, the DLR URL of an SMS) and either returns an ``Accepted`` or raises
``TemporaryError`` (try this attempt again later: a 4xx SMTP reply, a gateway that does
not answer) or ``PermanentError`` (the message cannot go: a 5xx reply, a refused number).
A gateway never touches the database: ``messaging.services`` records what it returned.

Delivery reports come back through ``messaging.services.message_report`` (the DLR
webhook); each gateway kind maps its own codes to ``messaging.models.Status`` there.
"""

import abc
from dataclasses import dataclass, field

_KINDS: dict[str, type] = {}


@dataclass
class Accepted:
    gateway_id: str = ""  # the provider's id for this message, when it gives one
    reply: str = ""
    raw: bytes | None = None  # e-mail: the message exactly as handed to the server
    delivered: bool = False  # the gateway's answer is already the final delivery


class GatewayError(Exception):
    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


class TemporaryError(GatewayError):
    """Try again later (bounded retries with backoff)."""


class PermanentError(GatewayError):
    """This message cannot be sent; the reply says why."""


class NotConfigured(PermanentError):
    pass


@dataclass
class Batch:
    """Messages of one gateway handed over together (one SMTP connection for many e-mails,
    one HTTP keep-alive session for many SMS). ``results`` by attempt key."""

    items: list = field(default_factory=list)  # (message, attempt)


class GatewayBase(abc.ABC):
    """What every gateway kind implements: ``send`` one message; ``send_many`` may do a
    batch better (one connection) and returns an outcome (``Accepted`` or a
    ``GatewayError``) for each attempt key; raising ``GatewayError`` from ``send_many``
    means the whole batch got that answer."""

    def __init__(self, config):
        self.config = config

    @abc.abstractmethod
    def send(self, message, attempt) -> Accepted:
        """Hand one message to the gateway; ``Accepted`` or a ``GatewayError``."""

    def send_many(self, items) -> dict:
        outcomes = {}
        for message, attempt in items:
            try:
                outcomes[attempt.key] = self.send(message, attempt)
            except GatewayError as e:
                outcomes[attempt.key] = e
        return outcomes


def register(kind: str):
    def wrap(cls):
        _KINDS[kind] = cls
        return cls
    return wrap


def gateway_for(config):
    """The gateway object for a ``messaging.models.Gateway`` row (the kinds register
    themselves when their modules are imported: ``setup_sms``, ``setup_email``)."""
    try:
        cls = _KINDS[config.kind]
    except KeyError:
        raise NotConfigured(f"unknown gateway kind {config.kind!r}") from None
    return cls(config)
