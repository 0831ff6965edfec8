"""Django admin: platform and tenant configuration only; customer data lives in the staff UI."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import Membership, Tenant, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    # Deactivating a membership is the tenant admins' (core.staff, the staff pages).
    fields = ("user", "role")


class MembershipsThroughServices:
    """Roles given, changed or taken away in the admin go through ``core.services``, so
    each lands in the tenant's action log like any other role change."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        for inline in formset.deleted_forms:
            if inline.instance.pk:
                services.membership_remove(actor=request.user, membership=inline.instance)
        for inline in formset.forms:
            if inline in formset.deleted_forms or not inline.has_changed():
                continue
            data = inline.cleaned_data
            if not data:
                continue
            user = data.get("user") or form.instance
            tenant = data.get("tenant") or form.instance
            previous = inline.instance.pk and Membership.objects.filter(
                pk=inline.instance.pk).select_related("user", "tenant").first()
            if previous and (previous.user_id, previous.tenant_id) != (user.pk, tenant.pk):
                services.membership_remove(actor=request.user, membership=previous)
            services.membership_set(actor=request.user, user=user, tenant=tenant,
                                    role=data["role"])
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(User)
class StaffUserAdmin(MembershipsThroughServices, UserAdmin):
    inlines = [MembershipInline]


@admin.register(Tenant)
class TenantAdmin(MembershipsThroughServices, admin.ModelAdmin):
    list_display = ("name", "slug", "nip", "created_at")
    search_fields = ("name", "slug", "nip")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
