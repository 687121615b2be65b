"""Rendering views to HTML: the shared templates, the local script and style files, and the static export.

The vis-network script is the copy shipped inside the pyvis package: pages serve it from the register,
exports carry it inline. pyvis's own page template is not used, because its "in_line" mode still loads
Bootstrap from a CDN; the templates here are the register's own files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pyvis
from jinja2 import Environment, PackageLoader, select_autoescape

from viz.casegraph import CaseGraphView
from viz.timeline import TimelineView

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"
VIS_VERSION = "9.1.2"
VENDOR_FILES = {
    "vis-network.min.js": Path(pyvis.__file__).parent
    / "templates"
    / "lib"
    / f"vis-{VIS_VERSION}"
    / "vis-network.min.js"
}


def vendor_file(name: str) -> Path | None:
    """A third-party file the pages load (served locally, never from a CDN)."""
    return VENDOR_FILES.get(name)


def static_file(name: str) -> Path | None:
    """One of viz's own script and style files, or None."""
    path = (STATIC_DIR / name).resolve()
    return path if path.parent == STATIC_DIR.resolve() and path.is_file() else None


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("viz", "templates"), autoescape=select_autoescape(default=True))


def _inline_script(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise ValueError(f"{path.name} cannot be inlined: it contains a closing script tag")
    return text


def render_export(
    graph: CaseGraphView,
    timeline: TimelineView,
    *,
    redacted: bool,
    generated_by: str | None = None,
    generated: datetime | None = None,
) -> str:
    """One self-contained HTML file (graph, timeline, scripts and styles inline): for a panel pack."""
    vis_js = VENDOR_FILES["vis-network.min.js"]
    return (
        environment()
        .get_template("export.html")
        .render(
            graph=graph,
            timeline=timeline,
            redacted=redacted,
            generated_by=generated_by,
            generated=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
            css=(STATIC_DIR / "viz.css").read_text(encoding="utf-8"),
            vis_js=_inline_script(vis_js),
            app_js=_inline_script(STATIC_DIR / "casegraph.js"),
            person_link=None,
            person_url_template=None,
        )
    )
