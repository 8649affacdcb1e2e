"""One error shape: app.problem builds {code, message, details, hint} with the HTTP status the
registry holds for its code; PostgREST and pgwarden web answer with it; one Retry-After for the
refusals that do not compute their own wait; no route answers Relay's {detail}."""

from __future__ import annotations

import json
import re

import psycopg
import pytest

from workers.settings import REPO_ROOT
from workers.web.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS


def problem(db, *args) -> dict:
    return db.execute("SELECT app.problem(%s, %s, %s, %s, %s)", list(args)).fetchone()[0]


def test_a_problem_carries_the_status_its_code_is_registered_with(db):
    assert problem(db, "QR801", "too many", "At most 10.", "Wait.", 7) == {
        "code": "QR801", "message": "too many", "details": "At most 10.", "hint": "Wait.", "retry_after": 7,
        "http_status": 429}
    assert problem(db, "QA601", "key not accepted", None, None, None) == {
        "code": "QA601", "message": "key not accepted", "http_status": 403}
    for code, status in db.execute("SELECT code, http_status FROM app.error_code").fetchall():
        answered = problem(db, code, "m", None, None, None)
        assert answered["http_status"] == status
        # every 429 (and the 503) says when to try again
        assert answered.get("retry_after") == (RETRY_AFTER_SECONDS if status in (429, 503) else None), code


def test_a_raised_problem_reaches_postgrest_with_its_status_and_retry_after(db):
    with pytest.raises(psycopg.Error) as raised:
        db.execute("SELECT app.raise_problem(app.problem('QR801', 'too many', 'd', 'h', 9), '{\"X-Extra\": \"1\"}')")
    assert raised.value.sqlstate == "PGRST"
    assert json.loads(raised.value.diag.message_primary) == {"code": "QR801", "message": "too many", "details": "d",
                                                           "hint": "h"}
    assert json.loads(raised.value.diag.message_detail) == {"status": 429,
                                                          "headers": {"X-Extra": "1", "Retry-After": "9"}}


def test_a_400_problem_is_raised_with_its_own_sqlstate(db):
    with pytest.raises(psycopg.Error) as raised:
        db.execute("SELECT app.raise_http('QV001', 'bad', 'Field: x.', 'Send y.')")
    assert (raised.value.sqlstate, raised.value.diag.message_detail, raised.value.diag.message_hint) == \
        ("QV001", "Field: x.", "Send y.")


def test_retry_after_is_one_setting_for_sql_and_pgwarden_web(db):
    assert db.execute("SELECT app.retry_after_seconds()").fetchone()[0] == RETRY_AFTER_SECONDS
    with pytest.raises(psycopg.Error) as raised:
        db.execute("SELECT app.raise_statement_timeout()")
    assert json.loads(raised.value.diag.message_detail)["headers"] == {"Retry-After": str(RETRY_AFTER_SECONDS)}


def test_database_unavailable_is_a_registered_503(db):
    assert db.execute("SELECT app.error_http_status(%s)", [DATABASE_UNAVAILABLE]).fetchone()[0] == 503


def test_no_web_route_answers_in_another_shape():
    # Relay's {"detail": ...} and hand-written Retry-After values are gone from pgwarden web
    for path in (REPO_ROOT / "workers" / "web").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"""["']detail["']\s*:""", text), path
        assert not re.search(r"""["']Retry-After["']\s*:\s*["']\d+["']""", text), path


ONE_HANDLER = ("EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000'"
               " OR SQLSTATE 'QA000' THEN\n"
               "  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,\n"
               "    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;\n"
               "  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);")


def test_api_functions_hand_every_q_class_to_raise_http_in_one_handler():
    # a handler that left a class out would answer its codes with PostgREST's 400, not the registry's status
    handlers = 0
    for path in (REPO_ROOT / "db" / "functions" / "api").glob("*.sql"):
        text = path.read_text()
        for caught in re.findall(r"EXCEPTION WHEN SQLSTATE 'Q.*?;\n.*?;", text, flags=re.S):
            handlers += 1
            assert caught == ONE_HANDLER, f"{path.name}: {caught[:120]}"
    assert handlers > 20
