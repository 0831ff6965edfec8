"""Staff pages of the helpdesk's sla part."""

urlpatterns: list = []
