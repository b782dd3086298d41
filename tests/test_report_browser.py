"""The report as a reader sees it: the HTML in headless Chromium, the PDF as page images.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages on file descriptors 3 and 4, so no websocket client is needed). The page
must load from disk without a single network request, failed load, console error or
uncaught exception; it must fit a phone's width without sideways scrolling; its claims
table must sort; every in-page link must land. Screenshots at laptop and phone size are
taken (set BNSTUDY_SCREENSHOTS to a folder to keep them).

The PDF is turned into PNG pages with ``pdftoppm``: no page may be blank, the page count
must agree between the PDF, its images and its own page footers, the contents' page
numbers must point at the pages where the sections start, and a figure's caption must
not be split from it.

Both tools come from Debian (``chromium``, ``poppler-utils``; envs/setup.sh installs
them). Without them the tests skip, except under CI, where they must run.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_report import CONFIG, POLY2, depth_lr_tidies, fixture_claims, study_inputs, write_study

from bnstudy.report.provenance import collect_provenance
from bnstudy.report.render import DEFAULT_TEMPLATE_DIR, render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
LAPTOP = (1366, 768)
PHONE = (390, 844)


def _need(tool: str | None, name: str) -> None:
    if tool is None:
        reason = f"{name} is not installed (envs/setup.sh installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; under CI this test must run")
        pytest.skip(reason)


class Chromium:
    """Headless Chromium driven through the DevTools protocol over a pipe."""

    FLAGS = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-default-apps",
        "--remote-debugging-pipe",
    ]

    def __init__(self, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
            # Out of the way first, so that neither end is overwritten by the other.
            read, write = (
                fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)
            )
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *self.FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4),  # kept open in Chromium (other descriptors are closed)
            preexec_fn=fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.page(f"{domain}.enable")

    def _send(self, method: str, params: dict, session: str | None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        return self._id

    def _pump(self, timeout: float) -> list[dict]:
        ready, _, _ = select.select([self._from_chrome], [], [], timeout)
        if ready:
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        out = []
        while b"\0" in self._buf:
            raw, self._buf = self._buf.split(b"\0", 1)
            out.append(json.loads(raw))
        return out

    def call(self, method: str, session: str | None = None, timeout=60, **params) -> dict:
        want = self._send(method, params, session)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for msg in self._pump(0.2):
                if msg.get("id") == want:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg.get("result", {})
                self.events.append(msg)
        raise TimeoutError(method)

    def page(self, method: str, **params) -> dict:
        return self.call(method, self.session, **params)

    def wait_for(self, event: str, timeout=60) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(event)
            self.events += self._pump(0.2)

    def evaluate(self, expression: str):
        result = self.page(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def open(self, url: str, size=LAPTOP, mobile=False) -> None:
        """Load ``url`` at a window ``size``; wait for the load event and the fonts."""
        # From a blank page, so that a load event comes even if only the #fragment differs.
        self.events.clear()
        self.page("Page.navigate", url="about:blank")
        self.wait_for("Page.loadEventFired")
        self.events.clear()
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=size[0],
            height=size[1],
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.page("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")
        self.events += self._pump(0.3)  # late messages

    def screenshot(self, path: Path, full_page=False) -> Path:
        params = {"format": "png", "captureBeyondViewport": full_page}
        data = self.page("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def problems(self, allowed_url: str) -> list[str]:
        """Every request other than the page itself and data: URIs, every failed load,
        console error or warning, uncaught exception and error logged, as text."""
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if url != allowed_url and not url.startswith("data:"):
                    out.append(f"request: {url}")
            elif method == "Network.loadingFailed":
                out.append(f"failed load: {p.get('errorText')}")
            elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning"):
                out.append(f"console {p['type']}: {[a.get('value') for a in p['args']]}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
        return out

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A report of the fixture study with real figures, benchmarks and rule graph."""
    tmp = tmp_path_factory.mktemp("browser")
    study = write_study(tmp, depth_lr_tidies())
    out = tmp / "out"
    provenance = collect_provenance(CONFIG, DEFAULT_TEMPLATE_DIR.parent)
    inputs = study_inputs(study, fixture_claims(), provenance, datasets={"poly2": POLY2})
    context = render_report(inputs, out / "report.html", out / "report.pdf")
    return {"html": out / "report.html", "pdf": out / "report.pdf", "context": context}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need(CHROMIUM, "chromium")
    chrome = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield chrome
    chrome.close()


