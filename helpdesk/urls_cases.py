"""Staff pages of the helpdesk's cases part."""

urlpatterns: list = []
