"""Text contracts: span offsets are Unicode code points into the stored text (DESIGN §2).

A boundary must not fall inside a user-perceived character: between a base character and a
combining mark, inside a zero-width-joiner sequence, before a variation selector or emoji
modifier, inside a regional-indicator flag, or between CR and LF. Such a span would render
as half a glyph and usually means the client sent UTF-16 offsets or bytes.
"""

from __future__ import annotations

import unicodedata

ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """True for code points that attach to the character before them."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
    )


def _regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def splits_character(text: str, index: int) -> bool:
    """Whether a span boundary at code point ``index`` cuts a user-perceived character."""
    if index <= 0 or index >= len(text):
        return False
    before, after = text[index - 1], text[index]
    if before == "\r" and after == "\n":
        return True
    if _extends(after) or before == ZWJ:
        return True
    if _regional_indicator(before) and _regional_indicator(after):
        # Flags are pairs: count the run of indicators before the boundary.
        run = 0
        i = index - 1
        while i >= 0 and _regional_indicator(text[i]):
            run += 1
            i -= 1
        return run % 2 == 1
    return False
