from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from core.tenancy import tenant_context
from radius import selectors, services


class Command(BaseCommand):
    help = ("A tenant's FreeRADIUS keys: list them; create, rotate (a new key, the old one "
            "working for a grace period) or revoke one. A new key is printed once.")

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's short name (slug)")
        parser.add_argument("action", choices=["list", "create", "rotate", "revoke"])
        parser.add_argument("key", nargs="?", help="rotate/revoke: the key's id or prefix")
        parser.add_argument("--name", default="FreeRADIUS", help="create: which FreeRADIUS")
        parser.add_argument("--grace-hours", type=float, default=None,
                            help="rotate: how long the old key keeps working "
                                 "(default RADIUS_KEY_ROTATION_GRACE_HOURS; 0: revoke now)")

    def handle(self, *args, tenant, action, key, name, grace_hours, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError("No such tenant.")
        try:
            with tenant_context(tenant_obj):
                self._run(action, key, name=name, grace_hours=grace_hours)
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from None

    def _run(self, action, key, *, name, grace_hours):
        if action == "list":
            for row in selectors.radius_key_list():
                state = ("revoked " + row.revoked_at.isoformat() if row.revoked_at
                         else "expires " + row.expires_at.isoformat() if row.expires_at
                         else "active")
                self.stdout.write(f"{row.pk}\t{row.prefix}…\t{row.name}\t{state}")
            return
        if action == "create":
            self.stdout.write(services.radius_key_create(actor=None, name=name)[1])
            return
        if not key:
            raise CommandError("Name the key: its id or prefix (see list).")
        rows = selectors.radius_key_list()
        found = [row for row in rows if str(row.pk) == key or row.prefix == key]
        if len(found) != 1:
            raise CommandError("No such key." if not found else "More than one key matches.")
        if action == "revoke":
            services.radius_key_revoke(actor=None, key=found[0])
            self.stdout.write("revoked")
        else:
            self.stdout.write(services.radius_key_rotate(actor=None, key=found[0],
                                                         grace_hours=grace_hours)[1])
