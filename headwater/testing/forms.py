"""Read a rendered form the way a browser submits it, so a test can post a page back exactly as it was shown."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """The successful controls of the form whose `class` contains `form_class` (name → value, last one wins)."""

    def __init__(self, form_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.values: dict[str, str] = {}
        self.in_form = False
        self.select: str | None = None
        self.select_first: str | None = None
        self.option_value: str | None = None
        self.option_text: list[str] = []
        self.option_selected = False
        self.textarea: str | None = None
        self.textarea_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form_class in a.get("class", "").split():
            self.in_form = True
        if not self.in_form or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name and "form" not in a:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[name] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        elif tag == "select" and name:
            self.select, self.select_first = name, None
        elif tag == "option" and self.select is not None:
            self.option_value = a.get("value")
            self.option_text = []
            self.option_selected = "selected" in a
        elif tag == "textarea" and name:
            self.textarea, self.textarea_text = name, []

    def handle_data(self, data: str) -> None:
        if self.option_value is not None or self.select is not None:
            self.option_text.append(data)
        if self.textarea is not None:
            self.textarea_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "option" and self.select is not None:
            value = self.option_value if self.option_value is not None else "".join(self.option_text).strip()
            if self.select_first is None:
                self.select_first = value
            if self.option_selected:
                self.values[self.select] = value
            self.option_value = None
        elif tag == "select" and self.select is not None:
            # A select with nothing marked selected submits its first option.
            if self.select not in self.values and self.select_first is not None:
                self.values[self.select] = self.select_first
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = "".join(self.textarea_text)
            # The HTML parser drops nothing, but a browser drops the newline right after <textarea>.
            self.values[self.textarea] = text[1:] if text.startswith("\n") else text
            self.textarea = None


def form_values(html: str, form_class: str = "record-form") -> dict[str, str]:
    """What a browser posts when the user submits the form with class `form_class` without touching anything."""
    reader = _FormReader(form_class)
    reader.feed(html)
    reader.close()
    return reader.values
