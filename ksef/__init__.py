"""KSeF (Krajowy System e-Faktur): sending invoices to the Ministry of Finance's e-invoicing
system with the UPO receipt, the send pipeline and its queue, offline mode with KOD I/II.

Parts: ``client`` (the KSeF API v2 client and, for tests and the bench, a local KSeF
peer), ``pipeline`` (tenant KSeF profile, the per-invoice state machine, Celery sending,
the queue page, UPO storage), ``offline`` (offline24 / outage mode, KOD I and KOD II QR
codes on the invoice PDF, legal deadlines).
"""
