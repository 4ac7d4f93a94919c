"""Page numbers for chat lists: `?page=` must be a positive integer, or absent."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class ChatPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is not None and not value.isdigit():
            raise NotFound("Invalid page: it must be a positive integer.")
        return super().get_page_number(request, paginator)
