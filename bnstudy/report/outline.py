"""The report's outline: its sections in order, their numbers, and the figures' numbers.

Every number a reader uses to find something — "Section 4", "3.2", "A.4",
"Figures 3–5" — is given here and only here: the template prints sections by id
(``sections.strategy``) and cross-references through ``xrefs`` (``xrefs.strategy.ref``
is "Section 5"), so reordering :data:`SECTIONS` renumbers the headings, the table of
contents and every reference in the prose together.
"""

from __future__ import annotations

from pathlib import Path

#: The report's top-level sections in reading order: (id, title). Numbered 1, 2, …
#: except those in :data:`UNNUMBERED`; the appendix is lettered.
SECTIONS = (
    ("introduction", "Introduction"),
    ("setup", "Setup"),
    ("methods", "How the verdicts are computed"),
    ("budget", "Compute budget"),
    ("results", "Results"),
    ("reproduction", "Reproduction: the published LeNet runs among our seeds"),
    ("claims", "Claims and verdicts"),
    ("strategy", "Tuning strategy"),
    ("limitations", "Limitations"),
    ("changes", "What changed since the last build"),
    ("references", "References"),
    ("appendix", "Appendix: provenance"),
)
UNNUMBERED = ("references",)
APPENDIX = "appendix"
APPENDIX_LETTER = "A"
#: The section whose subsections are the experiment families.
RESULTS = "results"
#: The appendix's parts in order: (id, title), numbered A.1, A.2, …
APPENDIX_PARTS = (
    ("build", "This build"),
    ("figure-index", "Figures and how to regenerate each"),
    ("versions", "Software versions"),
    ("jobs", "Jobs: runtime and peak memory"),
    ("rulegraph", "The workflow's rule graph"),
    ("configuration", "Configuration as run"),
)


def family_anchor(family: str) -> str:
    """The id of a family's subsection of the results."""
    return f"family-{family}"


def heading(sid: str, number: str, title: str, children=(), parts=()) -> dict:
    """A numbered part of the report, and how the prose refers to it. ``children`` are
    listed in the table of contents (the families), ``parts`` not (the appendix's)."""
    if not number:
        ref = title
    elif number.startswith(APPENDIX_LETTER):
        ref = f"Appendix {number}"
    else:
        ref = f"Section {number}"
    return {
        "id": sid,
        "number": number,
        "title": title,
        "ref": ref,
        "children": list(children),
        "parts": list(parts),
    }


def number_sections(families: list[tuple[str, str]]) -> list[dict]:
    """The table of contents: each section's heading, the results' with one child per
    family (``families``: (family, title) in report order), the appendix with its parts."""
    toc, n = [], 0
    for sid, title in SECTIONS:
        if sid == APPENDIX:
            parts = [
                heading(pid, f"{APPENDIX_LETTER}.{i}", ptitle)
                for i, (pid, ptitle) in enumerate(APPENDIX_PARTS, start=1)
            ]
            toc.append(heading(sid, APPENDIX_LETTER, title, parts=parts))
        elif sid in UNNUMBERED:
            toc.append(heading(sid, "", title))
        else:
            n += 1
            children = []
            if sid == RESULTS:
                children = [
                    heading(family_anchor(fam), f"{n}.{i}", ftitle)
                    for i, (fam, ftitle) in enumerate(families, start=1)
                ]
            toc.append(heading(sid, str(n), title, children))
    return toc


def cross_references(toc: list[dict]) -> dict[str, dict]:
    """Every heading of the outline by id, for the prose's cross-references."""
    return {h["id"]: h for s in toc for h in (s, *s["children"], *s["parts"])}


# --------------------------------------------------------------------------- figures


def svg_data_uri(path) -> str:
    """An SVG file as a data URI, so that the HTML carries its figures."""
    import base64

    data = Path(path).read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


class FigureIndex:
    """The report's figures, numbered in the order they are added.

    The section builders add their figures in reading order (setup, results,
    appendix), so a figure's number is its position in the document; the appendix
    lists them all with the command that regenerates each.
    """

    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, anchor: str, path, caption: str, provenance: dict) -> dict:
        """Figure ``path`` (an SVG file) as the next figure: inlined for the HTML, read
        from its file by the PDF (``render.pdf_fetcher``)."""
        entry = {
            "number": len(self.entries) + 1,
            "id": anchor,
            "src": svg_data_uri(path),
            "pdf_src": Path(path).resolve().as_uri(),
            "caption": caption,
            "provenance": {"configs": "", **provenance},
        }
        self.entries.append(entry)
        return entry


def figure_range(figs: list[dict]) -> str:
    """How the prose names a run of figures: "Figure 3" or "Figures 3–5"."""
    if not figs:
        return ""
    first, last = figs[0]["number"], figs[-1]["number"]
    return f"Figure {first}" if first == last else f"Figures {first}–{last}"
