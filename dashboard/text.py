"""Text from the data (names, ids, titles, owners) or from the URL, drawn as text.

Streamlit draws captions, warnings, titles, metric labels and help as Markdown, with its own
additions: `:red[...]` colours, `:material/home:` icons, `:smile:` emoji, `$...$` LaTeX, and
GitHub autolinks (http://..., www...., addresses with @). A name like
`![x](http://attacker/img.png)` would otherwise make every viewer's browser fetch that
address, and `[Sign in](http://...)` would be a link in the app's own words.

`plain()` is the one way such text enters Markdown. It backslash-escapes every ASCII
punctuation character (CommonMark lets any of them be escaped, and shows it as itself), turns
line breaks and other control characters into spaces, and puts an invisible WORD JOINER
(U+2060) after every `:` and `@` and between `www` and its `.`: Streamlit's icon, colour and
emoji shortcodes and the autolinks are found after escapes are undone, so escaping alone
leaves them working (checked in Chromium: tests/test_browser_text.py). Where the text sits
in a code span (a CLI command), `code()` fences it instead.

Plotly reads a subset of HTML in every text it draws (`<a href>`, `<b>`, `<br>`...):
`chart_text()` escapes `&`, `<` and `>` (Plotly shows entities as their characters), and
charts.plot applies it to the data of every trace.
"""

from __future__ import annotations

import html
import re

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_WWW = re.compile(r"(?i)(www)(\\\.)")


def plain(value) -> str:
    """`value` as Markdown that Streamlit shows as exactly this text (plus word joiners)."""
    text = _CONTROL.sub(" ", str(value))
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = text.replace(":", ":" + WORD_JOINER).replace("@", "@" + WORD_JOINER)
    return _WWW.sub(r"\1" + WORD_JOINER + r"\2", text)


def code(value) -> str:
    """`value` as one inline code span (no Markdown inside one): fenced with more backticks
    than it holds in a row, on one line."""
    text = _CONTROL.sub(" ", str(value))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def chart_text(value):
    """A string for a Plotly figure, its HTML-like markup shown as text; other values as
    they are (numbers, None)."""
    return html.escape(value, quote=False) if isinstance(value, str) else value
