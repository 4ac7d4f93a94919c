"""JSON request bodies: DRF's parser, refusing (400) what would otherwise be a 500."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any request we take (an OpenAI message list is 4 levels): past it, serializers that
# re-encode JSON would hit Python's recursion limit.
MAX_DEPTH = 32


def _too_deep(value, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:  # nesting deeper than the decoder can follow
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
        if _too_deep(data):
            message = _("JSON parse error - the body is nested too deeply (at most %(levels)s levels).")
            raise ParseError(message % {"levels": MAX_DEPTH})
        return data
