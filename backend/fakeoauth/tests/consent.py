"""Read a consent page's form the way a browser submits it (hidden inputs, defaults, checked boxes)."""

from __future__ import annotations

from html.parser import HTMLParser


class ConsentForm(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.action = ""
        self.method = ""
        self.fields: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []
        self._select: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action, self.method = attributes.get("action", ""), attributes.get("method", "")
        elif tag == "input":
            if attributes.get("type") == "checkbox":
                if "checked" in attributes:
                    self.fields[attributes["name"]] = attributes.get("value") or "on"
            else:
                self.fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "select":
            self._select = attributes["name"]
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields[self._select] = attributes["value"]
        elif tag == "button":
            self.buttons.append((attributes.get("name", ""), attributes.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def submission(self, decision: str = "allow", **changes: str | None) -> dict[str, str]:
        """The form fields posted by pressing the button `decision`; a change to None unticks or clears."""
        fields = {**self.fields, "decision": decision}
        for name, value in changes.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        return fields
