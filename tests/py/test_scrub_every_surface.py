"""Every stored surface is scrubbed: secrets sent through every ingest path (PostgREST single and
batch captures, raw Sentry envelopes with every item type, the real sentry-sdk, the error
webhook) are absent from a full data dump, while a harmless control sent in the same field is
stored. The columns are read from the catalog for every table ingest wrote, so a new column or
table is either reached by this test or named below with the reason it cannot hold a secret. It
runs under the default personal-data policy (e-mail and IP addresses and user ids hashed) and with
user ids kept, where a user id is stored, scrubbed, as sent."""

from __future__ import annotations

import json
import textwrap
import uuid

import httpx
import pytest
from scrub_support import Canaries, data_dump
from web_server import Project, WebServer, run_python

from tests.conftest import running_postgrest

pytest_plugins = ["web_server"]

# Text columns of tables ingest writes that hold no text a client chose, and why; checked below.
NOT_CLIENT_TEXT = {
    "error_events.error_hash": "hash", "system_errors.error_hash": "hash", "error_event_ids.error_hash": "hash",
    "error_metrics.error_hash": "hash", "error_events.grouping_hash": "hash",
    # names and version numbers of app.user_agent_rule, parsed from the user agent as stored
    "error_events.browser": "user agent rule", "error_events.os": "user agent rule",
    "error_events.device_type": "user agent rule", "system_errors.browser": "user agent rule",
    "system_errors.os": "user agent rule", "system_errors.device_type": "user agent rule",
    "cron_check_ins.check_in_id": "hex digits only", "cron_check_ins.status": "one of a fixed set",
    "user_error_reports.link_reason": "one of a fixed set",
    "client_sessions.status": "one of a fixed set", "derivation_cache.kind": "one of a fixed set",
    # what the capture trigger enqueues: a job kind, ids and the transition
    "job.kind": "job", "job.payload": "job", "job.idempotency_key": "job", "job.locked_by": "job",
    "job.last_error": "job", "job.failures": "job", "job_key.kind": "job", "job_key.idempotency_key": "job",
    # a new group's analysis run, queued by capture: a hash, fixed sets, the provider's settings
    "ai_analysis_run.error_hash": "hash", "ai_analysis_run.trigger": "one of a fixed set",
    "ai_analysis_run.provider": "one of a fixed set", "ai_analysis_run.model": "AI provider setting",
    # written by people and jobs after ingest, never by it
    "ai_analysis_run.analysis": "not ingest", "ai_analysis_run.reason": "not ingest",
    "system_errors.ai_analysis": "not ingest", "system_errors.ai_suggestion": "not ingest",
    "user_error_reports.steps_to_reproduce": "not ingest", "user_error_reports.expected_behavior": "not ingest",
    "user_error_reports.actual_behavior": "not ingest", "user_error_reports.screenshot_urls": "not ingest",
    "user_error_reports.resolution_notes": "not ingest",
    # the report widget's and tokens' (POST /rpc/submit_report), not Sentry feedback's
    "user_error_reports.session_id": "not ingest", "user_error_reports.request_id": "not ingest",
    "error_group_releases.error_hash": "hash",
    # set by a person resolving in the next release, or from a deploy (api.record_deploy)
    "system_errors.resolved_in_release": "not ingest", "system_errors.suspect_release": "not ingest",
}
# Client text stored again from a column already scrubbed: an event's environment and release are
# generated from its scrubbed metadata (db/schema/376_releases.sql); where each group was seen and
# the organization's releases copy them from the event; the message search copies a group's message.
COPIED_FROM_SCRUBBED = {
    "error_events.environment": "error_events.metadata", "error_events.release": "error_events.metadata",
    "error_group_releases.environment": "error_events.environment",
    "error_group_releases.release": "error_events.release", "releases.version": "error_events.release",
    "error_messages.message": "system_errors.message",  # the message search's copy (368_error_search.sql)
}
# Contact details a person types into a report so they can be answered: kept as typed.
KEPT_AS_TYPED = {"user_error_reports.reporter_email", "user_error_reports.reporter_name"}
# User ids: under the default personal-data policy each is stored as a hash token of the whole id
# ([user:…], db/functions/app/315_personal_data.sql), so its control is found only when ids are kept.
USER_ID_COLUMNS = {"error_events.user_id", "client_sessions.distinct_id"}
# The organization's policy for user ids (e-mail and IP addresses are hashed, the default, in both).
USER_ID_POLICIES = {"hashed (the default)": "hash", "kept": "keep"}


