"""The API documents itself: PostgREST's OpenAPI document carries each api function's comment, its
first line as the operation's summary and the rest (parameters, error codes, example) as its description."""

from __future__ import annotations

from datetime import timedelta

import httpx
import psycopg

from workers import tokens


def function_comments(database_url: str) -> dict[str, tuple[str, list[str]]]:
    """'/rpc/<name>' -> (the function's comment, its named input parameters), from the catalogue."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("""
            SELECT '/rpc/' || p.proname, obj_description(p.oid, 'pg_proc'),
                   coalesce((SELECT array_agg(a.name) FROM unnest(p.proargnames, p.proargmodes) AS a(name, mode)
                              WHERE coalesce(a.mode, 'i') IN ('i', 'b', 'v') AND a.name <> ''), '{}')
              FROM pg_proc p WHERE p.pronamespace = 'api'::regnamespace""").fetchall()
    return {path: (comment, names) for path, comment, names in rows}


def test_every_rpc_in_the_openapi_document_has_its_summary_and_a_description_with_parameters_errors_and_example(
        api_server):
    base_url, secret, database_url = api_server
    admin = {"Authorization": f"Bearer {tokens.mint(secret, 'system_admin', timedelta(minutes=5))}"}
    paths = httpx.get(base_url + "/", headers=admin).json()["paths"]
    comments = function_comments(database_url)
    rpc_paths = [path for path in paths if path.startswith("/rpc/")]
    assert len(rpc_paths) == len(comments), "a system admin's document lists every api function"
    for path in rpc_paths:
        operation = paths[path]["post"]
        comment, parameters = comments[path]
        summary, _, description = comment.partition("\n\n")
        assert operation["summary"] == summary, path
        assert operation["description"] == description, path
        assert "\nErrors: " in "\n" + description and "\nExample: " in "\n" + description, path
        for name in parameters:
            assert f"- {name}: " in description, (path, name)
