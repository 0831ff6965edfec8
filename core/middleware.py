from .selectors import membership_tenant_for
from .tenancy import activate_tenant, deactivate_tenant

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    """Activates the staff user's chosen tenant for the whole request.

    The tenant id in the session is trusted only while the user is still a member of
    that tenant; otherwise the user's first tenant is taken.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = None
        user = request.user
        if user.is_authenticated:
            tenant = membership_tenant_for(user=user, tenant_id=request.session.get(SESSION_KEY))
            if tenant is not None and request.session.get(SESSION_KEY) != tenant.pk:
                request.session[SESSION_KEY] = tenant.pk
        request.tenant = tenant
        token = activate_tenant(tenant)
        try:
            return self.get_response(request)
        finally:
            deactivate_tenant(token)
