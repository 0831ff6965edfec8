"""Staff pages of the helpdesk's routing part."""

urlpatterns: list = []
