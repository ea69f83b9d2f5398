"""The lab journal's HTML safe-list (upstream `HtmlSanitizer`: jsoup's basicWithImages minus
blockquote, cite, dl/dt/dd, h4-h6, small, sub, sup, tfoot and q, plus tables, h1-h3 and s/strike;
`style`, `colspan` and `rowspan` on every tag; `target` and `rel` on links).

`is_safe` asks whether cleaning would change anything. Cleaning and re-serialising always
normalise markup (quoting, void tags, entities), so the cleaned text is compared with the same
input cleaned by a cleaner that allows every tag, attribute and URL scheme the input uses: the
two differ exactly when the safe-list drops something.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

TAGS = frozenset(
    {
        "a", "b", "br", "code", "em", "i", "li", "ol", "p", "pre", "span", "strike", "strong",
        "u", "ul", "img", "table", "thead", "tbody", "tr", "th", "td", "colgroup", "col",
        "h1", "h2", "h3", "s",
    }
)  # fmt: skip
ATTRIBUTES = {
    "*": {"style", "colspan", "rowspan"},
    "a": {"href", "target", "rel"},
    "img": {"align", "alt", "height", "src", "title", "width"},
}
URL_SCHEMES = frozenset({"ftp", "http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "action", "formaction", "poster"})


def _absolute_urls_only(tag: str, attribute: str, value: str) -> str | None:  # noqa: ARG001
    """jsoup drops links without a protocol (relative ones) unless told otherwise."""
    if attribute in URL_ATTRIBUTES and not urlsplit(value.strip()).scheme:
        return None
    return value


def clean(html: str) -> str:
    """The input with every tag, attribute and URL outside the safe-list removed."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        attribute_filter=_absolute_urls_only,
    )


def is_safe(html: str) -> bool:
    """True when `clean` removes nothing from the input (as far as the standard library's
    parser sees tags and attributes; callers store `clean(html)`, never the input itself)."""
    return clean(html) == _normalised(html)


class _Inventory(HTMLParser):
    """Every tag, attribute name and URL scheme the input uses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.schemes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if value:
                scheme = urlsplit(value.strip()).scheme
                if scheme:
                    self.schemes.add(scheme.lower())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.tags.add(tag)


def _normalised(html: str) -> str:
    """The input parsed and serialised as `clean` does, with nothing removed."""
    inventory = _Inventory()
    inventory.feed(html)
    inventory.close()
    return nh3.clean(
        html,
        tags=inventory.tags | TAGS,
        clean_content_tags=set(),
        attributes={"*": inventory.attributes | {"style", "colspan", "rowspan"}},
        url_schemes=inventory.schemes | URL_SCHEMES,
        link_rel=None,
    )
