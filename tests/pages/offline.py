"""The offline rule, as a check any test can run on a page: nothing may be fetched from outside."""

from __future__ import annotations

import re

# Places a page loads or links a resource from: attributes, CSS url() and @import, JS import.
_EXTERNAL = [
    re.compile(r"""\b(?:src|href|action|srcset|data|poster|formaction)\s*=\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""\bimport\s*(?:\(|[^;'"]*from\s*)\s*["'](?:https?:)?//""", re.I),
]


def external_references(html: str) -> list[str]:
    """Every place the page would reach outside its own server (empty when the page is offline-safe)."""
    found = []
    for pattern in _EXTERNAL:
        for m in pattern.finditer(html):
            found.append(html[max(0, m.start() - 40) : m.end() + 60])
    return found


def assert_offline(html: str, what: str) -> None:
    refs = external_references(html)
    assert not refs, f"{what} reaches outside: {refs[:3]}"
