"""Staff pages of the helpdesk's schedule part."""

urlpatterns: list = []
