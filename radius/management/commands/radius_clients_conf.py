from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from core.tenancy import tenant_context
from radius.selectors import nas_clients_conf


class Command(BaseCommand):
    help = ("Print FreeRADIUS client sections (clients.conf) for a tenant's NAS devices, "
            "secrets included: write it to a file only root can read.")

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's short name (slug)")

    def handle(self, *args, tenant, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError("No such tenant.")
        with tenant_context(tenant_obj):
            self.stdout.write(nas_clients_conf(), ending="")
