"""The real sentry-sdk (Python) against a real `pgwarden web`: every capture lands as a grouped error,
whatever the transport compression; feedback lands as a customer report; a 429 makes it stop."""

from __future__ import annotations

import textwrap

from web_server import WebServer, run_python

pytest_plugins = ["web_server"]


def sdk_program(dsn: str, body: str, **init_options: object) -> str:
    options = "".join(f", {name}={value!r}" for name, value in init_options.items())
    return textwrap.dedent("""
        import logging
        import sentry_sdk
        sentry_sdk.init(dsn={dsn!r}{options})
    """).format(dsn=dsn, options=options) + textwrap.dedent(body) + "\nsentry_sdk.flush(timeout=10)\n"


def groups(server: WebServer, organization_id: str) -> dict[str, tuple]:
    rows = server.query("SELECT message, error_type::text, severity::text, occurrence_count FROM app.system_errors "
                        "WHERE organization_id = %s", [organization_id])
    return {message: (error_type, severity, count) for message, error_type, severity, count in rows}


CAPTURES = """
    def charge(order):
        return order["amount"] / order["quantity"]
    try:
        charge({"amount": 10, "quantity": 0})
    except Exception:
        sentry_sdk.capture_exception()
    sentry_sdk.capture_message("checkout finished slowly", level="warning")
    for host in ("db-1", "db-2"):
        logging.getLogger("payments").error("Could not connect to %s", host)
"""


def test_default_options_send_brotli_and_land_exceptions_messages_and_logging_errors(web_server):
    project = web_server.new_project()
    run_python(sdk_program(project.dsn, CAPTURES, release="shop@1.0.0"))

    assert groups(web_server, project.organization_id) == {
        "ZeroDivisionError: division by zero": ("runtime", "error", 1),
        "checkout finished slowly": ("unknown", "warning", 1),
        # one group for the logging template, whatever the host
        "Could not connect to db-1": ("unknown", "error", 2),
    }
    [(release, platform)] = web_server.query(
        "SELECT metadata->>'release', metadata->>'platform' FROM app.system_errors "
        "WHERE organization_id = %s AND error_type = 'runtime'", [project.organization_id])
    assert (release, platform) == ("shop@1.0.0", "python")


def test_gzip_compression_lands_the_same_errors(web_server):
    project = web_server.new_project()
    run_python(sdk_program(project.dsn, CAPTURES, _experiments={"transport_compression_algo": "gzip"}))
    assert sum(count for *_, count in groups(web_server, project.organization_id).values()) == 4


def test_uncompressed_bodies_land_the_same_errors(web_server):
    project = web_server.new_project()
    run_python(sdk_program(project.dsn, CAPTURES, _experiments={"transport_compression_level": 0}))
    assert sum(count for *_, count in groups(web_server, project.organization_id).values()) == 4


def test_feedback_and_user_report_items_become_customer_reports_linked_to_the_error(web_server):
    project = web_server.new_project()
    run_python(sdk_program(project.dsn, """
        from sentry_sdk.envelope import Envelope, Item, PayloadRef
        try:
            raise KeyError("coupon")
        except Exception:
            event_id = sentry_sdk.capture_exception()
        sentry_sdk.flush(timeout=10)
        feedback = {"type": "feedback", "level": "info", "event_id": "f" * 32,
                    "contexts": {"feedback": {"message": "The coupon field ate my order",
                                              "contact_email": "jane@example.com", "name": "Jane",
                                              "url": "https://shop.example.com/checkout",
                                              "associated_event_id": event_id}}}
        envelope = Envelope(headers={"event_id": "f" * 32})
        envelope.add_item(Item(payload=PayloadRef(json=feedback), type="feedback"))
        envelope.add_item(Item(payload=PayloadRef(json={"event_id": event_id, "name": "Joe",
                                                        "email": "joe@example.com",
                                                        "comments": "Same here"}), type="user_report"))
        sentry_sdk.get_client().transport.capture_envelope(envelope)
    """))

    reports = web_server.query(
        "SELECT r.report_type::text, r.reporter_type::text, r.reporter_name, r.reporter_email, r.description, r.url, "
        "       e.message "
        "FROM app.user_error_reports r LEFT JOIN app.system_errors e ON e.id = r.linked_error_id "
        "WHERE r.organization_id = %s ORDER BY r.reporter_name", [project.organization_id])
    assert reports == [
        ("bug", "customer", "Jane", "jane@example.com", "The coupon field ate my order",
         "https://shop.example.com/checkout", "KeyError: 'coupon'"),
        ("bug", "customer", "Joe", "joe@example.com", "Same here", None, "KeyError: 'coupon'"),
    ]


def test_after_a_429_the_sdk_stops_sending_events(web_server):
    project = web_server.new_project()
    set_rate_limit(web_server, project.organization_id, per_minute=2)

    # client reports off: they are never rate limited, and only event requests are counted here
    run_python(sdk_program(project.dsn, """
        for attempt in range(6):
            sentry_sdk.capture_message(f"attempt {attempt}")
            sentry_sdk.flush(timeout=10)
    """, send_client_reports=False))

    stored = web_server.query("SELECT sum(occurrence_count)::int FROM app.system_errors WHERE organization_id = %s",
                              [project.organization_id])
    assert stored == [(2,)]
    # two accepted, one refused with 429; the SDK honoured X-Sentry-Rate-Limits for the rest
    assert web_server.requests_to(f"/api/{project.id}/envelope/") == 3


def set_rate_limit(server: WebServer, organization_id: str, per_minute: int) -> None:
    server.query("INSERT INTO app.organization_rate_limits (organization_id, per_minute) VALUES (%s, %s) "
                 "ON CONFLICT (organization_id) DO UPDATE SET per_minute = excluded.per_minute RETURNING 1",
                 [organization_id, per_minute])
