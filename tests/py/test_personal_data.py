"""Personal data through every ingest path: e-mail and IP canaries (and a user id) sent through
/rpc/capture_error on a real PostgREST, raw Sentry envelopes and the real sentry-sdk through a real
`pgwarden web`, and the error webhook. Under the default policy (hash) none of them is anywhere in a
full data dump of the database, while a control value sent with them is; under keep every one is.
And `pgwarden org personal-data` shows and sets the policy."""

from __future__ import annotations

import subprocess
import textwrap
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import psycopg
import pytest
from test_ingest_http import api, make_tenant  # noqa: F401 (api: the shared PostgREST, cleaned up after the module)
from test_web_ingest_http import envelope, post
from web_server import Project, WebServer, run_python

from workers import tokens
from workers.settings import PG_BIN

pytest_plugins = ["web_server"]

WEBHOOK = "/functions/v1/error-webhook"


@dataclass(frozen=True)
class Canaries:
    """Unique values for one test: 8 e-mail addresses, 6 IP addresses (2 IPv6), a user id, a control."""

    emails: tuple[str, ...]
    ips: tuple[str, ...]
    user_id: str
    control: str

    @classmethod
    def new(cls) -> Canaries:
        tag = uuid.uuid4().hex[:10]
        octets = [int(tag[i:i + 2], 16) % 250 + 2 for i in range(0, 10, 2)]
        emails = tuple(f"pii.{tag}.{n}@mail-{n}.example.com" for n in range(8))
        ips = (f"10.{octets[0]}.{octets[1]}.{octets[2]}", f"172.16.{octets[3]}.{octets[4]}",
               f"192.168.{octets[0]}.{octets[4]}", f"100.64.{octets[2]}.{octets[1]}",
               f"2001:db8:{tag[:4]}:{tag[4:8]}::{tag[8:]}", f"fd00:{tag[:4]}::{tag[4:8]}:1")
        return cls(emails, ips, f"customer-{tag}", f"control-{tag}")

    def personal(self) -> list[str]:
        """Every value that must not be stored as sent (e-mails also %40-encoded, as in a URL)."""
        return [*self.emails, *(email.replace("@", "%40") for email in self.emails), *self.ips, self.user_id]


def full_dump(database_url: str) -> str:
    """Every row of every table, as pg_dump writes them."""
    return subprocess.run([str(PG_BIN / "pg_dump"), "--data-only", "--no-owner", "-d", database_url],
                          capture_output=True, text=True, check=True).stdout


def assert_hashed(dump: str, canaries: Canaries) -> None:
    assert canaries.control in dump, "the events did not arrive: the test would prove nothing"
    stored = [value for value in canaries.personal() if value in dump]
    assert stored == [], f"stored as sent under the default policy: {stored}"
    assert "[email:" in dump and "[ip:" in dump


def assert_kept(dump: str, canaries: Canaries) -> None:
    missing = [value for value in [*canaries.emails, *canaries.ips, canaries.user_id]
               if value not in dump and value.replace("@", "%40") not in dump]  # (one is sent %40-encoded)
    assert missing == [], f"not stored under keep: {missing}"


