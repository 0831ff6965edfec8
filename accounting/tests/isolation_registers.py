"""The registers part has no models of its own: the register and the revenue report read
tenant A's ledger (invoices, corrections, tariffs, groups built by the walk), and the walk
requests their pages and endpoints as tenant B, whose responses must not name them."""


def build(objects: dict, *, tenant, staff, customer) -> None:
    pass
