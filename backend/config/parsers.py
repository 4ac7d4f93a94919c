"""JSON request bodies: DRF's parser, refusing (400) what would otherwise be a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:  # nesting deeper than the decoder can follow
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
