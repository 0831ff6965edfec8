"""Finance API: the customer's ledger.

* ``/api/v1/customers/{customer_pk}/finance-documents/`` — "Historia transakcji": the
  list (type, status, date and number filters) and one document; POST on the collection
  creates each kind of transaction (``invoice``, ``kp``, ``kw``, ``bank-transfer``,
  ``debit-note``, ``technical``), POST on a document edits (``update``), corrects
  (``correct``), links (``link``) or unlinks it (``remove-links``); GET on a document
  prints it (``pdf``) or gives its KSeF FA(3) XML (``ksef``);
* ``/api/v1/customers/{customer_pk}/finance-account/`` — "Rachunek": balance, virtual
  account, what is owed and the credit;
* ``/api/v1/customers/{customer_pk}/interest/`` — "Odsetki ustawowe": the list, an
  interest note from selected invoices, a waiver;
* ``/api/v1/cash-registers/`` — the tenant's cash desks.

Views parse, call one service or selector, and serialize. Reads go through
``finance.selectors`` (status, running balance and the "K" marker are annotations of one
query); the document named in the URL is looked up before the body is parsed, so another
tenant's customer or document is a 404 before anything else is said.
"""

from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet, error_response
from core.schema import OneObjectSchema
from customers.api import CustomerNestedViewSet

from .. import interest_notes, selectors, serializers, services
from ..filters import FinanceDocumentFilter
from ..models import CashRegister, CustomerAccount, FinanceDocument, InterestNoteItem, Kind
from ..permissions import IssuePermissions

ZERO = Decimal("0.00")
KSEF_REFUSED = ("Not an invoice or a correction, or its data cannot make a valid FA(3) "
                "document (e.g. no seller NIP): the reasons are in the answer.")


# --------------------------------------------------------------------------- selectors

def finance_account_get(*, customer) -> dict:
    """The card's "Rachunek". Queries: three (balance, open receivables, open payments)."""
    today = timezone.localdate()
    receivables = selectors.open_receivable_list(customer=customer)
    payments = selectors.open_payment_list(customer=customer)
    return {
        "balance": selectors.customer_balance(customer=customer),
        "virtual_account": customer.virtual_account or "",
        "open_receivables": sum((r.left for r in receivables), ZERO),
        "overdue": selectors.overdue_summary(receivables, today=today)[0],
        "credit": sum((p.unallocated for p in payments), ZERO),
    }


def _file_name(document: FinanceDocument) -> str:
    # Numbers look like "FV/2026/03/7": slashes are not allowed in a file name.
    return document.number.replace("/", "-")


def cash_register_queryset() -> QuerySet:
    return CashRegister.objects.order_by("name", "id")


# --------------------------------------------------------------------------- documents

def _writes(input_serializer, output_serializer=serializers.FinanceDocumentDetailSerializer,
            code=201, **kwargs):
    return extend_schema(request=input_serializer, responses={code: output_serializer},
                         **kwargs)


