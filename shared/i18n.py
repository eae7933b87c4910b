"""Translations outside a request (mail bodies from a worker process), from the same catalogue."""
from __future__ import annotations

import functools

from babel.support import Translations

from shared.config import REPO_ROOT

CATALOGUE = REPO_ROOT / "shared" / "translations"


@functools.lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    return Translations.load(str(CATALOGUE), [locale])


def translate(locale: str, message: str, **values) -> str:
    text = translations(locale).gettext(message)
    return text % values if values else text


def both(message: str, **values) -> str:
    """Chinese first, English second."""
    return f"{translate('zh', message, **values)} / {translate('en', message, **values)}"
