from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Stable cursor pagination by primary key; ``page_size`` can be raised to 500."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