@extend_schema_view(
    list=extend_schema(responses=serializers.HistoryRowSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.FinanceDocumentDetailSerializer),
)
class FinanceDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             CustomerNestedViewSet):
    """"Historia transakcji": the customer's ledger, newest first."""

    model = FinanceDocument
    serializer_class = serializers.FinanceDocumentDetailSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FinanceDocumentFilter
    permission_classes = [IssuePermissions]
    # Each action that issues a document asks ``can_issue`` for its kind: an operator
    # takes a KP but pays no KW out (finance.permissions).
    issue_kinds = {
        "invoice": Kind.INVOICE,
        "kp": Kind.KP,
        "kw": Kind.KW,
        "bank_transfer": Kind.BANK_TRANSFER,
        "debit_note": Kind.DEBIT_NOTE,
        # Not recommended: an administrative adjustment of the balance.
        "technical": Kind.TECHNICAL,
        "correct": Kind.CORRECTION,
    }
    action_permissions = {
        "edit": ["finance.change_financedocument"],
        "link": ["finance.add_allocation"],
        "remove_links": ["finance.delete_allocation"],
    }

    def scoped_queryset(self):
        return selectors.customer_history(customer=self.customer)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.HistoryRowSerializer
        return serializers.FinanceDocumentDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "customer_pk" in self.kwargs:
            context["customer"] = self.customer
        return context

    def get_object(self) -> FinanceDocument:
        """The document with everything its detail shows; another customer's is a 404."""
        customer = self.customer  # first: another tenant's customer is a 404
        try:
            document = selectors.document_get(pk=int(self.kwargs["pk"]))
        except (FinanceDocument.DoesNotExist, ValueError):
            raise Http404 from None
        if document.customer_id != customer.pk:
            raise Http404
        return document

    def _document_response(self, document, code=status.HTTP_201_CREATED, *,
                           warnings=None) -> Response:
        document = selectors.document_get(pk=document.pk)
        serializer_class = serializers.FinanceDocumentDetailSerializer
        if warnings is not None:
            document.warnings = warnings
            serializer_class = serializers.CorrectionResultSerializer
        return Response(serializer_class(document, context=self.get_serializer_context()).data,
                        status=code)

    # ------------------------------------------------------------------ create flows

    @_writes(serializers.InvoiceInputSerializer)
    @action(detail=False, methods=["post"])
    def invoice(self, request, customer_pk=None):
        """A VAT invoice by hand; numbered from the tenant's pattern."""
        data = self.parsed(serializers.InvoiceInputSerializer)
        return self._document_response(services.invoice_issue(
            actor=request.user, customer=self.customer, **data))

    @_writes(serializers.KpInputSerializer)
    @action(detail=False, methods=["post"])
    def kp(self, request, customer_pk=None):
        """KP (cash in): free ``positions`` (``name``, ``amount``) and the named invoices,
        each a position for what it still owes and settled by the KP; the credit is the
        sum of the positions. Instead of positions, ``amount``: the total paid."""
        data = self.parsed(serializers.KpInputSerializer)
        return self._document_response(services.kp_issue(
            actor=request.user, customer=self.customer, register=data["cash_register"],
            amount=data.get("amount"), positions=data["positions"],
            invoices=data.get("invoices", []),
            title=data.get("title", ""), issue_date=data.get("issue_date")))

    @_writes(serializers.KwInputSerializer)
    @action(detail=False, methods=["post"])
    def kw(self, request, customer_pk=None):
        """KW (cash out), e.g. a refund of credit: charges the balance."""
        data = self.parsed(serializers.KwInputSerializer)
        return self._document_response(services.kw_issue(
            actor=request.user, customer=self.customer, register=data["cash_register"],
            amount=data["amount"], title=data.get("title", ""),
            issue_date=data.get("issue_date")))

    @_writes(serializers.BankTransferInputSerializer)
    @action(detail=False, methods=["post"], url_path="bank-transfer", url_name="bank-transfer")
    def bank_transfer(self, request, customer_pk=None):
        """A transfer entered by hand; it settles the oldest unpaid documents first."""
        data = self.parsed(serializers.BankTransferInputSerializer)
        return self._document_response(services.bank_transfer_record(
            actor=request.user, customer=self.customer, **data))

    @_writes(serializers.DebitNoteInputSerializer)
    @action(detail=False, methods=["post"], url_path="debit-note", url_name="debit-note")
    def debit_note(self, request, customer_pk=None):
        """Nota obciążeniowa: a charge outside VAT."""
        data = self.parsed(serializers.DebitNoteInputSerializer)
        return self._document_response(services.debit_note_issue(
            actor=request.user, customer=self.customer, **data))

    @_writes(serializers.TechnicalInputSerializer)
    @action(detail=False, methods=["post"])
    def technical(self, request, customer_pk=None):
        """Not recommended: an administrative charge or credit; the reason is mandatory and
        the customer sees it in the panel."""
        data = self.parsed(serializers.TechnicalInputSerializer)
        return self._document_response(services.technical_issue(
            actor=request.user, customer=self.customer, amount=data["amount"],
            charge=data["direction"] == "charge", reason=data["reason"]))

    # ------------------------------------------------------------------ one document

    @_writes(serializers.InvoiceUpdateSerializer, code=200)
    @action(detail=True, methods=["post"], url_path="update", url_name="update")
    def edit(self, request, customer_pk=None, pk=None):
        """Edit an invoice under its number: only in the statuses the tenant setting
        ``finance.edycja_faktur`` lists; otherwise 400 — issue a correction."""
        invoice = self.get_object()
        data = self.parsed(serializers.InvoiceUpdateSerializer)
        services.invoice_update(actor=request.user, invoice=invoice, lines=data["lines"])
        return self._document_response(invoice, status.HTTP_200_OK)

    @_writes(serializers.CorrectionInputSerializer, serializers.CorrectionResultSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, customer_pk=None, pk=None):
        """A correcting invoice; answers the correction. Downward it releases payments into
        credit, upward it reopens the invoice."""
        invoice = self.get_object()
        data = self.parsed(serializers.CorrectionInputSerializer)
        correction, warnings = services.correction_issue(actor=request.user, invoice=invoice,
                                                         **data)
        return self._document_response(correction, warnings=warnings)

    @_writes(serializers.LinkInputSerializer, serializers.AllocationSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, customer_pk=None, pk=None):
        """"Powiąż nierozliczone transakcje": link this document with a payment or a
        receivable of the same customer by hand."""
        document = self.get_object()
        data = self.parsed(serializers.LinkInputSerializer)
        payment = data.get("payment", document)
        receivable = data.get("receivable", document)
        allocation = services.allocation_link(actor=request.user, payment=payment,
                                              receivable=receivable, amount=data.get("amount"))
        return Response(serializers.AllocationSerializer(allocation).data,
                        status=status.HTTP_201_CREATED)

    @_writes(None, serializers.RemovedLinksSerializer, code=200)
    @action(detail=True, methods=["post"], url_path="remove-links", url_name="remove-links")
    def remove_links(self, request, customer_pk=None, pk=None):
        """"Usuń powiązania": unlink the document from everything it pays or is paid by
        (links made by corrections stay); the money stays on the ledger, unsettled."""
        removed = services.allocations_remove(actor=request.user, document=self.get_object())
        return Response({"removed": removed})

    # ------------------------------------------------------------------ print, KSeF

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, customer_pk=None, pk=None):
        """The document printed in its Polish layout."""
        from ..printing import document_pdf

        document = self.get_object()
        return HttpResponse(document_pdf(document), content_type="application/pdf",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{_file_name(document)}.pdf"'})

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY,
                              400: error_response(KSEF_REFUSED)})
    @action(detail=True, methods=["get"])
    def ksef(self, request, customer_pk=None, pk=None):
        """KSeF FA(3) XML of an invoice or a correction, valid against the XSD; 400 with
        the reasons when the data cannot make one (e.g. no seller NIP)."""
        from ..ksef_ledger import document_ksef_xml

        document = self.get_object()
        return HttpResponse(document_ksef_xml(document), content_type="application/xml",
                            headers={"Content-Disposition":
                                     f'attachment; filename="{_file_name(document)}.xml"'})


