"""parse_envelope: the envelope grammar as SDKs write it; items with and without `length`."""

import base64
import io
import zlib
from pathlib import Path

import pytest
from sentry_sdk.envelope import Envelope as SdkEnvelope
from sentry_sdk.envelope import Item as SdkItem
from sentry_sdk.envelope import PayloadRef

from workers.web.envelope import parse_envelope, parse_store_body
from workers.web.errors import BadPayload, PayloadTooLarge

SAMPLE = Path(__file__).parent / "data" / "sample-envelope-python.txt"
KEY = "0123456789abcdef0123456789abcdef"
MIB = 1024 * 1024


def test_sample_python_envelope_has_headers_and_one_event_item():
    envelope = parse_envelope(SAMPLE.read_bytes())
    assert envelope.headers["event_id"] == "c5ab3de37bb74e56bc5cdc176bb290ce"
    assert envelope.headers["trace"]["public_key"] == KEY
    assert [item.type for item in envelope.items] == ["event"]
    event = envelope.items[0].json()
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"


def test_sample_event_item_length_is_exactly_its_payload_line():
    third_line = SAMPLE.read_bytes().split(b"\n")[2]
    item = parse_envelope(SAMPLE.read_bytes()).items[0]
    assert item.headers["length"] == len(third_line)
    assert item.payload == third_line


def test_envelope_serialized_by_sentry_sdk_parses_back_item_for_item():
    sdk_envelope = SdkEnvelope(headers={"event_id": "a" * 32, "sent_at": "2026-11-28T13:57:23.642854Z"})
    sdk_envelope.add_event({"event_id": "a" * 32, "message": "hello", "level": "info"})
    binary = b"\x00\xffline one\nline two\r\n"
    sdk_envelope.add_item(SdkItem(payload=binary, type="attachment", filename="dump.bin"))
    sdk_envelope.add_item(SdkItem(payload=PayloadRef(json={"sid": "s1", "init": True}), type="session"))
    buffer = io.BytesIO()
    sdk_envelope.serialize_into(buffer)

    envelope = parse_envelope(buffer.getvalue())

    assert envelope.headers == sdk_envelope.headers
    assert [item.type for item in envelope.items] == ["event", "attachment", "session"]
    assert envelope.items[0].json()["message"] == "hello"
    assert envelope.items[1].payload == binary
    assert envelope.items[1].headers["filename"] == "dump.bin"
    assert envelope.items[2].json() == {"sid": "s1", "init": True}


def test_item_without_length_runs_to_next_newline():
    envelope = parse_envelope(b'{}\n{"type":"event"}\n{"message":"a"}\n{"type":"session"}\n{"sid":"s"}\n')
    assert [item.payload for item in envelope.items] == [b'{"message":"a"}', b'{"sid":"s"}']


def test_item_without_length_at_the_end_runs_to_eof():
    envelope = parse_envelope(b'{}\n{"type":"event"}\n{"message":"a"}')
    assert envelope.items[0].payload == b'{"message":"a"}'


def test_item_with_length_takes_exactly_that_many_bytes_including_bom_and_crlf():
    envelope = parse_envelope(b'{}\n{"type":"attachment","length":10}\n\xef\xbb\xbfHello\r\n\n')
    [attachment] = envelope.items
    assert attachment.payload == b"\xef\xbb\xbfHello\r\n"
    assert len(attachment.payload) == 10


def test_item_with_length_may_end_at_eof_without_newline():
    envelope = parse_envelope(b'{}\n{"type":"attachment","length":3}\na\nb')
    assert envelope.items[0].payload == b"a\nb"


def test_empty_item_payload_is_allowed():
    envelope = parse_envelope(b'{}\n{"type":"attachment","length":0}\n\n{"type":"event"}\n{}\n')
    assert [item.payload for item in envelope.items] == [b"", b"{}"]


@pytest.mark.parametrize("body", [b"{}\n", b"{}", b'{"sent_at":"2026-11-28T13:57:23Z"}\n'])
def test_envelope_with_only_headers_is_valid_and_has_no_items(body):
    assert parse_envelope(body).items == []


def test_carriage_return_is_not_a_separator_and_stays_in_the_payload():
    envelope = parse_envelope(b'{}\r\n{"type":"event"}\r\n{"message":"a"}\r\n')
    assert envelope.items[0].payload == b'{"message":"a"}\r'
    assert envelope.items[0].json() == {"message": "a"}


def test_blank_lines_between_items_are_skipped():
    envelope = parse_envelope(b'{}\n\n{"type":"event"}\n{"message":"a"}\n\n')
    assert [item.type for item in envelope.items] == ["event"]


def test_unknown_item_types_are_kept_for_the_caller_to_skip():
    envelope = parse_envelope(b'{}\n{"type":"replay_video","length":2}\nxx\n')
    assert envelope.items[0].type == "replay_video"


@pytest.mark.parametrize("body", [b"", b"\n", b"   "])
def test_empty_body_is_not_an_envelope(body):
    with pytest.raises(BadPayload):
        parse_envelope(body)


@pytest.mark.parametrize(
    "body",
    [b"[]\n", b"not json\n", b'{}\n"event"\n{}\n', b'{}\n{"type":"event"\n{}\n', b"{}\n[1]\n"],
)
def test_headers_must_be_json_objects(body):
    with pytest.raises(BadPayload):
        parse_envelope(body)


