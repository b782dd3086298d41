"""Figures as SVG: reproducible bytes, text as text, the font embedded.

matplotlib writes the SVG with fixed element ids (a fixed hash salt) and no date,
so the same figure always gives the same bytes and an unchanged figure leaves the
report unchanged. Text stays text (``svg.fonttype: none``): smaller files, faster
PDFs, selectable labels; a subset of DejaVu Sans embedded as a data URI makes it
look the same in every browser, offline. Style attributes become presentation
attributes, which WeasyPrint (the PDF) draws much faster.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import re
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from bnstudy.io import atomic_write

#: Fixed salt for the SVG element ids, so the same data gives the same SVG bytes.
SVG_HASHSALT = "bnstudy"

#: Style properties that SVG also takes as presentation attributes.
PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linejoin",
    "stroke-linecap",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-miterlimit",
    "opacity",
    "font-size",
    "font-family",
    "font-weight",
    "font-style",
    "text-anchor",
}
#: The one style sheet rule matplotlib writes; its effect, as inherited root attributes.
_MPL_RULE = '<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'


def subset_font(filename: str, chars) -> bytes:
    """A WOFF subset of one of matplotlib's DejaVu fonts covering ``chars`` (and ASCII).

    The same characters always give the same bytes.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False  # smaller; screens and PDF viewers hint themselves
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", filename)
    font = TTFont(path, lazy=True, recalcTimestamp=False)  # the same bytes every time
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(chars) | {chr(c) for c in range(0x20, 0x7F)})))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf, reorderTables=False)
    return buf.getvalue()


def embed_font(svg: str) -> str:
    """``svg`` with the DejaVu Sans its text uses embedded (a subset, as a data URI)."""
    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    chars = set(html.unescape(re.sub(r"<[^>]+>", "", "".join(texts))))
    if not texts:
        return svg
    data = base64.b64encode(subset_font("DejaVuSans.ttf", chars)).decode("ascii")
    style = (
        '<defs><style type="text/css">@font-face { font-family: "DejaVu Sans"; '
        f"src: url(data:font/woff;base64,{data}) format('woff'); }}</style></defs>"
    )
    start = svg.index(">", svg.index("<svg")) + 1
    return svg[:start] + "\n" + style + svg[start:]


def presentation_attributes(svg: str) -> str:
    """``style="fill: none; stroke: #1f77b4"`` as ``fill="none" stroke="#1f77b4"``.

    The same drawing, but WeasyPrint (the PDF) draws it much faster: it parses every
    ``style`` attribute and matches every style sheet rule against every element.
    matplotlib's one rule (``*{stroke-linejoin: round; stroke-linecap: butt}``) becomes
    attributes of the root, which its elements inherit unless they set their own.

    >>> presentation_attributes('<path style="fill: none; clip-path: url(#c)"/>')
    '<path fill="none" style="clip-path: url(#c)"/>'
    """

    def attributes(match: re.Match) -> str:
        attrs, rest = [], []
        for decl in filter(None, (d.strip() for d in match[1].split(";"))):
            name, _, value = (part.strip() for part in decl.partition(":"))
            if name in PRESENTATION:
                attrs.append(f'{name}="{html.escape(html.unescape(value), quote=True)}"')
            else:
                rest.append(decl)
        if rest:
            attrs.append(f'style="{"; ".join(rest)}"')
        return " ".join(attrs)

    if _MPL_RULE in svg:
        svg = svg.replace(_MPL_RULE, "", 1)
        svg = re.sub(r"<svg\b", '<svg stroke-linejoin="round" stroke-linecap="butt"', svg, count=1)
    return re.sub(r'style="([^"]*)"', attributes, svg)


def svg_text(fig: Figure) -> str:
    """``fig`` as SVG text: reproducible ids, no date, text as text with its font embedded."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return embed_font(presentation_attributes(buf.getvalue()))


def save_svg(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as SVG atomically; the same figure always gives the same bytes."""
    text = svg_text(fig)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
