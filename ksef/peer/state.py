"""The peer's KSeF behaviour, without HTTP: sessions, invoice processing, scripted answers
and the records the control API shows (authentication in auth.py). One lock guards
everything; the peer serves a test run, not a crowd."""
import io
import threading
import zipfile
from datetime import timedelta

from finance.ksef import validate as fa3_validate
from ksef import encryption
from ksef.client import FORM_CODE_FA3

from . import documents
from .auth import AuthMixin
from .keys import USAGES, key_pair_new
from .records import (  # noqa: F401  (PeerError is the app's too)
    Invoice,
    PeerError,
    Session,
    b64decode,
    bad_request,
    iso,
    now,
)

TRANSPORT_ANSWERS = ("429", "500", "timeout")
INVOICE_ANSWERS = ("accept", "reject", "processing")
DEFAULT_CONFIG = {"access_ttl": 900, "refresh_ttl": 7 * 24 * 3600, "auth_polls": 1}


class Peer(AuthMixin):
    def __init__(self):
        self.lock = threading.RLock()
        self.keys = {usage: key_pair_new(usage) for usage in USAGES}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.config = dict(DEFAULT_CONFIG)
            self.tokens: dict[tuple[str, str], bool] = {}
            self.challenges: dict[str, int] = {}
            self.auth_operations: dict[str, dict] = {}
            self.access: dict[str, dict] = {}
            self.refresh: dict[str, dict] = {}
            self.sessions: dict[str, Session] = {}
            self.accepted_hashes: dict[tuple[str, str], Invoice] = {}
            self.script: list[dict] = []
            self.received: list[Invoice] = []
            self.violations: list[str] = []
            self.log: list[dict] = []

    # --- control ---------------------------------------------------------------------------

    def token_add(self, nip: str, token: str) -> None:
        with self.lock:
            self.tokens[(nip, token)] = True

    def script_add(self, answers: list[dict]) -> None:
        with self.lock:
            for answer in answers:
                kind = str(answer.get("answer", "accept"))
                if kind not in TRANSPORT_ANSWERS + INVOICE_ANSWERS:
                    raise ValueError(f"unknown answer {kind!r}")
                self.script.append({**answer, "answer": kind})

    def transport_answer(self, operation: str) -> dict | None:
        """The first scripted transport fault meant for this operation, taken off the
        script."""
        with self.lock:
            for index, answer in enumerate(self.script):
                if (answer["answer"] in TRANSPORT_ANSWERS
                        and answer.get("on", "send") in (operation, "any")):
                    return self.script.pop(index)
        return None

    def _invoice_answer(self) -> dict:
        for index, answer in enumerate(self.script):
            if answer["answer"] in INVOICE_ANSWERS:
                return self.script.pop(index)
        return {"answer": "accept"}

    def received_list(self) -> list[dict]:
        with self.lock:
            return [{
                "session": invoice.session.reference, "session_kind": invoice.session.kind,
                "nip": invoice.session.nip, "reference": invoice.reference,
                "hash": invoice.invoice_hash,
                "xml": invoice.xml.decode("utf-8", "replace") if invoice.xml else None,
                "file_name": invoice.file_name, "offline_mode": invoice.offline,
                "hash_of_corrected_invoice": invoice.hash_of_corrected,
                "code": invoice.code, "details": invoice.details,
                "ksef_number": invoice.ksef_number, "number": invoice.number,
            } for invoice in self.received]

    # --- sessions --------------------------------------------------------------------------

    def _session_key(self, encryption_info: dict) -> tuple[bytes, bytes]:
        encrypted_key = b64decode(encryption_info.get("encryptedSymmetricKey", ""),
                                  "encryptedSymmetricKey")
        iv = b64decode(encryption_info.get("initializationVector", ""), "initializationVector")
        try:
            key = encryption.rsa_decrypt(encrypted_key,
                                         self.keys["SymmetricKeyEncryption"].private_key)
        except encryption.DecryptionError as exc:
            raise bad_request(21405, "Błąd odszyfrowania dostarczonego klucza.",
                              "The symmetric key cannot be decrypted.") from exc
        if len(key) != encryption.AES_KEY_BYTES or len(iv) != encryption.AES_IV_BYTES:
            raise bad_request(21405, "Błąd walidacji danych wejściowych.",
                              "The key must have 32 bytes and the IV 16 bytes.")
        return key, iv

    def _form_check(self, form_code: dict) -> None:
        if form_code != FORM_CODE_FA3:
            raise bad_request(21405, "Błąd walidacji danych wejściowych.",
                              "Wskazany kod formularza nie jest wspierany.")

    def online_open(self, context: dict, body: dict) -> dict:
        self._form_check(body.get("formCode") or {})
        key, iv = self._session_key(body.get("encryption") or {})
        session = self._session_new("online", "SO", context, key, iv)
        return {"referenceNumber": session.reference, "validUntil": iso(session.valid_until)}

    def _session_new(self, kind: str, code: str, context: dict, key: bytes, iv: bytes,
                     **extra) -> Session:
        when = now()
        session = Session(reference=documents.reference_new(code, when), kind=kind,
                          nip=context["nip"], auth_reference=context["auth"], key=key, iv=iv,
                          created_at=when, valid_until=when + timedelta(hours=12),
                          updated_at=when, **extra)
        with self.lock:
            self.sessions[session.reference] = session
        return session

    def session_get(self, context: dict, reference: str, *, kind: str | None = None) -> Session:
        with self.lock:
            session = self.sessions.get(reference)
        if session is None or session.nip != context["nip"] or (kind and session.kind != kind):
            raise bad_request(21170, "Sesja o wskazanym numerze referencyjnym nie istnieje.",
                              reference)
        return session

    def invoice_send(self, context: dict, reference: str, body: dict) -> dict:
        session = self.session_get(context, reference, kind="online")
        if session.closed:
            raise bad_request(21180, "Sesja jest zamknięta.", reference)
        encrypted = b64decode(body.get("encryptedInvoiceContent", ""), "encryptedInvoiceContent")
        if (encryption.sha256_b64(encrypted) != body.get("encryptedInvoiceHash")
                or len(encrypted) != body.get("encryptedInvoiceSize")):
            raise bad_request(21405, "Błąd walidacji danych wejściowych.",
                              "The hash or size of the encrypted invoice does not match.")
        invoice = self._invoice_new(session, body.get("invoiceHash", ""),
                                    offline=bool(body.get("offlineMode")),
                                    hash_of_corrected=body.get("hashOfCorrectedInvoice"))
        try:
            xml = encryption.aes_decrypt(encrypted, session.key, session.iv)
        except encryption.DecryptionError as exc:
            self._invoice_fail(invoice, 435, "Błąd odszyfrowania pliku", [str(exc)])
            return {"referenceNumber": invoice.reference}
        if (encryption.sha256_b64(xml) != invoice.invoice_hash
                or len(xml) != body.get("invoiceSize")):
            invoice.xml = xml
            self._invoice_fail(invoice, 430, "Błąd weryfikacji pliku faktury",
                               ["The hash or size of the decrypted invoice does not match."])
            return {"referenceNumber": invoice.reference}
        self._invoice_process(invoice, xml)
        return {"referenceNumber": invoice.reference}

    def _invoice_new(self, session: Session, invoice_hash: str, *, offline: bool,
                     hash_of_corrected: str | None = None, file_name: str | None = None
                     ) -> Invoice:
        when = now()
        with self.lock:
            invoice = Invoice(reference=documents.reference_new("EE", when),
                              ordinal=len(session.invoices) + 1, session=session,
                              invoice_hash=invoice_hash, received_at=when, xml=None,
                              offline=offline, hash_of_corrected=hash_of_corrected,
                              file_name=file_name)
            session.invoices.append(invoice)
            session.updated_at = when
            self.received.append(invoice)
        return invoice

    def _invoice_fail(self, invoice: Invoice, code: int, description: str,
                      details: list[str], extensions: dict | None = None) -> None:
        invoice.code, invoice.description = code, description
        invoice.details, invoice.extensions = details, extensions or {}

    def _invoice_process(self, invoice: Invoice, xml: bytes) -> None:
        """Schema, seller, duplicate, then the scripted outcome; an accepted invoice gets
        its KSeF number and UPO."""
        invoice.xml = xml
        fields = documents.invoice_fields(xml)
        invoice.number, invoice.issue_date = fields["number"], fields["issue_date"]
        invoice.seller_nip = fields["seller_nip"]
        errors = fa3_validate(xml)
        with self.lock:
            answer = self._invoice_answer()
            if answer["answer"] == "processing":
                invoice.processing_polls = int(answer.get("polls", 1))
                answer = self._invoice_answer()
            if errors:
                self._invoice_fail(invoice, 450, "Błąd weryfikacji semantyki dokumentu "
                                   "faktury", errors[:20])
            elif invoice.seller_nip != invoice.session.nip:
                self._invoice_fail(invoice, 410, "Nieprawidłowy zakres uprawnień", [
                    f"The seller's NIP {invoice.seller_nip} is not the context's NIP "
                    f"{invoice.session.nip}."])
            elif original := self.accepted_hashes.get((invoice.session.nip,
                                                       invoice.invoice_hash)):
                self._invoice_fail(invoice, 440, "Duplikat faktury", [
                    f"The invoice was already accepted as {original.ksef_number}."], {
                    "originalSessionReferenceNumber": original.session.reference,
                    "originalKsefNumber": original.ksef_number})
            elif answer["answer"] == "reject":
                self._invoice_fail(invoice, int(answer.get("code", 450)),
                                   answer.get("description") or "Błąd weryfikacji semantyki "
                                   "dokumentu faktury", list(answer.get("details") or []))
            else:
                self._invoice_accept(invoice)

    def _invoice_accept(self, invoice: Invoice) -> None:
        when = now()
        invoice.code, invoice.description = 200, "Sukces"
        invoice.ksef_number = documents.ksef_number_new(invoice.seller_nip, when)
        invoice.acquired_at = when
        self.accepted_hashes[(invoice.session.nip, invoice.invoice_hash)] = invoice
        invoice.upo = documents.upo_xml(
            session_reference=invoice.session.reference, nip=invoice.session.nip,
            auth_reference=invoice.session.auth_reference, documents=[{
                "seller_nip": invoice.seller_nip, "ksef_number": invoice.ksef_number,
                "number": invoice.number or "-", "issue_date": invoice.issue_date,
                "sent_at": invoice.received_at, "acquired_at": when,
                "hash": invoice.invoice_hash, "offline": invoice.offline}])

    def session_close(self, context: dict, reference: str, kind: str) -> None:
        session = self.session_get(context, reference, kind=kind)
        if session.closed:
            raise bad_request(21180, "Sesja jest już zamknięta.", reference)
        if kind == "batch":
            self._batch_process(session)
        with self.lock:
            session.closed = True
            session.updated_at = now()

    def session_status(self, context: dict, reference: str) -> dict:
        session = self.session_get(context, reference)
        with self.lock:
            done = [i for i in session.invoices if i.processing_polls <= 0]
            successful = sum(1 for i in done if i.code == 200)
            failed = sum(1 for i in done if i.code >= 400)
            body = {"dateCreated": iso(session.created_at),
                    "dateUpdated": iso(session.updated_at),
                    "validUntil": iso(session.valid_until),
                    "invoiceCount": len(session.invoices),
                    "successfulInvoiceCount": successful, "failedInvoiceCount": failed}
        if not session.closed:
            status = {"code": 100, "description": "Sesja otwarta"}
        elif len(done) < len(session.invoices):
            status = {"code": 150, "description": "Trwa przetwarzanie"}
        elif not session.invoices:
            status = {"code": 440, "description": "Sesja anulowana",
                      "details": ["Nie przesłano faktur"]}
        elif not successful:
            status = {"code": 445, "description": "Błąd weryfikacji, brak poprawnych faktur"}
        else:
            status = {"code": 200, "description": "Sesja przetworzona pomyślnie"}
        return {"status": status, **body}

    def session_invoices(self, context: dict, reference: str, *, page_size: int,
                         continuation: str | None) -> dict:
        session = self.session_get(context, reference)
        start = int(continuation) if continuation and continuation.isdigit() else 0
        with self.lock:
            page = session.invoices[start:start + page_size]
            body = {"invoices": [self._status_polled(i) for i in page]}
            if start + page_size < len(session.invoices):
                body["continuationToken"] = str(start + page_size)
        return body

    def _status_polled(self, invoice: Invoice) -> dict:
        body = invoice.status_body()
        if invoice.processing_polls > 0:
            invoice.processing_polls -= 1
        return body

    def invoice_get(self, context: dict, reference: str, invoice_reference: str) -> Invoice:
        session = self.session_get(context, reference)
        for invoice in session.invoices:
            if invoice.reference == invoice_reference:
                return invoice
        raise bad_request(21171, "Faktura o wskazanym numerze referencyjnym nie istnieje.",
                          invoice_reference)

    def invoice_status(self, context: dict, reference: str, invoice_reference: str) -> dict:
        invoice = self.invoice_get(context, reference, invoice_reference)
        with self.lock:
            return self._status_polled(invoice)

    def invoice_upo(self, context: dict, reference: str, invoice_reference: str) -> bytes:
        invoice = self.invoice_get(context, reference, invoice_reference)
        if invoice.upo is None or invoice.processing_polls > 0:
            raise bad_request(21178, "UPO nie jest dostępne.",
                              "The invoice has no KSeF number (yet).")
        return invoice.upo

    # --- batch sessions --------------------------------------------------------------------

    def batch_open(self, context: dict, body: dict, upload_base: str) -> dict:
        self._form_check(body.get("formCode") or {})
        key, iv = self._session_key(body.get("encryption") or {})
        batch_file = body.get("batchFile") or {}
        numbers = sorted(part["ordinalNumber"] for part in batch_file.get("fileParts") or [])
        if numbers != list(range(1, len(numbers) + 1)):
            raise bad_request(21157, "Nieprawidłowa numeracja części pakietu.")
        session = self._session_new("batch", "SB", context, key, iv,
                                    offline=bool(body.get("offlineMode")),
                                    batch_file=batch_file)
        return {"referenceNumber": session.reference, "partUploadRequests": [{
            "ordinalNumber": number, "method": "PUT",
            "url": f"{upload_base}/_upload/{session.reference}/{number}",
            "headers": {"x-ms-blob-type": "BlockBlob"}} for number in numbers]}

    def part_upload(self, reference: str, number: int, data: bytes) -> None:
        with self.lock:
            session = self.sessions.get(reference)
        if session is None or session.kind != "batch" or session.closed:
            raise PeerError(403, "Upload not allowed", style="problem")
        declared = {p["ordinalNumber"]: p for p in session.batch_file["fileParts"]}
        part = declared.get(number)
        if part is None or part["fileSize"] != len(data) or (
                part["fileHash"] != encryption.sha256_b64(data)):
            raise bad_request(21157, "Nieprawidłowa część pakietu.",
                              f"Part {number} does not match its declaration.")
        with self.lock:
            session.parts[number] = data

    def _batch_process(self, session: Session) -> None:
        """Decrypt the parts, check the whole package and treat each file as an invoice."""
        declared = session.batch_file["fileParts"]
        if len(session.parts) != len(declared):
            raise bad_request(21205, "Nie przesłano wszystkich części pakietu.")
        try:
            package = b"".join(encryption.aes_decrypt(session.parts[n], session.key, session.iv)
                               for n in range(1, len(declared) + 1))
        except encryption.DecryptionError as exc:
            raise bad_request(21435, "Błąd odszyfrowania zaszyfrowanych części archiwum.",
                              str(exc)) from exc
        if (encryption.sha256_b64(package) != session.batch_file["fileHash"]
                or len(package) != session.batch_file["fileSize"]):
            raise bad_request(21405, "Skrót lub rozmiar paczki nie zgadza się z deklaracją.")
        try:
            archive = zipfile.ZipFile(io.BytesIO(package))
            files = [(info.filename, archive.read(info)) for info in archive.infolist()
                     if not info.is_dir()]
        except zipfile.BadZipFile as exc:
            raise bad_request(21430, "Błąd dekompresji pierwotnego archiwum.") from exc
        for name, xml in files:
            invoice = self._invoice_new(session, encryption.sha256_b64(xml),
                                        offline=session.offline, file_name=name)
            self._invoice_process(invoice, xml)
