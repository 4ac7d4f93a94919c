"""Page numbers: `?page=` must be a positive integer, or absent (DRF would read `?page=` as 1)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is not None and not value.isdigit():
            raise NotFound(_("Invalid page: it must be a positive integer."))
        return super().get_page_number(request, paginator)