@pytest.fixture(scope="module")
def api(web_server) -> str:
    with running_postgrest(web_server.database_url) as (base_url, _secret):
        yield base_url


def table_sizes(server: WebServer) -> dict[str, int]:
    [(sizes,)] = server.query("""
        SELECT jsonb_object_agg(c.relname, (xpath('/row/n/text()', query_to_xml(
                 format('SELECT count(*) AS n FROM app.%%I', c.relname), false, true, '')))[1]::text::bigint)
          FROM pg_class c
         WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition""")
    return sizes


def text_columns(server: WebServer, tables: set[str]) -> set[str]:
    rows = server.query("""
        SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_schema = 'app' AND table_name = ANY (%s)
           AND (data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
                OR (data_type = 'ARRAY' AND udt_name IN ('_text', '_varchar')))""", [sorted(tables)])
    return {name for (name,) in rows}


def envelope(event_id: str, *items: tuple[dict, dict]) -> bytes:
    lines = [json.dumps({"event_id": event_id})]
    for headers, payload in items:
        lines += [json.dumps(headers), json.dumps(payload)]
    return ("\n".join(lines) + "\n").encode()


# == What each path sends ==

def send_captures(api: str, project: Project, c: Canaries) -> None:
    """/rpc/capture_error (the single fast path, and one through the batch core) and /rpc/capture_errors."""
    key = {"X-Pgwarden-Key": project.public_key}

    def event(path: str) -> dict:
        s = c.at(path)

        def ctl(field: str) -> str:  # into the event and its new group
            return s.control(f"error_events.{field}", f"system_errors.{field}")
        return {
            "error_type": "javascript",
            "message": f"{ctl('message')} failed: {s.pair()} {s.card()} {s.iban(True)}",
            "stack_trace": (f"TypeError: {ctl('stack_trace')} {s.pair('token', ': ')}\n"
                            # (a new group's related-errors document names its frames)
                            f"    at {s.control('derivation_cache.result', 'error_similarity.document')} "
                            f"(https://shop.test/app.js:1:2)\n"
                            f"    {s.pem()}"),
            "component": f"/reset/{ctl('component')}?{s.pair()}",
            "file_path": f"/srv/{ctl('file_path')}.js {s.vendor_key('google')}",
            "url": f"https://shop.test/{ctl('url')}?note=Bearer+{s.secret()}&c={s.card('+')}&{s.pair('api_key')}",
            "user_agent": f"Mozilla/5.0 {ctl('user_agent')} {s.vendor_key('openai')}",
            "user_id": f"{s.control('error_events.user_id')} {s.card('.')}",
            "request_id": f"{ctl('request_id')} {s.pair('pwd')}",
            "session_id": f"{ctl('session_id')} {s.ssn()}",
            "message_template": f"{s.control('error_events.message_template')} {s.spaced_secret()}",
            "metadata": {"note": ctl("metadata"), "db": {"password": s.secret()}, "card": int(s.card_digits()),
                         "deep": {"er": [{"iban": s.iban()}]},
                         "headers": [["Authorization", "Basic " + s.secret()], ["Cookie", "sid=" + s.secret()]]},
        }
    assert httpx.post(api + "/rpc/capture_error", json=event("capture_error"), headers=key).is_success
    s = c.at("capture_error with frames")
    framed = {**event(s.where), "fingerprint": [s.control("error_events.fingerprint"), s.vendor_key("anthropic")],
              "frames": [{"filename": "/srv/app/pay.js", "function": s.control("error_events.frames"), "in_app": True,
                          "vars": {"card": s.card(), "secret": s.secret()}}]}
    assert httpx.post(api + "/rpc/capture_error", json=framed, headers=key).is_success
    batch = {"events": [event("capture_errors 1"), event("capture_errors 2")]}
    response = httpx.post(api + "/rpc/capture_errors", json=batch, headers=key)
    assert response.is_success and all(item["error"] is None for item in response.json()), response.text


