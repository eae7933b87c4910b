"""Translations outside a request (mail bodies from a worker process), from the same catalogue."""

from __future__ import annotations

import functools

from babel.support import NullTranslations, Translations

from shared.config import REPO_ROOT

CATALOGUE = REPO_ROOT / "shared" / "translations"


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of ``locale``; babel gives an empty one (messages untranslated) if there is none."""
    return Translations.load(str(CATALOGUE), [locale])


def translate(locale: str, message: str, **values: object) -> str:
    text = translations(locale).gettext(message)
    return text % values if values else text


def both(message: str, **values: object) -> str:
    """Chinese first, English second."""
    return f"{translate('zh', message, **values)} / {translate('en', message, **values)}"
