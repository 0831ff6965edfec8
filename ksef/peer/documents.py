"""What the peer reads from an invoice and writes back: the FA(3) fields it checks, KSeF
numbers and reference numbers, and the UPO (valid against upo-v4-3.xsd)."""
import secrets
from datetime import datetime

from lxml import etree

from ksef.client import ksef_number_build
from ksef.upo import NAMESPACE as UPO_NAMESPACE
from ksef.upo import RECEIVER

FA_NAMESPACE = "http://crd.gov.pl/wzor/2025/06/25/13775/"


def reference_new(kind: str, when: datetime) -> str:
    """A 36-character reference number: ``YYYYMMDD-KK-HHHHHHHHHH-HHHHHHHHHH-HH``."""
    hex_part = secrets.token_hex(11).upper()
    return f"{when:%Y%m%d}-{kind}-{hex_part[:10]}-{hex_part[10:20]}-{hex_part[20:22]}"


def ksef_number_new(nip: str, when: datetime) -> str:
    return ksef_number_build(nip, when, secrets.token_hex(6).upper())


def invoice_fields(xml: bytes) -> dict:
    """The seller's NIP, the invoice number and issue date of an FA(3) document (None for
    what is missing or not parseable)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return {"seller_nip": None, "number": None, "issue_date": None}
    ns = {"fa": FA_NAMESPACE}

    def text(path: str) -> str | None:
        found = root.find(path, ns)
        return found.text.strip() if found is not None and found.text else None

    return {
        "seller_nip": text("fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP"),
        "number": text("fa:Fa/fa:P_2"),
        "issue_date": text("fa:Fa/fa:P_1"),
    }


def _iso_ms(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def upo_xml(*, session_reference: str, nip: str, auth_reference: str, documents: list[dict]
            ) -> bytes:
    """A UPO for the given accepted documents (each: seller_nip, ksef_number, number,
    issue_date, sent_at, acquired_at, hash, offline)."""
    q = f"{{{UPO_NAMESPACE}}}"
    root = etree.Element(q + "Potwierdzenie", nsmap={None: UPO_NAMESPACE})

    def sub(parent, tag, text=None):
        element = etree.SubElement(parent, q + tag)
        if text is not None:
            element.text = text
        return element

    sub(root, "NazwaPodmiotuPrzyjmujacego", RECEIVER)
    sub(root, "NumerReferencyjnySesji", session_reference)
    authentication = sub(root, "Uwierzytelnienie")
    sub(sub(authentication, "IdKontekstu"), "Nip", nip)
    sub(authentication, "NumerReferencyjnyTokenaKSeF", auth_reference)
    sub(root, "NazwaStrukturyLogicznej", "Schemat_FA(3)_v1-0E.xsd")
    sub(root, "KodFormularza", "FA (3)")
    for document in documents:
        element = sub(root, "Dokument")
        sub(element, "NipSprzedawcy", document["seller_nip"])
        sub(element, "NumerKSeFDokumentu", document["ksef_number"])
        sub(element, "NumerFaktury", document["number"])
        sub(element, "DataWystawieniaFaktury", document["issue_date"])
        sub(element, "DataPrzeslaniaDokumentu", _iso_ms(document["sent_at"]))
        sub(element, "DataNadaniaNumeruKSeF", _iso_ms(document["acquired_at"]))
        sub(element, "SkrotDokumentu", document["hash"])
        sub(element, "TrybWysylki", "Offline" if document["offline"] else "Online")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