def send_envelopes(server: WebServer, project: Project, c: Canaries) -> None:
    """Raw envelopes: an event with every field the mapping reads, a logging event, feedback,
    user_report, session, sessions, check_in, client_report and an item type pgwarden drops."""
    s = c.at("envelope")
    ctl = s.control
    event_id = uuid.uuid4().hex
    event = {
        "event_id": event_id, "platform": "python", "level": "error",
        "release": f"shop@{ctl('ai_analysis_run.release')}",  # (a new group's analysis run records its release)
        "transaction": f"/reset/{ctl('error_events.component')}?{s.pair()}",
        "exception": {"values": [
            {"type": "KeyError", "value": f"{ctl('error_events.stack_trace', 'error_events.exceptions')} {s.ssn()}",
             "stacktrace": {"frames": [{"filename": f"/srv/lookup.py {s.pair('secret')}", "function": "find",
                                        "lineno": 7, "in_app": True, "vars": {"token": s.secret()}}]}},
            {"type": "ValueError", "value": f"{ctl('error_events.message')} {s.bearer()}",
             "stacktrace": {"frames": [{"filename": f"/srv/{ctl('error_events.file_path')}.py {s.pair('secret')}",
                                        "function": "charge", "lineno": 3, "in_app": True,
                                        "vars": {"password": s.secret(), "note": s.card()}}]}}]},
        "request": {"url": f"https://shop.test/{ctl('error_events.url')}?{s.pair('token')}",
                    "method": "POST", "query_string": s.pair("access_token"),
                    "headers": [["Authorization", "Basic " + s.secret()], ["X-Auth-Token", s.secret()],
                                ["Cookie", "session=" + s.secret()],
                                ["User-Agent", f"Mozilla {ctl('error_events.user_agent')} {s.vendor_key('gitlab')}"],
                                ["X-Request-Id", f"{ctl('error_events.request_id')} {s.vendor_key('npm')}"]]},
        "user": {"id": f"{ctl('error_events.user_id')} {s.card('')}"},
        "fingerprint": [ctl("error_events.fingerprint"), s.vendor_key("twilio")],
        "tags": {"note": ctl("error_events.metadata"), "maps": s.vendor_key("google")},
        "extra": {"ssn": s.ssn(), "card_number": int(s.card_digits()), "iban": s.iban(True),
                  "deep": {"a": {"b": [{"c": s.vendor_key("sendgrid")}]}}},
        "breadcrumbs": {"values": [{"message": s.pair("pwd", " = "), "data": {"hook": s.vendor_key("slack")}}]},
    }
    ssn = s.ssn(" ")
    logging_event = {"platform": "python", "level": "error", "logger": "billing",
                     "logentry": {"message": f"{ctl('error_events.message_template')} %s", "params": [ssn],
                                  "formatted": f"charge failed {ssn}"}}
    feedback = {"contexts": {"feedback": {
        "message": f"{ctl('user_error_reports.description', 'user_error_reports.title')} {s.pair()} {s.card()}",
        "contact_email": ctl("user_error_reports.reporter_email") + "@example.com",
        "name": ctl("user_error_reports.reporter_name"),
        "url": f"https://shop.test/{ctl('user_error_reports.url')}?{s.pair('token')}",
        "associated_event_id": event_id}},
        "request": {"headers": {"User-Agent": f"{ctl('user_error_reports.browser_info')} {s.bearer()}"}},
        "release": s.vendor_key("whsec")}
    user_report = {"event_id": event_id, "name": "Joe", "email": "joe@example.com",
                   "comments": f"{ctl('user_error_reports.description')} {s.iban()} {s.pair('password', ': ')}"}
    session = {"sid": f"{ctl('client_sessions.sid')} {s.pair('token')}",
               "did": f"{ctl('client_sessions.distinct_id')} {s.card()}", "status": "ok",
               "started": "2026-11-28T13:57:14Z", "timestamp": "2026-11-28T13:58:14Z",
               "attrs": {"release": f"{ctl('client_sessions.release')} {s.vendor_key('aws')}",
                         "environment": f"{ctl('client_sessions.environment')} {s.ssn()}"}}
    sessions = {"aggregates": [{"started": "2026-11-28T13:00:00Z", "exited": 3}],
                "attrs": {"release": f"{ctl('client_session_aggregates.release')} {s.vendor_key('jwt')}",
                          "environment": f"{ctl('client_session_aggregates.environment')} {s.pair('pwd')}"}}
    check_in = {"check_in_id": uuid.uuid4().hex, "status": "ok", "duration": 1.5,
                "monitor_slug": f"{ctl('cron_check_ins.monitor_slug')} {s.vendor_key('google')}",
                "environment": f"{ctl('cron_check_ins.environment')} {s.ssn()}",
                "release": f"{ctl('cron_check_ins.release')} {s.iban()}",
                "monitor_config": {"schedule": {"type": "crontab", "value": "* * * * *"}, "token": s.secret(),
                                   "note": f"{ctl('cron_check_ins.monitor_config')} {s.card()}"}}
    client_report = {"timestamp": "2026-11-28T13:57:14Z", "discarded_events": [
        {"reason": f"{ctl('client_discards.reason')} {s.pair()}",
         "category": f"{ctl('client_discards.category')} {s.card('-')}", "quantity": 2}]}
    dropped_type = f"{ctl('dropped_items.item_type')} {s.pair('token')}"
    # (one event per envelope: the envelope's event_id names it)
    for body in (envelope(event_id, ({"type": "event"}, event)),
                 envelope(uuid.uuid4().hex, ({"type": "event"}, logging_event)),
                 envelope(uuid.uuid4().hex, ({"type": "feedback"}, feedback), ({"type": "user_report"}, user_report),
                          ({"type": "session"}, session), ({"type": "sessions"}, sessions),
                          ({"type": "check_in"}, check_in), ({"type": "client_report"}, client_report),
                          ({"type": dropped_type}, {"x": 1}))):
        response = httpx.post(f"{server.base_url}/api/{project.id}/envelope/", content=body, timeout=30,
                              headers={"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"})
        assert response.status_code == 200, response.text