def keep_everything(database_url: str, organization_id: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT app.personal_data_policy_set(%s, 'keep', 'keep', 'keep')", [organization_id])


# == /rpc/capture_error through PostgREST ==

def capture_error_body(c: Canaries) -> dict:
    return {
        "error_type": "javascript",
        "message": f"{c.control}: login failed for {c.emails[0]} from {c.ips[0]}",
        "stack_trace": f"Error: x\n    at login (http://{c.ips[1]}:3000/static/app.js:10:5)\n"
                       f"    at main (/home/{c.emails[1]}/app.js:1:1)",
        "url": f"https://shop.test/reset?email={c.emails[2].replace('@', '%40')}&from={c.ips[2]}",
        "user_id": c.user_id,
        "user_agent": f"Mozilla/5.0 (X11; Linux) ShopApp/2.1 (support {c.emails[0]}; {c.ips[1]}; password=hunter2)",
        "component": f"Account {c.emails[3]}",
        "request_id": c.ips[3],
        "metadata": {"headers": {"X-Forwarded-For": f"{c.ips[4]}, {c.ips[5]}", "X-Real-IP": c.ips[0]},
                     "user": {"id": c.user_id, "email": c.emails[4]},
                     "breadcrumbs": [{"message": f"signed in as {c.emails[5]}"}],
                     "tags": {"customer": c.emails[6]}, c.emails[7]: "an address as a key"},
    }


def test_capture_error_through_postgrest_stores_no_address_by_default(api):  # noqa: F811
    base_url, _, database_url = api
    tenant = make_tenant(database_url, per_minute=0)
    canaries = Canaries.new()
    response = httpx.post(base_url + "/rpc/capture_error", json=capture_error_body(canaries),
                          headers={"X-Pgwarden-Key": tenant.key})
    assert response.status_code == 200, response.text
    assert_hashed(full_dump(database_url), canaries)


def test_capture_error_keeps_addresses_once_the_owner_says_keep(api):  # noqa: F811
    base_url, secret, database_url = api
    tenant = make_tenant(database_url, per_minute=0)
    owner = tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=tenant.organization_id)
    answer = httpx.post(base_url + "/rpc/set_personal_data_policy", headers={"Authorization": f"Bearer {owner}"},
                        json={"email": "keep", "ip_address": "keep", "user_id": "keep"})
    assert answer.status_code == 200 and answer.json()["email"] == "keep", answer.text
    refused = httpx.post(base_url + "/rpc/set_personal_data_policy", headers={"Authorization": f"Bearer {owner}"},
                         json={"email": "scramble"})
    assert (refused.status_code, refused.json()["code"]) == (400, "QV001")

    canaries = Canaries.new()
    response = httpx.post(base_url + "/rpc/capture_error", json=capture_error_body(canaries),
                          headers={"X-Pgwarden-Key": tenant.key})
    assert response.status_code == 200, response.text
    assert_kept(full_dump(database_url), canaries)


# == Sentry envelopes and the real sentry-sdk through pgwarden web ==

def sentry_event(c: Canaries) -> dict:
    return {
        "event_id": uuid.uuid4().hex, "platform": "python", "level": "error",
        "exception": {"values": [{"type": "LookupError", "value": f"no account for {c.emails[0]}",
                                  "stacktrace": {"frames": [{"filename": "app.py", "function": "lookup", "lineno": 7,
                                                             "in_app": True, "vars": {"who": c.emails[1]}}]}}]},
        "user": {"id": c.user_id, "email": c.emails[2], "ip_address": c.ips[0], "username": c.emails[3]},
        "request": {"url": f"https://shop.test/account?email={c.emails[4].replace('@', '%40')}",
                    "headers": [["X-Forwarded-For", f"{c.ips[1]}, {c.ips[2]}"], ["X-Real-IP", c.ips[4]]]},
        "tags": {"customer": c.emails[5], "control": c.control},
        "contexts": {"client": {"address": c.ips[5]}},
        "extra": {"peer": c.ips[3]},
        "breadcrumbs": {"values": [{"category": "auth", "message": f"signed in as {c.emails[6]}"},
                                   {"category": "mail", "data": {c.emails[7]: "sent"}}]},
    }


def send_envelope(server: WebServer, project: Project, c: Canaries) -> None:
    body = envelope(({"type": "event"}, sentry_event(c)),
                    ({"type": "session"}, {"sid": uuid.uuid4().hex, "did": c.emails[7], "status": "ok",
                                           "attrs": {"release": "shop@1"}}))
    response = post(server, project, body)
    assert response.status_code == 200, response.text


