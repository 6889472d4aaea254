"""Read a Django admin form the way a browser would, so tests can post it back changed."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    """The fields of the page's forms (of the one with `form_id` if given), as a browser
    submits them: files, buttons and unchecked boxes left out."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = form_id is None
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_value = name, []
        elif tag == "option" and self._select is not None and "selected" in attrs:
            self._select_value.append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.form_id is not None:
            self.inside = False
        elif tag == "select" and self._select is not None:
            for value in self._select_value:
                self.data.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit from the page's forms, or from the form
    with `form_id` only (which must be there, with fields), in the page's order."""
    parser = _FormParser(form_id)
    parser.feed(html)
    if form_id is not None:
        assert parser.data, f"no form #{form_id} on the page"
    return parser.data


def admin_form_data(client, url: str) -> dict[str, str | list[str]]:
    """The values a browser would submit from the admin form at `url`."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict[str, str | list[str]] = {}
    for name, value in form_fields(response.content.decode()):
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value
    data.pop("csrfmiddlewaretoken", None)
    return data
