"""The stock documents' test data: the catalogue rows as factories (the catalogue's own
services are tested in test_catalog*), the stock itself through the documents' services,
as the product builds it."""

import itertools
from decimal import Decimal

import factory

from warehouse import services
from warehouse.models import Product, Supplier, Warehouse

_serials = itertools.count(1)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    name = factory.Sequence(lambda n: f"Magazyn {n}")
    kind = Warehouse.Kind.MAIN


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Dostawca {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """An ONT with a GPON serial and a MAC, 150.00 net."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"ONT Dasan H660GM v{n}")
    kind = Product.Kind.ONT
    producer = "Dasan"
    serial_tracked = True
    vat_rate = "23"
    default_price = Decimal("150.00")
    features = factory.LazyFunction(lambda: ["gpon_serial", "mac"])


class StbFactory(ProductFactory):
    name = factory.Sequence(lambda n: f"Dekoder STB Kaon v{n}")
    kind = Product.Kind.STB
    default_price = Decimal("90.00")
    features = factory.LazyFunction(lambda: ["mac"])


class CableFactory(ProductFactory):
    name = factory.Sequence(lambda n: f"Kabel UTP kat. 5e ({n})")
    kind = Product.Kind.CABLE
    producer = ""
    unit = "m"
    serial_tracked = False
    default_price = Decimal("1.20")
    features = factory.LazyFunction(list)


def serial_next(prefix: str = "SN") -> str:
    return f"{prefix}{next(_serials):08d}"


def receive(actor, *, warehouse, product, serials=None, count: int = 1, quantity=None,
            supplier=None, **extra):
    """A PZ of ``serials`` (or ``count`` new ones) or a ``quantity`` of ``product``."""
    supplier = supplier or SupplierFactory()
    if quantity is not None:
        line = {"product": product.pk, "quantity": Decimal(str(quantity))}
    else:
        line = {"product": product.pk,
                "serials": list(serials or [serial_next() for _i in range(count)])}
    return services.receipt_post(actor=actor, supplier=supplier, warehouse=warehouse,
                                 lines=[line], **extra)


def issue(actor, *, warehouse, customer, serials=(), quantities=(), **extra):
    """A WZ of ``serials`` and ``quantities`` ((product, quantity) pairs)."""
    lines = list(serials) + [{"product": product.pk, "quantity": Decimal(str(quantity))}
                             for product, quantity in quantities]
    return services.issue_post(actor=actor, warehouse=warehouse, customer=customer,
                               lines=lines, **extra)


class Stock:
    """A tenant's small stock room: the main store, a van, a supplier, an ONT, an STB
    decoder and cable."""

    def __init__(self):
        self.main = WarehouseFactory(name="Magazyn główny")
        self.van = WarehouseFactory(name="Van Tomka", kind=Warehouse.Kind.VAN)
        self.supplier = SupplierFactory(name="Dasan Polska")
        self.ont = ProductFactory(name="ONT Dasan H660GM")
        self.stb = StbFactory(name="Dekoder Kaon KSTB")
        self.cable = CableFactory(name="Kabel UTP kat. 5e")
