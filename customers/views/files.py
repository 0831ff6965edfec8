"""Folders, scans and bank accounts of the "Customer data" section (the panel part is in
``panel.py``)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import services
from customers.forms import FolderForm
from customers.models import BankAccount, Customer, Folder, Scan

from .base import edit_page, section_call, section_write, staff_view


@staff_view("customers.add_folder")
@require_POST
def folder_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "folder_add",
        lambda data: services.folder_create(actor=request.user, customer=customer, **data),
        _("Folder created."))


@staff_view("customers.change_folder")
@require_http_methods(["GET", "POST"])
def folder_edit(request, customer_id, folder_id):
    folder = get_object_or_404(Folder.objects.select_related("customer"), pk=folder_id,
                               customer_id=customer_id)
    return edit_page(
        request, customer=folder.customer, key="data", title=_("Edit folder"),
        form=FolderForm(request.POST or None, initial={
            "name": folder.name, "archive_location": folder.archive_location}),
        save=lambda data: services.folder_update(actor=request.user, folder=folder, **data))


@staff_view("customers.delete_folder")
@require_POST
def folder_remove(request, customer_id, folder_id):
    """Remove an empty folder; one holding scans is refused with their names."""
    folder = get_object_or_404(Folder.objects.select_related("customer"), pk=folder_id,
                               customer_id=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.folder_remove(actor=request.user, folder=folder),
                        _("Folder removed."))


@staff_view("customers.add_scan")
@require_POST
def scan_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)

    def write(data):
        return services.scan_add(actor=request.user, customer=customer,
                                 uploaded_file=data["file"], description=data["description"],
                                 folder=folder_of.get(data["folder"]))

    folder_of = {f.pk: f for f in Folder.objects.filter(customer=customer)}
    return section_write(request, customer, "data", "scan_add", write, _("Scan added."))


@staff_view("customers.view_scan")
@require_GET
def scan_download(request, customer_id, scan_id):
    scan = get_object_or_404(Scan, pk=scan_id, customer_id=customer_id)
    try:
        handle = scan.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=scan.original_name,
                        content_type=scan.content_type)


@staff_view("customers.delete_scan")
@require_POST
def scan_remove(request, customer_id, scan_id):
    scan = get_object_or_404(Scan.objects.select_related("customer"), pk=scan_id,
                             customer_id=customer_id)
    return section_call(request, customer_id, "data",
                        lambda: services.scan_remove(actor=request.user, scan=scan),
                        _("Scan removed."))


@staff_view("customers.add_bankaccount")
@require_POST
def bank_account_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    return section_write(
        request, customer, "data", "bank_account_add",
        lambda data: services.bank_account_add(actor=request.user, customer=customer, **data),
        _("Bank account added."))


@staff_view("customers.delete_bankaccount")
@require_POST
def bank_account_remove(request, customer_id, bankaccount_id):
    account = get_object_or_404(BankAccount.objects.select_related("customer"),
                                pk=bankaccount_id, customer_id=customer_id)
    return section_call(
        request, customer_id, "data",
        lambda: services.bank_account_remove(actor=request.user, account=account),
        _("Bank account removed."))
