"""Every text argument of every api function, given a hostile string by a system admin or an org
owner through a real PostgREST, is answered with success or a refusal of ours: a registered Q code (or PostgREST's
own PGRST code, or 42501 for an api function the role may not call), never an error PostgreSQL raised
on the way (22011 from a parser's substring, 22023 from reading a JSON scalar as an object, 22001
from a name longer than its column). The other arguments hold real ids, so the strings reach the
functions' bodies. (A NUL character is refused by PostgreSQL's JSON reader before any function
runs, 22P05: tests/py/test_bad_input.py covers it.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import psycopg
import pytest

from tests.conftest import postgrest_over_clone
from workers import tokens

HOSTILE = ["", " ", "!", ":", "->", "a:b ->", '"', "x" * 300, "{{", "}}", "-1", "9" * 30, "'; --", "%", "\\",
           "null", "[]", "P1Y", "\u202e\u00e9"]
TEXT_TYPES = {"text", "character varying", "jsonb", "json"}


@pytest.fixture(scope="module")
def hostile_answers(pg_cluster, template_database) -> Iterator[list[tuple[str, str, str, httpx.Response]]]:
    """(function, argument, value, answer) for each hostile value of each text argument and each of
    the two roles (an org owner's helpers need grants of their own); on a
    PostgREST of its own, as what the values create (organizations, rules) must not reach other tests."""
    with postgrest_over_clone(pg_cluster, template_database) as (base_url, secret, database_url):
        with psycopg.connect(database_url, autocommit=True) as conn:
            (org_id,) = conn.execute("INSERT INTO app.organizations (name) VALUES ('hostile') RETURNING id").fetchone()
            (project_id,) = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'hostile')"
                                         " RETURNING id", [org_id]).fetchone()
            functions = conn.execute(
                "SELECT p.proname, a.name, format_type(a.type, NULL) FROM pg_proc p,"
                " unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) AS a (name, type)"
                " WHERE p.pronamespace = 'api'::regnamespace ORDER BY 1").fetchall()
        arguments: dict[str, dict[str, str]] = {}
        for function, name, type_name in functions:
            arguments.setdefault(function, {})[name] = type_name
        real = {"uuid": str(org_id), "bigint": project_id, "integer": 1, "boolean": True, "uuid[]": [str(org_id)]}
        roles = [{"Authorization": "Bearer " + tokens.mint(secret, role, timedelta(minutes=30), org_id)}
                 for role, org_id in (("system_admin", None), ("org_owner", str(org_id)))]
        answers = []
        with httpx.Client(timeout=30) as client:
            for function, typed in sorted(arguments.items()):
                base = {name: real[type_name] for name, type_name in typed.items() if type_name in real}
                texts = [name for name, type_name in typed.items() if type_name in TEXT_TYPES]
                for name in texts:
                    for value in HOSTILE:
                        body = {**base, **{text: f"t-{uuid.uuid4().hex[:6]}" for text in texts}, name: value}
                        answers += [(function, name, value, client.post(f"{base_url}/rpc/{function}", json=body,
                                                                        headers=headers)) for headers in roles]
        yield answers


def test_hostile_text_arguments_are_answered_with_our_codes_never_postgresqls(hostile_answers):
    assert len(hostile_answers) > 1000  # every function's text arguments were tried, in both roles
    foreign = []
    for function, name, value, answer in hostile_answers:
        assert answer.status_code < 500, (function, name, value, answer.text[:300])
        if answer.status_code >= 400:
            code = answer.json()["code"]
            # 42501 only for the api function itself (the role may not call it), never for a helper it calls
            denied_itself = code == "42501" and answer.json()["message"] == f"permission denied for function {function}"
            if not (code.startswith(("Q", "PGRST")) or denied_itself):
                foreign.append(f"{function}({name}={value[:20]!r}): {answer.status_code} {code} {answer.text[:120]}")
    assert foreign == []
