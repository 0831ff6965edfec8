"""Staff pages of the helpdesk's reports part."""

urlpatterns: list = []
