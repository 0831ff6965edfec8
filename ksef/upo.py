"""The UPO (Urzędowe Poświadczenie Odbioru, the official receipt of an invoice in KSeF):
validation against the Ministry's schema (upo-v4-3.xsd) and the few fields shown to staff.

Two deliberate tolerances, both for documents KSeF really issues:
- the schema fixes the receiver's name to "Ministerstwo Finansów", but KSeF's test and demo
  environments write e.g. "Ministerstwo Finansów - środowisko testowe (TE)" (the Ministry's
  own examples do): such a name is accepted and reported as the environment;
- a UPO from KSeF carries an enveloped XML signature (ds:Signature), which the schema does
  not declare; it is left out before the schema check (it is not verified here).
"""
import functools
import os
from pathlib import Path

from lxml import etree

NAMESPACE = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
RECEIVER = "Ministerstwo Finansów"
RECEIVER_TEST_PREFIX = "Ministerstwo Finansów - środowisko "


def xsd_path() -> Path:
    """upo-v4-3.xsd beside the project (../shared/data/ksef/api), else at KSEF_UPO_XSD."""
    if env := os.environ.get("KSEF_UPO_XSD"):
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "ksef" / "api" / "upo-v4-3.xsd"


@functools.cache
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def _parse(xml: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(xml, parser)


def _normalised(root: etree._Element) -> etree._Element:
    """A copy without the signature and with a test environment's receiver name made the
    production one (see the module docstring)."""
    copy = etree.fromstring(etree.tostring(root))
    for signature in copy.findall(f"{{{DSIG_NAMESPACE}}}Signature"):
        copy.remove(signature)
    receiver = copy.find(f"{{{NAMESPACE}}}NazwaPodmiotuPrzyjmujacego")
    if receiver is not None and (receiver.text or "").startswith(RECEIVER_TEST_PREFIX):
        receiver.text = RECEIVER
    return copy


def upo_validate(xml: bytes) -> list[str]:
    """Schema errors of a UPO document, empty when it is valid."""
    try:
        root = _parse(xml)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema(str(xsd_path()))
    if schema.validate(_normalised(root)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def _text(element: etree._Element, tag: str) -> str | None:
    found = element.find(f"{{{NAMESPACE}}}{tag}")
    return found.text.strip() if found is not None and found.text else None


def upo_parse(xml: bytes) -> dict:
    """The receipt's fields for display: the session, the context NIP, the receiver and,
    for the first document (``documents`` lists all of them), its KSeF number, invoice
    number, issue date, acquisition date (DataNadaniaNumeruKSeF), hash and mode."""
    root = _parse(xml)
    context = root.find(f"{{{NAMESPACE}}}Uwierzytelnienie/{{{NAMESPACE}}}IdKontekstu")
    documents = [{
        "seller_nip": _text(document, "NipSprzedawcy"),
        "ksef_number": _text(document, "NumerKSeFDokumentu"),
        "invoice_number": _text(document, "NumerFaktury"),
        "issue_date": _text(document, "DataWystawieniaFaktury"),
        "sent_at": _text(document, "DataPrzeslaniaDokumentu"),
        "acquired_at": _text(document, "DataNadaniaNumeruKSeF"),
        "hash": _text(document, "SkrotDokumentu"),
        "mode": _text(document, "TrybWysylki"),
    } for document in root.findall(f"{{{NAMESPACE}}}Dokument")]
    first = documents[0] if documents else {}
    return {
        "receiver": _text(root, "NazwaPodmiotuPrzyjmujacego"),
        "session_reference": _text(root, "NumerReferencyjnySesji"),
        "context_nip": _text(context, "Nip") if context is not None else None,
        "form_code": _text(root, "KodFormularza"),
        "documents": documents,
        **{key: first.get(key) for key in ("ksef_number", "invoice_number", "issue_date",
                                           "acquired_at", "hash", "mode")},
    }
