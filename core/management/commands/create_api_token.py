from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant, User
from core.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a staff user in one tenant; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("tenant", help="the tenant's short name (slug)")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username, tenant, name, **options):
        user = User.objects.filter(username=username).first()
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if user is None or tenant_obj is None:
            raise CommandError("No such user or tenant.")
        try:
            _token, key = api_token_create(user=user, tenant=tenant_obj, name=name)
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from None
        self.stdout.write(key)
