from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from core.tenancy import tenant_context
from radius.services import radius_key_create


class Command(BaseCommand):
    help = "Create the key FreeRADIUS uses for one tenant (ABONENT_RADIUS_KEY); prints it once."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's short name (slug)")
        parser.add_argument("--name", default="FreeRADIUS", help="which FreeRADIUS it is for")

    def handle(self, *args, tenant, name, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError("No such tenant.")
        try:
            with tenant_context(tenant_obj):
                _key, key = radius_key_create(actor=None, name=name)
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from None
        self.stdout.write(key)
