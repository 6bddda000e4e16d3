from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination for the API; ``page_size`` may be raised up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