def send_with_the_sdk(project: Project, c: Canaries) -> None:
    """The real sentry-sdk: tags, user, extra, contexts, local variables, a chained exception,
    logging parameters, a check-in, a session and a user report."""
    s = c.at("sentry-sdk")
    ctl = s.control
    values = {
        "release": f"shop@{ctl('client_sessions.release')}",
        "tag": f"{ctl('error_events.metadata')} {s.vendor_key('google')}",
        "user_id": f"{ctl('error_events.user_id', 'client_sessions.distinct_id')} {s.iban()}",
        "extra": s.ssn(), "number": int(s.card_digits()), "context": s.iban(True),
        "local": s.card(), "cause": s.ssn(), "raised": f"{ctl('error_events.message')} {s.bearer()}",
        "log_param": s.ssn(), "log_template": ctl("error_events.message_template") + " %s",
        "slug": f"{ctl('cron_check_ins.monitor_slug')}-job", "monitor_token": s.secret(),
        "comments": f"{ctl('user_error_reports.description')} {s.card('.')}",
    }
    run_python(textwrap.dedent(f"""
        import logging
        import sentry_sdk
        from sentry_sdk.crons import capture_checkin
        from sentry_sdk.envelope import Envelope, Item, PayloadRef
        v = {values!r}
        sentry_sdk.init(dsn={project.dsn!r}, release=v["release"], include_local_variables=True)
        sentry_sdk.set_tag("maps", v["tag"])
        sentry_sdk.set_user({{"id": v["user_id"]}})
        sentry_sdk.set_extra("ssn", v["extra"])
        sentry_sdk.set_extra("card", v["number"])
        sentry_sdk.set_context("billing", {{"iban": v["context"]}})
        sentry_sdk.get_isolation_scope().start_session()
        def charge(card):
            try:
                raise KeyError(v["cause"])
            except KeyError as cause:
                raise ValueError(v["raised"]) from cause
        try:
            charge(v["local"])
        except ValueError:
            event_id = sentry_sdk.capture_exception()
        logging.getLogger("billing").error(v["log_template"], v["log_param"])
        sentry_sdk.get_isolation_scope().end_session()
        schedule = {{"type": "crontab", "value": "0 * * * *"}}
        capture_checkin(monitor_slug=v["slug"], status="ok",
                        monitor_config={{"schedule": schedule, "token": v["monitor_token"]}})
        report = {{"event_id": event_id, "name": "Jane", "email": "jane@example.com", "comments": v["comments"]}}
        envelope = Envelope(headers={{"event_id": "f" * 32}})
        envelope.add_item(Item(payload=PayloadRef(json=report), type="user_report"))
        sentry_sdk.get_client().transport.capture_envelope(envelope)
        sentry_sdk.flush(timeout=10)
    """))


