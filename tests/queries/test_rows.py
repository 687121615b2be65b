"""queries._common.rows: the one-pass conversion of records gives what native(record.data()) gave."""

from __future__ import annotations

from datetime import date, datetime, time

from queries._common import native, rows
from spr.db import Database

# Every kind of value a query returns, nested in lists and maps: converted in the one pass.
VALUES = """
RETURN 1 AS int, 1.5 AS float, 'x' AS text, true AS flag, null AS nothing, [1, 'two', null] AS mixed,
       date('2024-02-29') AS day, datetime('2024-01-05T12:00:00Z') AS stamp,
       datetime('2024-06-01T09:30:00+01:00[Europe/London]') AS zoned, localdatetime('2024-01-05T12:00:00') AS local,
       time('12:00:00Z') AS clock, localtime('08:15:00') AS local_clock, duration('P1Y2M3DT4H') AS span,
       point({x: 1.0, y: 2.0}) AS where,
       {at: date('2024-03-01'), list: [date('2024-03-02'), {deep: datetime('2024-03-03T00:00:00Z')}]} AS nested,
       [[date('2024-04-01')], []] AS lists, {} AS empty_map, [] AS empty_list
"""
# Nodes, relationships and paths: left to the driver's own conversion (Record.data).
GRAPH = """
CREATE (a:Agency {code: 'ZZ', name: 'Z', opened: date('2020-01-02')})-[r:ROUTED_TO {since: date('2021-03-04')}]->
       (b:Agency {code: 'YY'})
WITH a, r, b
MATCH path = (a)-[r]->(b)
RETURN date('2024-02-29') AS day, a AS node, r AS rel, path AS path, [a, b] AS nodes, {node: a} AS node_in_map
"""


def test_rows_give_what_the_drivers_conversion_gave(db: Database) -> None:
    converted = []
    for query in (VALUES, GRAPH):
        records = db.driver.execute_query(query, database_=db.database).records
        assert rows(records) == [native(r.data()) for r in records]
        converted.append(rows(records)[0])
    values, graph = converted
    assert type(values["day"]) is date and values["day"] == date(2024, 2, 29)
    assert isinstance(values["stamp"], datetime) and values["stamp"].tzinfo is not None
    assert isinstance(values["local_clock"], time)
    assert isinstance(values["nested"]["list"][1]["deep"], datetime)
    assert type(values["lists"][0][0]) is date
    assert graph["node"] == {"code": "ZZ", "name": "Z", "opened": date(2020, 1, 2)}
    assert graph["node_in_map"] == {"node": graph["node"]}