# --------------------------------------------------------------------------- account

@extend_schema_view(list=extend_schema(responses=serializers.FinanceAccountSerializer))
class FinanceAccountViewSet(CustomerNestedViewSet):
    """"Rachunek": one per customer, so no ``pk``."""

    model = CustomerAccount
    schema = OneObjectSchema()
    serializer_class = serializers.FinanceAccountSerializer
    pagination_class = None

    def list(self, request, customer_pk=None):
        return Response(serializers.FinanceAccountSerializer(
            finance_account_get(customer=self.customer)).data)


# --------------------------------------------------------------------------- interest

@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("until", OpenApiTypes.DATE,
                                     description="Interest up to this day; default: today.")]),
    issue_note=_writes(serializers.InterestNoteInputSerializer),
    waive=_writes(serializers.InterestWaiveInputSerializer,
                  serializers.InterestWaiverSerializer),
)
class InterestViewSet(CustomerNestedViewSet):
    """"Odsetki ustawowe": interest on overdue invoices not yet charged nor waived."""

    model = InterestNoteItem
    serializer_class = serializers.InterestItemSerializer
    permission_classes = [IssuePermissions]
    issue_kinds = {"issue_note": Kind.INTEREST_NOTE}
    action_permissions = {
        "issue_note": ["finance.add_interestnoteitem"],
        "waive": ["finance.add_interestwaiver"],
    }

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "customer_pk" in self.kwargs:
            context["customer"] = self.customer
        return context

    def scoped_queryset(self):
        return InterestNoteItem.objects.filter(receivable__customer=self.customer)

    def list(self, request, customer_pk=None):
        query = serializers.InterestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = interest_notes.interest_list(customer=self.customer,
                                             until=query.validated_data.get("until"))
        page = self.paginate_queryset(items)
        return self.get_paginated_response(
            serializers.InterestItemSerializer(page, many=True).data)

    @action(detail=False, methods=["post"], url_path="issue-note", url_name="issue-note")
    def issue_note(self, request, customer_pk=None):
        """Nota odsetkowa for the selected invoices of the list."""
        data = self.parsed(serializers.InterestNoteInputSerializer)
        note = interest_notes.interest_note_issue(
            actor=request.user, customer=self.customer, receivables=data["receivables"],
            until=data.get("until"))
        return Response(serializers.FinanceDocumentDetailSerializer(
            selectors.document_get(pk=note.pk)).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"])
    def waive(self, request, customer_pk=None):
        """Delete an invoice's interest from the list for good (irreversible, logged)."""
        data = self.parsed(serializers.InterestWaiveInputSerializer)
        waiver = interest_notes.interest_waive(actor=request.user,
                                               receivable=data["receivable"],
                                               reason=data["reason"])
        return Response(serializers.InterestWaiverSerializer(waiver).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- cash registers

@extend_schema_view(create=_writes(serializers.CashRegisterInputSerializer,
                                   serializers.CashRegisterSerializer))
class CashRegisterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's cash desks; each numbers its own KP and KW."""

    model = CashRegister
    serializer_class = serializers.CashRegisterSerializer

    def scoped_queryset(self):
        return cash_register_queryset()

    def create(self, request):
        data = self.parsed(serializers.CashRegisterInputSerializer)
        return self.respond(services.cash_register_create(actor=request.user, **data))


def register(router) -> None:
    """Add the ledger's routes to the project's one router."""
    nested = r"customers/(?P<customer_pk>\d+)"
    router.register(f"{nested}/finance-documents", FinanceDocumentViewSet,
                    basename="customer-finance-documents")
    router.register(f"{nested}/finance-account", FinanceAccountViewSet,
                    basename="customer-finance-account")
    router.register(f"{nested}/interest", InterestViewSet, basename="customer-interest")
    router.register("cash-registers", CashRegisterViewSet, basename="cash-register")
