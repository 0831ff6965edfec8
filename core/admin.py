"""Django admin: platform and tenant configuration only; customer data lives in the staff UI."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, Tenant, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "nip", "created_at")
    search_fields = ("name", "slug", "nip")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