def send_webhooks(server: WebServer, secret: str, c: Canaries) -> None:
    """The error webhook: the spec's shape, a Vercel log drain entry and a Cloudflare tail event."""
    s = c.at("webhook")
    ctl = s.control
    spec = {"source": "custom", "error": {
        "message": f"{ctl('error_events.message')} {s.pair()}",
        "stack": f"Error: {ctl('error_events.stack_trace')} {s.card()}\n    at run (job.js:3:9)",
        "component": f"{ctl('error_events.component')} {s.vendor_key('whsec')}",
        "file_path": f"{ctl('error_events.file_path')} {s.ssn()}",
        "url": f"https://shop.test/{ctl('error_events.url')}?{s.pair('secret')}",
        "user_agent": f"{ctl('error_events.user_agent')} {s.bearer()}",
        "request_id": f"{ctl('error_events.request_id')} {s.iban()}",
        "session_id": f"{ctl('error_events.session_id')} {s.pair('pwd')}",
        "fingerprint": [ctl("error_events.fingerprint"), s.card("-")],
        "metadata": {"note": ctl("error_events.metadata"), "card": int(s.card_digits()),
                     "credentials": {"user": "x", "key": s.secret()}}}}
    vercel = {"id": uuid.uuid4().hex, "message": f"{ctl('error_events.message')} {s.vendor_key('gitlab')}",
              "timestamp": 1795874290000, "type": "stderr", "source": "lambda", "projectId": "prj_1", "level": "error",
              "requestId": f"{ctl('error_events.request_id')} {s.pair('token')}", "statusCode": 500,
              "proxy": {"host": "shop.example.com", "path": f"/{ctl('error_events.url')}?{s.pair('auth')}",
                        "userAgent": [f"Mozilla/5.0 {s.vendor_key('npm')}"], "statusCode": 500}}
    cloudflare = {"scriptName": f"{ctl('error_events.component')}-worker", "outcome": "exception",
                  "eventTimestamp": 1795874291000,
                  "event": {"request": {"url": f"https://shop.test/{ctl('error_events.url')}?{s.pair('key_token')}"}},
                  "exceptions": [{"name": "Error", "message": f"{ctl('error_events.message')} {s.ssn()}",
                                  "stack": f"Error\n  at pay ({ctl('error_events.stack_trace')}.js:1:1) {s.bearer()}"}]}
    for body in (spec, [vercel], [cloudflare]):
        response = httpx.post(server.base_url + "/functions/v1/error-webhook", json=body, timeout=30,
                              headers={"X-Webhook-Secret": secret})
        assert response.status_code == 200 and response.json()["accepted"] >= 1, response.text


