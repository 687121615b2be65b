"""Renders the graph model (model.yaml) as Markdown with a mermaid diagram, for docs/graph-model.md.

The generated part of that document sits between two markers and a test fails when it is stale:
regenerate with `python -m graph_schema.docs`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graph_schema.model import Vocabulary, vocabulary

BEGIN = "<!-- BEGIN GENERATED: python -m graph_schema.docs -->"
END = "<!-- END GENERATED -->"


def render(vocab: Vocabulary | None = None) -> str:
    v = vocab or vocabulary()
    m = v.model
    lines = [BEGIN, "", "```mermaid", "flowchart LR"]
    for rel in m.relationships.values():
        for a in rel.from_:
            for b in rel.to:
                lines.append(f"    {a} -->|{rel.name}| {b}")
    lines += ["```", "", "### Node labels", "", "| label | key | properties | indexed | sensitive | what |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for label, node in m.nodes.items():
        props = ", ".join(f"{k}: {t}" for k, t in node.properties.items())
        lines.append(
            f"| `{label}` | `{node.key}` | {props} | {', '.join(node.indexed + node.text) or '-'} | "
            f"{', '.join(node.sensitive) or '-'} | {node.description} |"
        )
    lines += ["", "### Relationship types", "", "| type | from | to | properties |", "| --- | --- | --- | --- |"]
    for rel in m.relationships.values():
        props = ", ".join(f"{k}: {t}" for k, t in rel.properties.items()) or "-"
        lines.append(f"| `{rel.name}` | {', '.join(rel.from_)} | {', '.join(rel.to)} | {props} |")
    lines += [
        "",
        f"Schema version {m.schema_version}. Provenance on every sourced node and relationship: "
        + ", ".join(f"`{p}`: {t}" for p, t in m.provenance_types.items())
        + ", written alike by the online load and the bulk import (`spr schema apply` on a register recorded "
        "at version 3 or earlier turns the text `ingested_at` a bulk import stored before into datetimes).",
        "",
        END,
    ]
    return "\n".join(lines)


def update(path: Path) -> bool:
    """Rewrite the generated block in path; return True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + render() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/graph-model.md")
    print("updated" if update(target) else "up to date", target)
