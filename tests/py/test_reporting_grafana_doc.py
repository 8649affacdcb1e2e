"""Every SQL query docs/grafana.md gives operators runs as `pgwarden_reader` over a demo week, with
Grafana's macros expanded the way Grafana's PostgreSQL data source expands them, and the panels get
rows: what the document promises works without code. (Grafana itself is not run here: see
docs/grafana.md.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from workers.demo.catalogue import FLAPPING, catalogue
from workers.settings import REPO_ROOT

GRAFANA_DOC = REPO_ROOT / "docs" / "grafana.md"


def documented_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GRAFANA_DOC.read_text(), flags=re.DOTALL)


def expand_grafana_macros(query: str, since: datetime, until: datetime, organizations: list[str]) -> str:
    """What Grafana sends for a dashboard over [since, until] with the `org` variable on All."""
    frm, to = f"'{since.isoformat()}'::timestamptz", f"'{until.isoformat()}'::timestamptz"
    query = re.sub(r"\$__timeFilter\(([^)]+)\)", rf"\1 BETWEEN {frm} AND {to}", query)
    query = query.replace("$__timeFrom()", frm).replace("$__timeTo()", to)
    return query.replace("$org", ", ".join(f"'{org}'" for org in organizations))


@pytest.fixture
def demo_week(db) -> list[str]:
    """The demo's organizations with a few errors captured and a backfilled week (app.demo_backfill)."""
    setup = db.execute("SELECT app.demo_setup(%s)", [Jsonb(catalogue("http://127.0.0.1:9"))]).fetchone()[0]
    organizations = [org["id"] for org in setup["organizations"]]
    for org in setup["organizations"]:
        project = org["projects"][0]["id"]
        db.execute("SELECT app.capture_batch(%s, %s, %s)", [org["id"], project, Jsonb([
            {"message": "card declined", "error_type": "stripe", "severity": "critical", "component": "checkout"},
            {"message": "search timed out", "error_type": "network", "severity": "error"}])])
        db.execute("SELECT app.demo_backfill(%s, 7, %s)", [org["id"], FLAPPING])
    db.execute("SELECT app.error_rollup_fold()")
    return organizations


def test_the_documented_queries_are_all_tested():
    assert len(documented_queries()) >= 9  # the org variable and eight panels


# the panels a demo week fills (incidents, deliveries and refusals need alerts sent and limits hit)
FILLED_BY_A_DEMO_WEEK = ["reporting.organizations", "reporting.errors_per_hour", "reporting.top_groups",
                         "reporting.uptime_per_day_between", "reporting.outages", "reporting.health_checks_per_hour"]


def test_every_documented_grafana_query_runs_as_the_reader_and_fills_its_panel(db, demo_week):
    now = datetime.now(UTC)
    db.execute("SET ROLE pgwarden_reader")
    db.execute("SET default_transaction_read_only = on")
    rows_of = {}
    for query in documented_queries():
        sql = expand_grafana_macros(query, now - timedelta(days=7), now, demo_week)
        try:
            rows_of[query] = db.execute(sql).fetchall()
        except psycopg.Error as error:
            pytest.fail(f"{error.sqlstate} {error}\n{sql}")
    for view in FILLED_BY_A_DEMO_WEEK:
        panels = [query for query in rows_of if re.search(re.escape(view) + r"\b", query)]
        assert panels, f"docs/grafana.md has no query of {view}"
        assert all(rows_of[query] for query in panels), f"no rows for {view}"
