"""notify's settings: the common ones, the mail's, the SMS gateway's, the staff group bots', the
daytime window and the circuit breaker's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.notify import channels, daytime
from shared import config

SERVICE = "notify"


class Settings(config.Settings):
    # A gateway's URL holds its key: a refused setting is named, never echoed.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    service: str = SERVICE
    smtp_host: str = ""  # none: messages stay in the notification log (the "log" channel)
    smtp_port: int = 25
    smtp_from: str = "xinsheng@localhost"
    smtp_timeout: float = 10.0
    # The Apprise URL of the SMS gateway, e.g. json://sms.example.org/send (the number goes as the
    # payload field "to") or a plugin's URL with {phone} where the number goes. None: the log channel.
    sms_url: str = ""
    # The staff group bots (DingTalk, WeCom, a JSON webhook) of each county and of the city:
    # "C01=dingtalk://TOKEN/ city=wecombot://KEY". An organisation without one: the log channel.
    group_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # When SMS and group messages may go out, China time (DESIGN §2), unless the demand is urgent.
    daytime: str = "08:00-21:00"
    circuit_failures: int = 5  # failures in a row that open a channel's circuit
    circuit_cooldown: float = 60.0  # seconds an open circuit rests before one trial call
    max_send_attempts: int = 5
    public_base_url: str = "http://localhost:8001"  # links to the worker's status page
    contact_retention_days: int = 90  # days a named worker's contact is kept after the case is final (PIPL)

    @field_validator("sms_url")
    @classmethod
    def _sms_url(cls, value: str) -> str:
        return channels.check_sms_url(value)

    @field_validator("group_urls", mode="before")
    @classmethod
    def _group_urls(cls, value: object) -> dict[str, str]:
        return channels.parse_group_urls(value)

    @field_validator("daytime")
    @classmethod
    def _daytime(cls, value: str) -> str:
        daytime.Window.parse(value)
        return value


def load() -> Settings:
    return config.load(SERVICE, Settings)
