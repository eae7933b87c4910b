"""reports' settings: the common ones, how often the rates for operators are computed, and the font
of the monthly PDF."""

from __future__ import annotations

from pathlib import Path

from shared import config

SERVICE = "reports"


class Settings(config.Settings):
    service: str = SERVICE
    rates_every_seconds: float = 300.0  # how often the worker computes the rates per county for /metrics
    # A CJK TrueType font (or the first face of a collection) for the monthly PDF: Debian's
    # fonts-wqy-microhei, installed in the image.
    report_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def load() -> Settings:
    return config.load(SERVICE, Settings)
