"""Platform configuration of finance: the NBP reference rates behind statutory interest."""

from django.contrib import admin

from .models import ReferenceRate


@admin.register(ReferenceRate)
class ReferenceRateAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "rate")
    ordering = ("-effective_from",)
