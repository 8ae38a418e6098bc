"""The checks POST /slack/events makes before Bolt sees a body: the v0 signature over the raw
bytes, and a body Bolt can parse (bounded depth, UTF-8, an object); and the cleaning of text."""

from __future__ import annotations

import time

import pytest

from bot.devtools.simulator import sign
from bot.domain.text import storable, storable_data
from bot.slack.inbound import MAX_DEPTH, Unreadable, json_depth, read, signed

SECRET = "s3cret"
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def check(body: bytes, *, stamp: int | None = None, signature: str | None = None) -> bool:
    at = str(stamp if stamp is not None else int(time.time()))
    return signed(
        SECRET,
        timestamp=at,
        signature=signature or sign(SECRET, at, body),
        body=body,
        now=time.time(),
    )


def test_the_signature_is_checked_over_the_raw_bytes_even_when_they_are_not_utf8() -> None:
    body = b'{"text": "caf\xe9"}'
    assert check(body)
    stamp = int(time.time())
    assert not check(body + b" ", stamp=stamp, signature=sign(SECRET, str(stamp), body))
    assert not check(body, signature="v0=" + "0" * 64)
    assert not check(body, signature=sign("other", str(int(time.time())), body))


@pytest.mark.parametrize("offset", [-5 * 60 - 5, 5 * 60 + 5])
def test_a_timestamp_over_five_minutes_off_is_refused(offset: int) -> None:
    assert not check(b"{}", stamp=int(time.time()) + offset)
    assert check(b"{}", stamp=int(time.time()) + offset // 2)


@pytest.mark.parametrize("stamp", ["", "\xb2", "12a", "-1", " 1", "9" * 5000, "1.5"])
def test_a_timestamp_that_is_not_ascii_digits_is_refused_without_an_error(stamp: str) -> None:
    assert not signed(SECRET, timestamp=stamp, signature="v0=x", body=b"{}", now=time.time())


def test_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth("[]") == 1 and json_depth("1") == 0
    assert json_depth("[" * 3000 + "]" * 3000) == 3000


def test_json_nested_past_the_limit_is_refused_before_it_is_parsed() -> None:
    just = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # inside the object: MAX_DEPTH
    assert read(b'{"a": ' + just.encode() + b"}", JSON)["a"]
    with pytest.raises(Unreadable) as error:
        read(b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}", JSON)
    assert error.value.reason == "too_deep"


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b'{"a": "\xff"}', JSON, "not_utf8"),
        (b"text=\xff", FORM, "not_utf8"),
        (b'{"a": ', JSON, "not_json"),
        (b"payload=%7Bnope", FORM, "not_json"),
        (b"[1]", JSON, "not_an_object"),
        (b"payload=%5B%5D", FORM, "not_an_object"),
        (b'{"team": 5}', JSON, "unexpected_shape"),
    ],
)
def test_bodies_bolt_could_not_parse_are_unreadable_with_a_reason(
    body: bytes, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(Unreadable) as error:
        read(body, headers)
    assert error.value.reason == reason


def test_readable_bodies_parse_as_bolt_parses_them() -> None:
    assert read(b"", JSON) == {}
    assert read(b"command=%2Fhandoff&text=a+b", FORM) == {"command": "/handoff", "text": "a b"}
    assert read(b"payload=%7B%22type%22%3A%22x%22%7D", FORM) == {"type": "x"}
    assert read(b'{"type": "x"}', FORM) == {"type": "x"}  # Bolt: a body starting with "{"


def test_storable_replaces_lone_surrogates_drops_nul_and_keeps_everything_else() -> None:
    clean = "ok \U0001f600 \u202e\u200b <!here> \ufffd"
    assert storable(clean) is clean
    assert storable("a\ud800b\x00c\udfff") == "a\ufffdbc\ufffd"
    data = {"k\ud800": ["\x00", {"x": "\udbff"}], "n": 1, "t": True, "none": None}
    assert storable_data(data) == {
        "k\ufffd": ["", {"x": "\ufffd"}],
        "n": 1,
        "t": True,
        "none": None,
    }


def test_storable_data_walks_any_depth_without_recursion() -> None:
    """Socket Mode payloads reach it without our depth guard."""
    deep: list[object] = ["\ud800"]
    for _ in range(5000):
        deep = [deep]
    storable_data(deep)
    for _ in range(5000):
        deep = deep[0]  # type: ignore[assignment]
    assert deep == ["\ufffd"]


def test_depth_of_an_unterminated_string_full_of_escaped_quotes_is_linear() -> None:
    """Each `\\"` once started a new scan to the end: 20,000 of them took 20 s, not 3 ms."""
    text = '{"a": "' + '\\"' * 20_000
    start = time.perf_counter()
    assert json_depth(text) == 1
    assert time.perf_counter() - start < 1.0
