"""The demo ISP's KSeF profile: present, so the settings page and the menu show something,
but disabled and pointing at nothing — the demo never sends an invoice anywhere.

Called from the demo loader (``customers.demo.demo_load``) in each demo tenant, after
``finance_demo_build`` (the seller's NIP comes from the finance settings)::

    from ksef.demo import ksef_demo_build
    ksef_demo_build(admin=admin)
"""

from core.tenant_settings import setting_get

from . import pipeline
from .models import KsefProfile

# Nothing listens on the discard port of the loopback: a send attempted by hand fails
# at once instead of reaching the Ministry's test environment.
NOWHERE = "http://127.0.0.1:9/v2"
DEMO_NIP = "5260001246"


def ksef_demo_build(*, admin) -> KsefProfile:
    """The active demo tenant's disabled KSeF profile (idempotent: run again, the same)."""
    from stdnum.pl import nip

    seller_nip = nip.compact(str(setting_get("finance.seller_nip") or ""))
    return pipeline.profile_save(
        actor=admin, nip=seller_nip if nip.is_valid(seller_nip) else DEMO_NIP,
        environment=KsefProfile.Environment.CUSTOM, custom_url=NOWHERE, token="",
        enabled=False, send_after_billing=True, send_on_issue=True)
