# Frozen party data at issue (issue 11): the seller and the buyer stored with each document
# (finance.seller.party_snapshot). Documents issued before this migration get a snapshot
# of the data as they are *when the migration runs* — the best that is left of the data at
# their issue; from now on each document keeps what it was issued with.
from django.db import migrations, models

CHUNK = 1000
SELLER_KEYS = ("seller_name", "seller_nip", "seller_street", "seller_postal_code",
               "seller_city", "vat_exemption_basis", "seller_bank_account", "seller_regon")


def _display_name(customer) -> str:
    # Customer.display_name as it stands in customers.models (not on historical models).
    if customer.kind == "company" and customer.company_name:
        return customer.company_name
    return f"{customer.first_name} {customer.last_name}".strip() or customer.company_name


def _address_text(address) -> str:
    # Address.__str__ as it stands in customers.models.
    street = f"{address.street} {address.building_no}" if address.street else address.building_no
    if address.apartment_no:
        street += f"/{address.apartment_no}"
    return f"{street}, {address.postal_code} {address.city}"


def _buyer(customer, addresses) -> dict:
    first = {}
    for address in addresses:
        first.setdefault(address.kind, address)
    last = {address.kind: address for address in addresses}
    printed = first.get("residence") or first.get("correspondence")
    main = last.get("residence") or last.get("correspondence") or last.get("installation")
    street = postal_code = city = ""
    country = "PL"
    if main is not None:
        number = main.building_no + (f"/{main.apartment_no}" if main.apartment_no else "")
        street = f"{main.street or main.city} {number}".strip()
        postal_code, city, country = main.postal_code, main.city, main.country or "PL"
    return {"number": str(customer.number), "name": _display_name(customer),
            "nip": customer.nip or "", "pesel": "" if customer.nip else (customer.pesel or ""),
            "account": customer.virtual_account or "",
            "address": _address_text(printed) if printed is not None else "",
            "street": street, "postal_code": postal_code, "city": city, "country": country}


def _seller(tenant, TenantSetting) -> dict:
    stored = dict(TenantSetting.objects.filter(
        tenant=tenant, key__in=[f"finance.{key}" for key in SELLER_KEYS])
        .values_list("key", "value"))

    def get(key):
        return str(stored.get(f"finance.{key}") or "").strip()

    return {"name": get("seller_name") or tenant.name, "nip": get("seller_nip") or tenant.nip,
            "street": get("seller_street"), "postal_code": get("seller_postal_code"),
            "city": get("seller_city"), "exemption_basis": get("vat_exemption_basis"),
            "bank_account": get("seller_bank_account"), "regon": get("seller_regon")}


def fill(apps, schema_editor):
    import json

    Tenant = apps.get_model("core", "Tenant")
    TenantSetting = apps.get_model("core", "TenantSetting")
    Customer = apps.get_model("customers", "Customer")
    FinanceDocument = apps.get_model("finance", "FinanceDocument")
    for tenant in Tenant.objects.order_by("id"):
        seller = _seller(tenant, TenantSetting)
        ids = list(FinanceDocument.objects.filter(tenant=tenant, parties__isnull=True)
                   .values_list("customer_id", flat=True).distinct().order_by("customer_id"))
        for start in range(0, len(ids), CHUNK):
            customers = (Customer.objects.filter(pk__in=ids[start:start + CHUNK])
                         .prefetch_related("addresses"))
            snapshots = {
                customer.pk: json.dumps({
                    "version": 1, "seller": seller,
                    "buyer": _buyer(customer, sorted(customer.addresses.all(),
                                                     key=lambda a: (a.kind, a.id)))})
                for customer in customers}
            if schema_editor.connection.vendor == "postgresql":
                with schema_editor.connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE finance_financedocument d SET parties = v.p::jsonb "
                        "FROM (SELECT unnest(%s::bigint[]) AS c, unnest(%s::text[]) AS p) v "
                        "WHERE d.customer_id = v.c AND d.parties IS NULL",
                        [list(snapshots), list(snapshots.values())])
            else:
                for customer_id, snapshot in snapshots.items():
                    FinanceDocument.objects.filter(customer_id=customer_id,
                                                   parties__isnull=True).update(
                        parties=json.loads(snapshot))


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0009_numbering_matching"),
        ("customers", "0002_search_trigram"),
        ("core", "0003_numberseries"),
    ]

    operations = [
        migrations.AddField(
            model_name="financedocument",
            name="parties",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
