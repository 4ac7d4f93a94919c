"""Serializer fields that take JSON types as they are: "5" is not a number, 0 is not text.

DRF's fields coerce (`"true"` → True, `5` → "5"). For a JSON API that is a trap: a client bug
goes unnoticed, and the schema we publish says something stricter than what we accept.
"""

from django.db import models
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:  # as sent, before trimming
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: type("StrictEmailField", (StrictCharField, serializers.EmailField), {}),
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
    }


class StrictChoiceField(serializers.ChoiceField):
    """A choice among strings; the error lists the choices instead of echoing what was sent."""

    default_error_messages = {"invalid_choice": "Choose one of: {choices}."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))
        return self.choice_strings_to_values[data]


class PresentMeansGivenMixin:
    """For query-string fields: `?name=` is a value (and an invalid one), not "use the default"."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class StrictQueryChoiceField(PresentMeansGivenMixin, StrictChoiceField):
    pass


class StrictQueryIntegerField(PresentMeansGivenMixin, serializers.IntegerField):
    """An integer from a query string: ASCII digits only (no "+5", " 5", "5.0" or other scripts' digits)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not (data.isascii() and data.isdigit()) or len(data) > 9:
            self.fail("invalid")
        return super().to_internal_value(data)