def sdk_program(dsn: str, c: Canaries) -> str:
    return textwrap.dedent(f"""
        import sentry_sdk
        sentry_sdk.init(dsn={dsn!r}, send_default_pii=True)
        sentry_sdk.set_user({{"id": {c.user_id!r}, "email": {c.emails[0]!r}, "ip_address": {c.ips[0]!r},
                              "username": {c.emails[1]!r}}})
        sentry_sdk.set_tag("customer", {c.emails[2]!r})
        sentry_sdk.set_tag("control", {c.control!r})
        sentry_sdk.set_extra("forwarded_for", "{c.ips[1]}, {c.ips[4]}")
        sentry_sdk.set_context("client", {{"address": {c.ips[2]!r}, "contact": {c.emails[3]!r}}})
        sentry_sdk.add_breadcrumb(category="auth", message="signed in as {c.emails[4]} from {c.ips[3]}")
        try:
            raise LookupError("no account for {c.emails[5]} at {c.ips[5]}")
        except LookupError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("mail to {c.emails[6]} bounced; reply to {c.emails[7]}")
        sentry_sdk.flush(timeout=10)
    """)


def send_with_sdk(server: WebServer, project: Project, c: Canaries) -> None:
    run_python(sdk_program(project.dsn, c))


# == The error webhook (spec shape and a Vercel log drain) ==

def send_webhook(server: WebServer, project: Project, c: Canaries) -> None:
    [(secret,)] = server.query("SELECT app.webhook_secret_rotate(%s)", [project.id])
    documents = [
        {"source": "custom", "error": {
            "message": f"{c.control}: export for {c.emails[0]} failed", "user_id": c.user_id,
            "stack": f"Error: x\n    at run (http://{c.ips[0]}/job.js:3:9)",
            "url": f"https://shop.test/export?to={c.emails[1].replace('@', '%40')}",
            "metadata": {"requested_by": c.emails[2], "client_ip": c.ips[1], "user_id": c.user_id,
                         "headers": {"X-Forwarded-For": f"{c.ips[2]}, {c.ips[4]}"},
                         "notify": [c.emails[3], c.emails[4]], c.emails[5]: True}}},
        {"id": uuid.uuid4().hex, "message": f"Error: mail to {c.emails[6]} failed", "type": "stderr", "level": "error",
         "source": "lambda", "timestamp": 1795874290000,
         "proxy": {"clientIp": c.ips[3], "host": "shop.example.com", "path": f"/u/{c.emails[7]}", "method": "GET",
                   "userAgent": [f"curl/8.0 ({c.ips[5]})"], "statusCode": 500}},
    ]
    response = httpx.post(server.base_url + WEBHOOK, json=documents, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["accepted"] == 2, response.text


WEB_PATHS = {"raw Sentry envelopes": send_envelope, "the real sentry-sdk": send_with_sdk,
             "the error webhook": send_webhook}


@pytest.mark.parametrize("send", WEB_PATHS.values(), ids=WEB_PATHS.keys())
def test_web_ingest_stores_no_address_by_default(web_server, send):
    canaries = Canaries.new()
    send(web_server, web_server.new_project(), canaries)
    assert_hashed(full_dump(web_server.database_url), canaries)


@pytest.mark.parametrize("send", WEB_PATHS.values(), ids=WEB_PATHS.keys())
def test_web_ingest_keeps_addresses_under_keep(web_server, send):
    project = web_server.new_project()
    keep_everything(web_server.database_url, project.organization_id)
    canaries = Canaries.new()
    send(web_server, project, canaries)
    assert_kept(full_dump(web_server.database_url), canaries)


# == The command line ==

def test_org_personal_data_command_shows_and_sets_the_policy(pgwarden, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        (organization_id,) = conn.execute("INSERT INTO app.organizations (name) VALUES ('cli') RETURNING id").fetchone()
    shown = pgwarden("org", "personal-data", str(organization_id))
    assert shown.returncode == 0 and "email hash, ip hash, user id hash" in shown.stdout, shown.stderr
    changed = pgwarden("org", "personal-data", str(organization_id), "--email", "keep", "--user-id", "drop")
    assert "email keep, ip hash, user id drop" in changed.stdout, changed.stderr
    refused = pgwarden("org", "personal-data", str(organization_id), "--ip", "scramble")
    assert refused.returncode == 2  # click refuses the choice before any SQL
    missing = pgwarden("org", "personal-data", str(uuid.uuid4()), "--email", "keep")
    assert missing.returncode == 4 and "QN001" in missing.stderr