# == The test ==

@pytest.mark.parametrize("user_ids", USER_ID_POLICIES.values(), ids=USER_ID_POLICIES.keys())
def test_no_secret_sent_through_any_ingest_path_is_stored_in_any_column(web_server, api, user_ids):
    project = web_server.new_project()
    web_server.query("SELECT app.rate_limit_set(%s, 0)", [project.organization_id])
    web_server.query("SELECT app.personal_data_policy_set(%s, p_user_id => %s)", [project.organization_id, user_ids])
    [(webhook_secret,)] = web_server.query("SELECT app.webhook_secret_rotate(%s)", [project.id])
    before = table_sizes(web_server)
    canaries = Canaries(seed=11 if user_ids == "hash" else 12)

    send_captures(api, project, canaries)
    send_envelopes(web_server, project, canaries)
    send_with_the_sdk(project, canaries)
    send_webhooks(web_server, webhook_secret, canaries)

    written = {table for table, size in table_sizes(web_server).items() if size != before.get(table)}
    columns = text_columns(web_server, written)
    reached = {column for control in canaries.controls for column in control.columns}
    unexplained = columns - reached - set(NOT_CLIENT_TEXT) - KEPT_AS_TYPED - set(COPIED_FROM_SCRUBBED)
    assert set(COPIED_FROM_SCRUBBED.values()) <= reached | set(COPIED_FROM_SCRUBBED), \
        "a copied column's source is itself reached by a control (or a copy of one)"
    assert not unexplained, f"text columns ingest writes, neither reached here nor explained: {sorted(unexplained)}"
    assert reached <= columns, f"controls aimed at columns ingest did not write: {sorted(reached - columns)}"

    # each control is stored in every column it was sent to: the fields are really kept
    missing = []
    for control in canaries.controls:
        for column in control.columns:
            table, name = column.split(".")
            if user_ids == "hash" and column in USER_ID_COLUMNS:  # (a token of the whole id instead)
                [(found,)] = web_server.query(f"SELECT count(*) FROM app.{table} WHERE organization_id = %s "
                                              f"AND {name} ~ '^\\[user:[0-9a-f]{{12}}\\]$'", [project.organization_id])
            else:
                [(found,)] = web_server.query(f"SELECT count(*) FROM app.{table} WHERE {name}::text LIKE %s",
                                              [f"%{control.marker}%"])
            if not found:
                missing.append(f"{control.where} -> {column}")
    assert not missing, f"controls not stored where they were sent: {missing}"

    # contact details typed into a report are kept as typed; columns ingest never writes stay empty
    assert web_server.query("SELECT count(*) FROM app.user_error_reports WHERE organization_id = %s "
                            "AND reporter_email LIKE 'ctl%%@example.com'", [project.organization_id]) == [(1,)]
    for column, why in NOT_CLIENT_TEXT.items():
        table, name = column.split(".")
        if why == "not ingest" and table in written:
            assert web_server.query(f"SELECT count(*) FROM app.{table} WHERE {name} IS NOT NULL") == [(0,)], column
    assert web_server.query("SELECT count(*) FROM app.job WHERE NOT payload ?& ARRAY['error_id', 'transition'] "
                            "OR EXISTS (SELECT FROM jsonb_object_keys(payload) k WHERE k NOT IN "
                            "('error_id', 'organization_id', 'error_hash', 'transition', 'severity', 'analysis_id',"
                            " 'provider'))") == [(0,)]

    # and no secret anywhere in the database
    assert len(canaries.secrets) > 150
    assert canaries.leaked(data_dump(web_server.database_url)) == []
