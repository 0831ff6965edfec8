"""Staff pages of the helpdesk's mail part."""

urlpatterns: list = []
