"""Views of the register's graph: case graphs (pyvis / vis-network) and timelines, drawn offline.

Each view is built once from the neutral nodes and edges the queries return, then rendered by the
templates in viz/templates: inside the register's pages, or as a self-contained file for a panel pack.
"""

from viz.casegraph import CaseGraphView, build_view
from viz.render import render_export
from viz.timeline import TimelineView, build_timeline

__all__ = ["CaseGraphView", "TimelineView", "build_timeline", "build_view", "render_export"]