def _keep(path: Path) -> None:
    folder = os.environ.get("BNSTUDY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _not_blank(png: Path, box=None) -> float:
    """The fraction of pixels (within ``box``) that are not white."""
    image = np.asarray(Image.open(png).convert("L"), dtype=float)
    if box is not None:
        image = image[box]
    return float((image < 235).mean())


def test_harness_catches_requests_and_errors(browser, tmp_path):
    """The checks below would see a broken page: an external image, a console error and
    an exception are all reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>x</p>"
        '<img src="http://example.invalid/x.png">'
        '<script>console.error("boom"); notDefined();</script></body></html>'
    )
    browser.open(page.as_uri())
    problems = browser.problems(page.as_uri())
    assert any(p.startswith("request: http://example.invalid/x.png") for p in problems)
    assert any(p.startswith("failed load") for p in problems)
    assert any("console error" in p and "boom" in p for p in problems)
    assert any(p.startswith("exception") for p in problems)


def test_html_opens_offline_without_a_request_or_an_error(browser, rendered, tmp_path):
    url = rendered["html"].as_uri()
    browser.open(url)
    assert browser.problems(url) == []
    title = browser.evaluate("document.title")
    assert title == rendered["context"]["title"]
    # Every figure decoded and drawn; the embedded fonts are the ones in use.
    n_images = browser.evaluate(
        "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert n_images == len(rendered["context"]["figure_index"])
    for family in ("Report Serif", "Report Sans", "Report Mono"):
        assert browser.evaluate(f"document.fonts.check('12px \"{family}\"')"), family
    loaded = browser.evaluate(
        "Array.from(document.fonts).filter(f => f.status === 'loaded').length"
    )
    assert loaded >= 3
    shot = browser.screenshot(tmp_path / "report-laptop.png")
    assert Image.open(shot).size == LAPTOP
    assert _not_blank(shot) > 0.01
    _keep(shot)


def test_readable_on_a_phone(browser, rendered, tmp_path):
    url = rendered["html"].as_uri()
    browser.open(url, size=PHONE, mobile=True)
    assert browser.problems(url) == []
    # No sideways scrolling of the page: wide tables scroll inside their own box.
    width = browser.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], width
    # Figures shrink to the screen; the text is not tiny.
    widest = browser.evaluate(
        "Math.max(...Array.from(document.images).map(i => i.getBoundingClientRect().right))"
    )
    assert widest <= PHONE[0]
    size = browser.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#introduction p')).fontSize)"
    )
    assert size >= 14
    shot = browser.screenshot(tmp_path / "report-phone.png")
    assert _not_blank(shot) > 0.01
    _keep(shot)


def test_claims_table_sorts_in_the_browser(browser, rendered):
    browser.open(rendered["html"].as_uri())
    # Each claim is a <tbody>: its as-run row (with the id), then its tuned row if any.
    rows = "Array.from(document.querySelectorAll('table.claims tbody tr')).map(r => r.id)"
    d3, d4 = ["claim-D3", ""], ["claim-D4", ""]
    assert browser.evaluate(rows) == ["claim-D2", *d3, *d4, "claim-L2", "claim-B1"]
    click = "document.querySelectorAll('table.claims thead th')[4].click()"  # effect
    browser.evaluate(click)
    assert browser.evaluate(rows) == [*d3, "claim-L2", *d4, "claim-D2", "claim-B1"]
    browser.evaluate(click)
    assert browser.evaluate(rows) == ["claim-D2", *d4, "claim-L2", *d3, "claim-B1"]
    sort = "document.querySelectorAll('table.claims thead th')[4].getAttribute('aria-sort')"
    assert browser.evaluate(sort) == "descending"
    assert browser.problems(rendered["html"].as_uri()) == []


def test_every_in_page_link_lands(browser, rendered):
    browser.open(rendered["html"].as_uri())
    missing = browser.evaluate(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
        ".map(a => a.getAttribute('href').slice(1))"
        ".filter(id => !document.getElementById(id))"
    )
    assert missing == []
    n_links = browser.evaluate("document.querySelectorAll('a[href^=\"#\"]').length")
    assert n_links > 30  # contents, figures, claims, families


# --------------------------------------------------------------------------- the PDF


def _pdf_text(pdf: Path, page: int) -> str:
    cmd = [PDFTOTEXT, "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_pdf_pages_are_not_blank_and_counted(rendered, tmp_path):
    _need(PDFTOPPM, "pdftoppm (poppler-utils)")
    pdf = rendered["pdf"]
    subprocess.run([PDFTOPPM, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    assert len(pages) == n_pages
    # Each page says "k / n" at its foot: the document knows its own length.
    for k in (1, n_pages):
        assert re.search(rf"\b{k} / {n_pages}\b", _pdf_text(pdf, k))
    # The fixture study: title page, setup, two families, claims, appendix… a short paper.
    assert 8 <= n_pages <= 40, n_pages
    for png in pages:
        height, width = Image.open(png).size[::-1]
        body = (slice(int(0.09 * height), int(0.91 * height)), slice(None))  # no header/footer
        assert _not_blank(png, body) > 0.004, f"{png.name} is blank"
    _keep(pages[0])


def test_pdf_contents_page_numbers_point_at_the_sections(rendered):
    _need(PDFTOTEXT, "pdftotext (poppler-utils)")
    pdf = rendered["pdf"]
    first = _pdf_text(pdf, 1) + _pdf_text(pdf, 2)
    entries = re.findall(r"^\s*([\dA]+(?:\.\d+)?)\s+(.+?)\s*\.{3,}\s*(\d+)\s*$", first, re.M)
    titles = {s["title"]: s for s in rendered["context"]["toc"]}
    assert {t for _, t, _ in entries} >= {"Introduction", "Setup", "Results", "Limitations"}
    for number, title, page in entries:
        heading = f"{number} {title}" if number != "A" else title
        on_page = " ".join(_pdf_text(pdf, int(page)).split())
        assert heading.split(":")[0] in on_page, (title, page)
    assert titles


def test_pdf_figures_keep_their_captions(rendered):
    _need(PDFTOTEXT, "pdftotext (poppler-utils)")
    pdf = rendered["pdf"]
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    pages = [" ".join(_pdf_text(pdf, k).split()) for k in range(1, n_pages + 1)]
    for fig in rendered["context"]["figure_index"]:
        label = f"Figure {fig['number']}. "
        where = [k for k, page in enumerate(pages) if label in page]
        assert len(where) == 1, (label, where)
        # The caption's last words (its provenance) are on the same page as its label.
        page = pages[where[0]]
        assert page.index(label) < page.index("Code: ", page.index(label))
