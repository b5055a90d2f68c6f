"""The playground page served at ``GET /``: one self-contained HTML file, ``playground.html`` beside the code.

The page is read once, at import, with the request settings it sends filled in (``{{TOP_K}}`` and
``{{EXPLAIN}}``) and the route it sends them to (``{{CLASSIFY}}``, relative to the page's own path so
that it works at ``/`` locally and under a stage path), so that the API's limits and routes have one source
(``api_contract``, ``contracts.api``). Its inline script and
style are allowed by their SHA-256 hashes in the Content-Security-Policy: the page can run only its own
code and talk only to its own origin, which keeps a pasted text or an API key from going anywhere else.
"""

import base64
import hashlib
import os
import re
from typing import Any

from .contracts.api import CLASSIFY

PAGE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playground.html")
_INLINE = {
    "script-src": re.compile(r"<script>(.*?)</script>", re.S),
    "style-src": re.compile(r"<style>(.*?)</style>", re.S),
}


class PageError(RuntimeError):
    """``playground.html`` is missing or unreadable: a packaging mistake, named with its fix."""


def load_page(top_k: int, explain_terms: int, path: str | os.PathLike = PAGE_PATH) -> str:
    """The page with its settings filled in; ``explain_terms`` 0 makes it ask for no explanation."""
    try:
        with open(path, encoding="utf-8") as stream:
            template = stream.read()
    except OSError as error:
        raise PageError(
            f"{path} cannot be read ({error}): the image must carry serving/app/playground.html beside "
            "handler.py (the Dockerfile copies the folder; .dockerignore must let the file in); restore the "
            "file from git."
        ) from error
    settings = {"{{TOP_K}}": str(top_k), "{{EXPLAIN}}": str(explain_terms), "{{CLASSIFY}}": CLASSIFY[1:]}
    for placeholder, value in settings.items():
        template = template.replace(placeholder, value)
    return template


def content_security_policy(page: str) -> str:
    """Nothing but the page's own inline script and style, and requests to its own origin."""
    sources = {
        directive: " ".join(f"'sha256-{_digest(block)}'" for block in pattern.findall(page))
        for directive, pattern in _INLINE.items()
    }
    return (
        f"default-src 'none'; script-src {sources['script-src']}; style-src {sources['style-src']}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _digest(block: str) -> str:
    return base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii")


def html_response(page: str, policy: str) -> dict[str, Any]:
    """An API Gateway proxy response carrying the page and its security headers."""
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
        "body": page,
        "isBase64Encoded": False,
    }