@pytest.mark.parametrize("item_header", [b"{}", b'{"length":2}', b'{"type":""}', b'{"type":7}'])
def test_item_without_a_string_type_is_rejected(item_header):
    with pytest.raises(BadPayload, match="type"):
        parse_envelope(b"{}\n" + item_header + b"\nxx\n")


def test_length_beyond_the_data_means_truncated():
    with pytest.raises(BadPayload, match="truncated"):
        parse_envelope(b'{}\n{"type":"attachment","length":100}\nshort\n')


def test_payload_with_length_must_be_followed_by_newline_or_eof():
    with pytest.raises(BadPayload, match="newline"):
        parse_envelope(b'{}\n{"type":"attachment","length":2}\nabc\n')


@pytest.mark.parametrize("length", [b"-1", b'"2"', b"true", b"1.5"])
def test_length_must_be_a_non_negative_integer(length):
    with pytest.raises(BadPayload, match="length"):
        parse_envelope(b'{}\n{"type":"attachment","length":' + length + b"}\nab\n")


def test_duplicate_envelope_header_keys_are_rejected():
    with pytest.raises(BadPayload, match="duplicate"):
        parse_envelope(b'{"sent_at":"2026-11-28T13:57:23Z","sent_at":"2026-11-28T13:57:24Z"}\n')


# The documented per-item limits (sentry.md §1.8).
ITEM_LIMITS = {"event": MIB, "transaction": MIB, "feedback": MIB, "user_report": MIB, "span": MIB}
ITEM_LIMITS |= {"log": MIB, "check_in": 100 * 1024, "client_report": 4 * 1024}


@pytest.mark.parametrize(("item_type", "limit"), ITEM_LIMITS.items())
def test_items_over_their_type_limit_are_too_large_and_at_it_are_fine(item_type, limit):
    def envelope_with(size: int) -> bytes:
        return b'{}\n{"type":"%s","length":%d}\n%s\n' % (item_type.encode(), size, b"x" * size)

    assert len(parse_envelope(envelope_with(limit)).items[0].payload) == limit
    with pytest.raises(PayloadTooLarge, match=item_type):
        parse_envelope(envelope_with(limit + 1))


def test_item_types_without_a_limit_are_bounded_only_by_the_body_limit():
    body = b'{}\n{"type":"attachment","length":%d}\n%s\n' % (2 * MIB, b"x" * (2 * MIB))
    assert len(parse_envelope(body).items[0].payload) == 2 * MIB


def test_item_size_limits_can_be_overridden_per_type():
    body = b'{}\n{"type":"event"}\n{"message":"a"}\n{"type":"attachment","length":3}\nabc\n'
    with pytest.raises(PayloadTooLarge, match="attachment"):
        parse_envelope(body, max_item_size={"attachment": 2})
    assert len(parse_envelope(body, max_item_size={"event": 100}).items) == 2


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe\xfa", b"[" * 100_000])
def test_item_json_of_invalid_payload_is_bad_payload(payload):
    item = parse_envelope(b'{}\n{"type":"event","length":%d}\n%s\n' % (len(payload), payload)).items[0]
    with pytest.raises(BadPayload):
        item.json()


STORE_EVENT = b'{"message":"legacy","level":"error","extra":{"ratio":NaN,"limit":Infinity}}'


@pytest.mark.parametrize(
    "body",
    [
        STORE_EVENT,
        b"  " + STORE_EVENT + b"\n",
        base64.b64encode(STORE_EVENT),
        base64.b64encode(zlib.compress(STORE_EVENT)),
        base64.encodebytes(zlib.compress(STORE_EVENT)),
    ],
    ids=["json", "padded-json", "base64", "base64-zlib", "base64-zlib-wrapped-lines"],
)
def test_store_body_is_json_base64_or_base64_zlib_with_nan_tolerated(body):
    event = parse_store_body(body)
    assert event["message"] == "legacy"
    assert event["extra"]["limit"] == float("inf")


@pytest.mark.parametrize(
    "body",
    [b"", b"[1, 2]", base64.b64encode(b"[1]"), b"not json nor base64!", base64.b64encode(b"junk"), b"{oops"],
)
def test_store_body_that_is_not_a_json_object_is_bad_payload(body):
    with pytest.raises(BadPayload):
        parse_store_body(body)


def test_store_body_inflating_past_the_limit_is_too_large():
    bomb = base64.b64encode(zlib.compress(b'{"message":"' + b"x" * (2 * MIB) + b'"}'))
    with pytest.raises(PayloadTooLarge):
        parse_store_body(bomb, limit=MIB)


def test_an_envelope_of_more_than_100_items_is_too_large_before_its_items_are_read():
    item = b'{"type":"session"}\n{"sid":"s"}\n'
    assert len(parse_envelope(b"{}\n" + item * 100).items) == 100
    with pytest.raises(PayloadTooLarge, match="100 items"):
        parse_envelope(b"{}\n" + item * 5000)


@pytest.mark.parametrize("item_type", ["event", "transaction"])
def test_an_item_the_spec_allows_once_per_envelope_may_not_come_twice(item_type):
    item = b'{"type":"%s"}\n{"message":"a"}\n' % item_type.encode()
    with pytest.raises(BadPayload, match=f"more than one {item_type}"):
        parse_envelope(b"{}\n" + item + item)
