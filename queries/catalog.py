"""The catalog of Cypher queries: one ``.cypher`` file per query in ``queries/cypher``, shipped as
package data and read once with importlib.resources.

Each file opens with a ``//`` comment that lists its parameters and what it returns. Query text is
never built from input: values travel as ``$parameters`` and labels come from the schema.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import LiteralString

PACKAGE = "queries.cypher"
SUFFIX = ".cypher"
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class UnknownQuery(KeyError):
    """No query of that name in the catalog."""


@cache
def names() -> tuple[str, ...]:
    """Every query in the catalog, by name (the file name without ``.cypher``)."""
    root = resources.files(PACKAGE)
    return tuple(sorted(p.name[: -len(SUFFIX)] for p in root.iterdir() if p.name.endswith(SUFFIX)))


@cache
def load(name: str) -> LiteralString:
    """The text of one query. The files are part of the package, so the text is a literal in all but form."""
    if name not in names():
        raise UnknownQuery(name)
    # mypy reads LiteralString as str; the text is package data, never input.
    text: LiteralString = resources.files(PACKAGE).joinpath(name + SUFFIX).read_text(encoding="utf-8")
    return text


def header(name: str) -> str:
    """The opening ``//`` comment of a query (its parameters and what it returns)."""
    lines = []
    for line in load(name).splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


def parameters(name: str) -> frozenset[str]:
    """The ``$parameters`` the query body uses."""
    body = "\n".join(line for line in load(name).splitlines() if not line.lstrip().startswith("//"))
    return frozenset(_PARAM_RE.findall(body))
