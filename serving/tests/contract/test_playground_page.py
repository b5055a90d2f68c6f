"""GET / serves the playground page: one self-contained HTML file, locked down by its Content-Security-Policy.

What it does in a browser is tested end to end in serving/tests/e2e/test_playground_browser.py.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from serving.app import api_contract, playground
from serving.app.contracts import api
from serving.tests.apigw_events import LambdaContext, rest_event
from serving.tests.openapi_document import DOCUMENT, documented_statuses

# A URL with a scheme or a network location: anything that could leave the page's own origin.
EXTERNAL_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://|(?<![\w:])//[a-z0-9]|\burl\(")


class PageParser(HTMLParser):
    """Every tag with its attributes, the labels' targets, and the text of inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open:
            self.inline[self._open].append(data)


@pytest.fixture(scope="module")
def page(handler) -> dict:
    return handler.lambda_handler(rest_event("GET", "/"), LambdaContext())


@pytest.fixture(scope="module")
def parsed(page) -> PageParser:
    parser = PageParser()
    parser.feed(page["body"])
    return parser


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def policy_of(page: dict) -> dict[str, list[str]]:
    directives = [part.split() for part in page["headers"]["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def test_get_root_serves_one_html_page_without_a_key(page):
    assert page["statusCode"] == 200 and page["isBase64Encoded"] is False
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert page["headers"]["X-Content-Type-Options"] == "nosniff"
    assert page["body"].startswith("<!doctype html>") and page["body"].rstrip().endswith("</html>")
    assert "{{" not in page["body"]  # every setting filled in
    assert len(page["body"].encode("utf-8")) < 8 * 1024  # a few KB


def test_the_policy_allows_only_the_pages_own_inline_code_and_origin(page, parsed):
    policy = policy_of(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == [sha256(block) for block in parsed.inline["script"]]
    assert policy["style-src"] == [sha256(block) for block in parsed.inline["style"]]
    assert len(policy["script-src"]) == len(policy["style-src"]) == 1
    assert policy["frame-ancestors"] == policy["base-uri"] == policy["form-action"] == ["'none'"]
    sources = " ".join(source for values in policy.values() for source in values)
    assert "unsafe" not in sources and "*" not in sources and not EXTERNAL_URL.search(sources)


def test_the_page_references_nothing_external(page, parsed):
    assert not EXTERNAL_URL.search(page["body"])
    for tag, attributes in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        assert not {"src", "href", "action", "srcset", "style"} & set(attributes), (tag, attributes)
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)  # no inline handlers
    script = "".join(parsed.inline["script"])
    assert re.findall(r"\bfetch\(([^,]+),", script) == [f'base + "{api.CLASSIFY[1:]}"']
    assert not re.search(r"\b(import|XMLHttpRequest|WebSocket|EventSource|eval|innerHTML)\b", script)


def test_the_page_asks_for_every_class_and_an_explanation_when_the_api_offers_one(handler, parsed):
    ((_, form),) = [(tag, attributes) for tag, attributes in parsed.tags if tag == "form"]
    classes = len(handler.MODEL.classifier.classes)
    assert int(form["data-top-k"]) == min(classes, api_contract.MAX_TOP_K) == classes
    explain = int(form["data-explain"])
    assert explain == api_contract.DEFAULT_EXPLAIN_TERMS


def test_every_field_has_a_label(parsed):
    labelled = {attributes["for"] for tag, attributes in parsed.tags if tag == "label"}
    fields = [attributes for tag, attributes in parsed.tags if tag in ("textarea", "input", "select")]
    assert [field["id"] for field in fields] == ["text", "key"]
    assert all(field["id"] in labelled for field in fields)
    assert any(tag == "button" and attributes.get("type") == "submit" for tag, attributes in parsed.tags)
    assert any(attributes.get("role") == "alert" for _, attributes in parsed.tags)  # errors are announced


def test_only_get_serves_the_page(handler):
    for method in ("POST", "PUT", "DELETE"):
        response = handler.lambda_handler(rest_event(method, "/", "{}"), LambdaContext())
        assert (response["statusCode"], response["headers"]["Allow"]) == (405, "GET"), method


def test_the_document_describes_the_page_as_html_served_without_a_key(page):
    operation = DOCUMENT["paths"]["/"]["get"]
    assert operation["security"] == []  # no x-api-key, unlike every other operation
    assert DOCUMENT["security"] == [{"apiKey": []}]
    assert page["statusCode"] in documented_statuses("/", "GET")
    assert list(operation["responses"]["200"]["content"]) == ["text/html"]
    assert "Content-Security-Policy" in operation["responses"]["200"]["headers"]


def test_a_missing_page_is_refused_naming_the_fix(tmp_path):
    with pytest.raises(playground.PageError, match=r"cannot be read .*carry serving/app/playground\.html"):
        playground.load_page(top_k=5, explain_terms=0, path=tmp_path / "playground.html")
