"""The warehouse in /api/v1/: the catalogue — warehouses, suppliers, products
(``catalog``) —, the documents (``documents``), the stock, the serials and the customer's
equipment (``stock``)."""

from . import catalog, documents, ont, stock


def register(router) -> None:
    catalog.register(router)
    documents.register(router)
    stock.register(router)
    ont.register(router)
