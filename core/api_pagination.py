"""The API's one paginator (``DEFAULT_PAGINATION_CLASS``).

Its own module: DRF resolves ``DEFAULT_PAGINATION_CLASS`` when ``rest_framework.generics``
is first imported, which ``core.api`` itself does.
"""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and, for clients that want fewer or more rows, ``?page_size=`` (≤ 200;
    more is answered with 200). A page past the last one is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = (f"Rows per page, at most {self.max_page_size} "
                                            f"(default {self.page_size}).")
        return parameters
