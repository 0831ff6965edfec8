"""The e-mail tests' real SMTP server (aiosmtpd on loopback, once per run) and the tenant's
SMTP gateway pointing at it."""

import pytest

from messaging.models import Gateway
from messaging.smtpd import smtpd_start

SMTP_USER, SMTP_PASSWORD = "abonent", "p@ss'\"\\word"


@pytest.fixture(scope="session")
def smtp_server_session():
    server = smtpd_start(auth=(SMTP_USER, SMTP_PASSWORD))
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_server_session):
    """The running server, with nothing received and no refusals set."""
    smtp_server_session.clear()
    yield smtp_server_session
    smtp_server_session.clear()


@pytest.fixture
def smtp_gateway(in_tenant, smtp_server):
    """The tenant's SMTP gateway on the loopback server (the password encrypted at rest)."""
    return Gateway.objects.create(channel="email", kind="smtp", host=smtp_server.host,
                                  port=smtp_server.port, username=SMTP_USER,
                                  password=SMTP_PASSWORD, from_address="faktury@alfa.example",
                                  rate_per_second=10_000, dlr_secret="x")
