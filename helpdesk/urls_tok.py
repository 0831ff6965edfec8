"""Staff pages of the helpdesk's tok part."""

urlpatterns: list = []
