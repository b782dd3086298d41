"""The report written out: the template filled as self-contained HTML and as a PDF.

:func:`render_files` is the entry point of the ``render_report`` rule: it reads the
pipeline's files (``inputs.read_inputs``) and calls :func:`render_report`, which
compares with the last build's snapshot, builds the context, writes both files
atomically and then replaces the snapshot.

The HTML carries everything it needs: the stylesheet and subsets of the fonts are
inlined and the figures are SVG data URIs. The PDF (WeasyPrint) reads the figures
from their files instead, without their embedded font, which parses much faster.
"""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import os
import re
from pathlib import Path

import jinja2

from bnstudy.figures.svg import subset_font
from bnstudy.io import atomic_write, write_text
from bnstudy.report import changes
from bnstudy.report.context import build_context
from bnstudy.report.fmt import display_path
from bnstudy.report.inputs import ReportInputs, read_inputs
from bnstudy.report.numbers import table_metrics

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "report"
TEMPLATE = "report.html.j2"
STYLESHEET = "style.css"

#: The report's fonts: DejaVu, as matplotlib ships it (so the lock provides the files),
#: embedded in the HTML as subsets of the characters the report uses.
FONT_FACES = [
    ("Report Serif", "normal", "normal", "DejaVuSerif.ttf"),
    ("Report Serif", "bold", "normal", "DejaVuSerif-Bold.ttf"),
    ("Report Serif", "normal", "italic", "DejaVuSerif-Italic.ttf"),
    ("Report Sans", "normal", "normal", "DejaVuSans.ttf"),
    ("Report Sans", "bold", "normal", "DejaVuSans-Bold.ttf"),
    ("Report Mono", "normal", "normal", "DejaVuSansMono.ttf"),
]
#: Where the stylesheet wants the @font-face rules.
FONTS_MARKER = "/* @font-face rules are inserted here */"
#: The font a figure embeds for browsers (``bnstudy.figures.svg``); the PDF has DejaVu.
SVG_FONT = re.compile(r'<defs><style type="text/css">@font-face \{.*?</style></defs>', re.S)


def font_css(text: str) -> str:
    """@font-face rules embedding FONT_FACES as WOFF subsets covering ``text``."""
    rules = []
    for family, weight, style, filename in FONT_FACES:
        data = base64.b64encode(subset_font(filename, text)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f"font-style: {style}; src: url(data:font/woff;base64,{data}) format('woff'); }}"
        )
    return "\n".join(rules)


def pdf_fetcher():
    """WeasyPrint's URL fetcher, serving figure files without their embedded font."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class FigureFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:") and url.endswith(".svg"):
                svg = Path(unquote(urlparse(url).path)).read_text(encoding="utf-8")
                body = SVG_FONT.sub("", svg, count=1).encode("utf-8")
                return URLFetcherResponse(url, body, {"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)

    return FigureFetcher()


@contextlib.contextmanager
def background(fn, *args):
    """Run ``fn(*args)`` in a forked process; yields a function that waits for its result.

    Where fork is not available it runs in this process, when the result is asked for.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: fn(*args)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        future = pool.submit(fn, *args)
        yield future.result


def render_html(
    context: dict, template_dir=DEFAULT_TEMPLATE_DIR, fonts: bool = True, for_pdf: bool = False
) -> str:
    """The report's HTML: the template filled with ``context``, stylesheet and fonts inlined.

    ``for_pdf``: the figures are read from their files (see :func:`pdf_fetcher`) rather
    than inlined, which WeasyPrint parses much faster.
    """
    template_dir = Path(template_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = (template_dir / STYLESHEET).read_text(encoding="utf-8")
    html = env.get_template(TEMPLATE).render(css=css, for_pdf=for_pdf, **context)
    if fonts and FONTS_MARKER in html:
        html = html.replace(FONTS_MARKER, font_css(html), 1)
    return html


def compared_metrics(family: str, summary) -> list[tuple[str, str, bool]]:
    """(metric, name, geometric mean?) of the numbers "what changed" compares: the table's."""
    return [(metric, header, log) for metric, header, log, _ in table_metrics(family, summary)]


def write_html_and_pdf(context: dict, html_out, pdf_out, template_dir) -> None:
    """Both files, atomically. The PDF takes DejaVu from the system (WeasyPrint embeds
    what it uses), so the HTML's font subsets are made meanwhile, in a second process."""
    import weasyprint  # slow to import; only the report job needs it

    html = render_html(context, template_dir, fonts=False)
    pdf_html = render_html(context, template_dir, fonts=False, for_pdf=True)
    with background(font_css, html) as fonts:
        document = weasyprint.HTML(
            string=pdf_html.replace(FONTS_MARKER, ""),
            base_url=str(Path(template_dir).resolve()),
            url_fetcher=pdf_fetcher(),
        )
        atomic_write(pdf_out, lambda tmp: document.write_pdf(tmp))
        write_text(html_out, html.replace(FONTS_MARKER, fonts(), 1))


def render_report(
    inputs: ReportInputs,
    html_out: str | os.PathLike,
    pdf_out: str | os.PathLike,
    template_dir: str | os.PathLike = DEFAULT_TEMPLATE_DIR,
    snapshot_dir: str | os.PathLike | None = None,
) -> dict:
    """Write the report as a self-contained HTML file and as a PDF, both atomically.

    The claims and summaries are compared with the snapshot of the last build in
    ``snapshot_dir`` (default: ``last_build/`` next to the HTML), and once both files
    are written they replace it. Returns the context rendered.
    """
    snapshot_dir = Path(snapshot_dir or Path(html_out).parent / "last_build")
    summaries = {f: inputs.summaries[f] for f in inputs.families}
    diff = changes.compare(
        changes.load_snapshot(snapshot_dir), inputs.claims, summaries, compared_metrics
    )
    context = build_context(inputs, diff, display_path(snapshot_dir))
    write_html_and_pdf(context, html_out, pdf_out, template_dir)
    build = context["build"]
    changes.save_snapshot(
        snapshot_dir,
        inputs.claims,
        summaries,
        {"generated": build["generated"], "code_revision": build["code_revision"]},
    )
    return context


def render_files(
    *,
    html_out: str,
    pdf_out: str,
    snapshot_dir: str | os.PathLike | None = None,
    template_dir: str | os.PathLike = DEFAULT_TEMPLATE_DIR,
    **files,
) -> dict:
    """The report from the pipeline's files (``files``: see ``inputs.read_inputs``)."""
    return render_report(read_inputs(**files), html_out, pdf_out, template_dir, snapshot_dir)
