"""extract_public_key: Relay's authentication sources, leniently; format_rate_limits."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sentry_sdk.transport import _parse_rate_limits
from sentry_sdk.utils import Dsn
from starlette.datastructures import Headers, QueryParams

from workers.web.auth import extract_public_key, format_rate_limits
from workers.web.errors import BadPayload, Unauthorized

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
PYTHON_SDK_AUTH = f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0"
BROWSER_CLIENT = "sentry.javascript.browser/11.12.0"
BROWSER_QUERY = {"sentry_version": "7", "sentry_key": KEY, "sentry_client": BROWSER_CLIENT}
# Starlette keeps every header line, so a repeated header is two sources.
REPEATED_AUTH_HEADER = Headers(
    raw=[
        (b"x-sentry-auth", PYTHON_SDK_AUTH.encode()),
        (b"x-sentry-auth", f"Sentry sentry_key={OTHER_KEY}".encode()),
    ]
)


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_x_sentry_auth_header_as_the_python_sdk_builds_it():
    sdk_header = Dsn(f"https://{KEY}@errors.example.com/42").to_auth("sentry.python/2.75.0").to_header()
    assert extract_public_key({"X-Sentry-Auth": sdk_header}, {}, None) == KEY


@pytest.mark.parametrize("name", ["x-sentry-auth", "X-SENTRY-AUTH", "X-Sentry-Auth"])
@pytest.mark.parametrize("scheme", ["Sentry", "sentry", "SENTRY"])
def test_header_name_and_sentry_scheme_are_case_insensitive(name, scheme):
    value = PYTHON_SDK_AUTH.replace("Sentry", scheme, 1)
    assert extract_public_key({name: value}, {}, None) == KEY


def test_authorization_header_with_sentry_scheme():
    assert extract_public_key({"Authorization": PYTHON_SDK_AUTH}, {}, None) == KEY


def test_authorization_basic_with_key_as_username():
    assert extract_public_key({"authorization": basic(f"{KEY}:")}, {}, None) == KEY


def test_query_string_as_the_browser_sdk_sends_it():
    assert extract_public_key({"content-type": "text/plain;charset=UTF-8"}, BROWSER_QUERY, None) == KEY


def test_envelope_dsn_alone_authenticates_a_tunnelled_envelope():
    envelope_headers = {"dsn": f"https://{KEY}@errors.example.com/sentry/42", "event_id": "a" * 32}
    assert extract_public_key({}, {}, envelope_headers) == KEY


def test_envelope_dsn_that_agrees_with_the_request_key_is_accepted():
    envelope_headers = {"dsn": f"https://{KEY.upper()}:secret@errors.example.com/42"}
    assert extract_public_key({"X-Sentry-Auth": PYTHON_SDK_AUTH}, {}, envelope_headers) == KEY


def test_envelope_dsn_that_disagrees_with_the_request_key_is_unauthorized():
    envelope_headers = {"dsn": f"https://{OTHER_KEY}@errors.example.com/42"}
    with pytest.raises(Unauthorized):
        extract_public_key({"X-Sentry-Auth": PYTHON_SDK_AUTH}, {}, envelope_headers)


@pytest.mark.parametrize("dsn", [42, "https://errors.example.com/42", "https://[broken/42"])
def test_unusable_envelope_dsn_is_bad_payload(dsn):
    with pytest.raises(BadPayload):
        extract_public_key({}, {}, {"dsn": dsn})


def test_the_same_key_from_several_sources_is_accepted():
    headers = {"X-Sentry-Auth": PYTHON_SDK_AUTH, "Authorization": basic(f"{KEY}:")}
    assert extract_public_key(headers, BROWSER_QUERY, None) == KEY


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"X-Sentry-Auth": PYTHON_SDK_AUTH}, {"sentry_key": OTHER_KEY}),
        ({"X-Sentry-Auth": PYTHON_SDK_AUTH, "Authorization": f"Sentry sentry_key={OTHER_KEY}"}, {}),
        ({"Authorization": basic(f"{OTHER_KEY}:")}, BROWSER_QUERY),
        (REPEATED_AUTH_HEADER, {}),
        ({}, QueryParams(f"sentry_key={KEY}&sentry_key={OTHER_KEY}")),
        ({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_key={OTHER_KEY}"}, {}),
    ],
    ids=["header-vs-query", "two-headers", "basic-vs-query", "repeated-header", "repeated-param", "one-hdr"],
)
def test_different_keys_from_several_sources_are_unauthorized(headers, query):
    with pytest.raises(Unauthorized, match="multiple"):
        extract_public_key(headers, query, None)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {}),
        ({"User-Agent": "curl/8"}, {"other": "1"}),
        ({"X-Sentry-Auth": "Sentry sentry_version=7, sentry_client=x"}, {}),
        ({"Authorization": "Bearer some-api-token"}, {}),
        ({}, {"sentry_version": "7"}),
    ],
    ids=["nothing", "unrelated", "no-sentry-key", "bearer", "query-without-key"],
)
def test_missing_key_is_unauthorized(headers, query):
    with pytest.raises(Unauthorized) as raised:
        extract_public_key(headers, query, {})
    assert raised.value.status == 401


@pytest.mark.parametrize("value", [basic("proxyuser:hunter2"), basic("no-colon"), "Basic !!not base64!!"])
def test_basic_credentials_that_are_not_a_key_are_left_to_a_reverse_proxy(value):
    assert extract_public_key({"Authorization": value, "X-Sentry-Auth": PYTHON_SDK_AUTH}, {}, None) == KEY
    with pytest.raises(Unauthorized):
        extract_public_key({"Authorization": value}, {}, None)


def test_key_is_returned_lowercased():
    assert extract_public_key({}, {"sentry_key": KEY.upper()}, None) == KEY


def test_flag_suffix_is_split_off_the_key():
    assert extract_public_key({"X-Sentry-Auth": f"Sentry sentry_key={KEY}.no-cache"}, {}, None) == KEY


@pytest.mark.parametrize("bad_key", [KEY[:-1], KEY + "0", "g" * 32, "abc123publickey", ""])
def test_malformed_key_is_bad_payload(bad_key):
    with pytest.raises(BadPayload, match="malformed key") as raised:
        extract_public_key({}, {"sentry_key": bad_key}, None)
    assert raised.value.status == 400


@pytest.mark.parametrize("version", ["7", "8", "7.0"])
def test_protocol_versions_up_to_8_are_accepted(version):
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version={version}"}
    assert extract_public_key(headers, {}, None) == KEY


def test_sentry_version_above_8_is_bad_payload():
    with pytest.raises(BadPayload, match="sentry_version"):
        extract_public_key({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=9"}, {}, None)
    with pytest.raises(BadPayload, match="sentry_version"):
        extract_public_key({}, {**BROWSER_QUERY, "sentry_version": "9"}, None)


def test_non_numeric_sentry_version_is_unauthorized():
    with pytest.raises(Unauthorized, match="sentry_version"):
        extract_public_key({"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=seven"}, {}, None)


def test_rate_limit_header_names_seconds_categories_scope_and_reason():
    assert format_rate_limits(60, ["error", "default"]) == "60:error;default:organization:rate_limited"
    everything = format_rate_limits(10, [], scope="project", reason="quota_exceeded")
    assert everything == "10::project:quota_exceeded"
    assert format_rate_limits(0.2, ["error"]) == "1:error:organization:rate_limited"  # never rounds to 0


def test_rate_limit_header_is_understood_by_the_python_sdk():
    header = format_rate_limits(60, ["error", "default"]) + ", " + format_rate_limits(10, [], scope="key")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    limits = dict(_parse_rate_limits(header, now=now))
    assert limits == {  # None means every category
        "error": now + timedelta(seconds=60),
        "default": now + timedelta(seconds=60),
        None: now + timedelta(seconds=10),
    }


@pytest.mark.parametrize(
    ("seconds", "categories", "scope"),
    [(-1, [], "key"), (1, ["a:b"], "key"), (1, [""], "key"), (1, [], "a b")],
)
def test_rate_limit_header_refuses_values_that_would_corrupt_it(seconds, categories, scope):
    with pytest.raises(ValueError):
        format_rate_limits(seconds, categories, scope=scope)
