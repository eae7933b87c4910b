"""notify's channel settings (SMS_URL, GROUP_URLS) refused in words that never echo a URL (it holds
a gateway's key), and how the SMS gateway's URL carries the recipient's number."""

from __future__ import annotations

import logging
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from services.notify import channels
from services.notify.config import Settings

SECRET = "s3cr3ttoken4711"


def settings(**values) -> Settings:
    return Settings(database_url="sqlite://", **values)


def test_group_urls_are_code_url_pairs():
    got = settings(
        group_urls=f"C01=dingtalk://{SECRET}/  C02=wecombot://{SECRET}\ncity=json://hooks.example.org/x"
    )
    assert got.group_urls == {
        "C01": f"dingtalk://{SECRET}/",
        "C02": f"wecombot://{SECRET}",
        "city": "json://hooks.example.org/x",
    }
    assert settings().group_urls == {}


@pytest.mark.parametrize(
    "value,words",
    [
        (f"C01 dingtalk://{SECRET}/", "entry 1 is not CODE=URL"),
        (f"C01=json://a.example.org C01=json://b.example.org/{SECRET}", "C01 is given twice"),
        (f"c 01=json://{SECRET}.example.org", "entry 1 is not CODE=URL"),
        (f"C0/1=json://{SECRET}.example.org", "not an organisation code"),
        (f"C01=nonsense://{SECRET}@example.org", "the URL of C01 (nonsense://) is not one Apprise knows"),
        (f"C01=json://a.example.org C02={SECRET}", "the URL of C02 (?://)"),
    ],
)
def test_a_bad_group_urls_is_refused_in_words_without_the_url(value, words):
    with pytest.raises(ValidationError) as refused:
        settings(group_urls=value)
    assert "GROUP_URLS" in str(refused.value) and words in str(refused.value)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    "value,words",
    [
        (f"twilio://AC{SECRET}:tok@15551234567/", "must say where the phone number goes"),
        (f"bogus://{SECRET}/{{phone}}", "(bogus://) is not a URL Apprise knows"),
    ],
)
def test_a_bad_sms_url_is_refused_in_words_without_the_url(value, words):
    with pytest.raises(ValidationError) as refused:
        settings(sms_url=value)
    assert "SMS_URL" in str(refused.value) and words in str(refused.value)
    assert SECRET not in str(refused.value)


def test_a_generic_webhook_gets_the_number_as_the_payload_field_to():
    url = channels.sms_url("json://sms.example.org/send", "+86 139-1234 5678")
    assert url == "json://sms.example.org/send?:to=%2B8613912345678"
    assert channels.sms_url("jsons://gw.example.org/s?-key=k", "13900000000").endswith("&:to=13900000000")


def test_any_other_gateway_gets_the_number_where_its_url_says():
    url = channels.sms_url("twilio://AC123:tok@15551234567/{phone}", "+86 139 1234 5678")
    assert unquote(url) == "twilio://AC123:tok@15551234567/+8613912345678"
    assert settings(sms_url="twilio://AC123:tok@15551234567/{phone}").sms_url


class Seen(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_apprise_s_own_log_never_reaches_ours():
    """Apprise logs the URLs it loads (a phone number in them) and its failures: its log is kept
    apart from ours (our handlers hang on the root logger), and the reason is in our words."""
    seen, root = Seen(), logging.getLogger()
    root.addHandler(seen)
    before = root.level
    root.setLevel(logging.DEBUG)
    try:
        with pytest.raises(channels.SendFailed) as failed:
            channels.apprise_send(channels.sms_url("json://127.0.0.1:9/sms", "13912345678"), "", "测试")
    finally:
        root.removeHandler(seen)
        root.setLevel(before)
    assert failed.value.reason == "json: connection error"
    assert not [r for r in seen.records if r.name.startswith("apprise")]
    assert not [r for r in seen.records if "13912345678" in r.getMessage()]


def test_an_unknown_url_fails_the_send_in_words():
    with pytest.raises(channels.SendFailed) as failed:
        channels.apprise_send(f"nonsense://{SECRET}", "", "x")
    assert failed.value.reason == "nonsense: not an Apprise URL"
