"""Reading through the real PostgREST as an org owner: keyset pages of /rpc/list_errors, their
errors, and the statistics from the rollups after pg_cron's fold."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest

from workers import tokens


@pytest.fixture(scope="module")
def owner(api_server):
    """An organization with 120 groups (ties in last seen and in counts), and its owner's client."""
    base_url, secret, database_url = api_server
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'reads test')", [organization_id])
        conn.execute(
            """INSERT INTO app.system_errors (error_hash, error_type, severity, message, organization_id,
                                              occurrence_count, last_seen_at)
               SELECT md5(%(org)s || g), 'api',
                      (CASE WHEN g %% 3 = 0 THEN 'critical' ELSE 'error' END)::app.severity_enum,
                      'reads ' || g, %(org)s::uuid, 1 + g %% 17 * 40, now() - interval '7 seconds' * (g %% 31)
                 FROM generate_series(1, 120) AS g""", {"org": organization_id})
    token = tokens.mint(secret, "org_owner", timedelta(minutes=10), organization_id)
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client, organization_id, database_url
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in ("error_events", "error_metrics", "system_errors"):
            conn.execute(f"DELETE FROM app.{table} WHERE organization_id = %s", [organization_id])
        conn.execute("DELETE FROM app.organizations WHERE id = %s", [organization_id])


def pages(client: httpx.Client, body: dict, cursor_field: str, size: int) -> list[dict]:
    rows: list[dict] = []
    after: dict = {}
    while True:
        response = client.post("/rpc/list_errors", json={**body, **after, "max_results": size})
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page
        if len(page) < size:
            return rows
        after = {"after_id": page[-1]["id"], f"after_{cursor_field}": page[-1][cursor_field]}


def test_pages_of_the_newest_groups_follow_one_another_through_postgrest(owner):
    client, _, _ = owner
    rows = pages(client, {}, "last_seen_at", 16)
    everything = client.get("/error_groups", params={"select": "id,last_seen_at"}).json()
    expected = sorted(everything, key=lambda row: (row["last_seen_at"], row["id"]), reverse=True)
    assert [row["id"] for row in rows] == [row["id"] for row in expected]


def view_pages(client: httpx.Client, filters: dict, column: str, size: int) -> list[dict]:
    """Keyset pages of /error_groups as docs/cli-and-api.md tells API clients to read them: ordered by
    (column, id) descending, the next page after the last row's pair."""
    rows: list[dict] = []
    after: dict = {}
    while True:
        response = client.get("/error_groups", params={**filters, **after, "select": f"id,{column}",
                                                         "order": f"{column}.desc,id.desc", "limit": size})
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page
        if len(page) < size:
            return rows
        value, last_id = page[-1][column], page[-1]["id"]
        # the range an index condition, the tie on the cursor's value a filter of its first entries
        after = {column: f"lte.{value}", "or": f"({column}.lt.{value},id.lt.{last_id})"}


def test_keyset_pages_of_the_view_follow_one_another_in_every_documented_order(owner):
    client, _, _ = owner
    everything = client.get("/error_groups", params={"select": "id,last_seen_at,occurrence_count,severity"}).json()
    for column, filters, size in (("last_seen_at", {}, 16), ("occurrence_count", {"severity": "eq.critical"}, 7)):
        rows = view_pages(client, filters, column, size)
        wanted = [row for row in everything if not filters or row["severity"] == "critical"]
        expected = sorted(wanted, key=lambda row: (row[column], row["id"]), reverse=True)
        assert [row["id"] for row in rows] == [row["id"] for row in expected], column


def test_pages_by_most_events_filtered_by_severity_follow_one_another(owner):
    client, _, _ = owner
    rows = pages(client, {"sort": "events", "severity": "critical"}, "occurrence_count", 7)
    assert len(rows) == 40
    assert [(row["occurrence_count"], row["id"]) for row in rows] == sorted(
        ((row["occurrence_count"], row["id"]) for row in rows), reverse=True)


def test_a_bad_sort_or_an_incomplete_cursor_is_a_400_with_its_code(owner):
    client, _, _ = owner
    unknown = client.post("/rpc/list_errors", json={"sort": "oldest"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "QV001"
    incomplete = client.post("/rpc/list_errors", json={"after_id": str(uuid.uuid4())})
    assert incomplete.status_code == 400 and incomplete.json()["code"] == "QV002"


def test_statistics_after_a_fold_count_folded_and_newer_events_alike(owner):
    client, organization_id, database_url = owner
    with psycopg.connect(database_url, autocommit=True) as conn:
        hashes = [h for (h,) in conn.execute(
            "SELECT error_hash FROM app.system_errors WHERE organization_id = %s ORDER BY error_hash LIMIT 3",
            [organization_id])]
        # two hours ago (a backfill, so the rollups are rebuilt), then now
        conn.execute("""INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message)
                        SELECT now() - interval '2 hours', %s, h, 'api', 'reads' FROM unnest(%s::text[]) AS h""",
                     [organization_id, hashes])
        conn.execute("SELECT app.error_rollup_rebuild()")
        conn.execute("""INSERT INTO app.error_events (organization_id, error_hash, error_type, message)
                        VALUES (%s, %s, 'api', 'reads')""", [organization_id, hashes[0]])
    stats = client.post("/rpc/get_error_stats", json={"p_time_range": "24 hours"})
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert (body["total_events"], body["total_errors"]) == (4, 3)
    assert sum(bucket["events"] for bucket in body["series"]) == 4
