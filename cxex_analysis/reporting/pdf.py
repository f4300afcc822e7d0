"""Every report of a run as a PDF beside its HTML, printed by Chromium.

Chromium (Debian's ``chromium`` package, or the browser named by ``CXEX_CHROMIUM``) is driven
through Playwright, one browser for the whole run, so a report costs a page load and a print,
not a browser start. A report is handed to the browser as text, never opened from disk: with
JavaScript off, every request refused and an ``about:blank`` origin, a page cannot reach a
file beside it or anywhere else on the machine (an ``<iframe src="file:///etc/passwd">`` prints
as an empty box). Chromium's sandbox is used wherever it starts (not as root).

The print stylesheet gives A4 pages whose footer carries the run id, the
confidentiality line and "page N of M" (CSS page-margin boxes); charts, tables and summary
boxes are not cut across pages, and a long table repeats its header on the next page.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from cxex_analysis.errors import CxexError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass
class PrintedReport:
    html: Path
    pdf: Path
    seconds: float


def chromium_path() -> str:
    """The Chromium to print with; a clear error when there is none."""
    named = os.environ.get("CXEX_CHROMIUM")
    if named:
        if not Path(named).exists():
            raise CxexError(f"CXEX_CHROMIUM names {named}, which does not exist.")
        return named
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise CxexError("PDF reports need Chromium, which was not found on this machine: install it "
                    "(on Debian or Ubuntu: `apt-get install chromium`) or set CXEX_CHROMIUM to its "
                    "path. The HTML reports do not need it.")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def print_css(run_id: str, min_group_size: int) -> str:
    """The page rules of a printed report: A4, footer with run id, confidentiality, page N of M."""
    footer = (f"Run {run_id} · Confidential: employee results of groups under "
              f"{min_group_size} respondents are hidden")
    margin_text = "font-family:'DejaVu Sans',Arial,sans-serif;font-size:7.5pt;color:#333333"
    return f"""
@page {{ size: A4; margin: 14mm 12mm 16mm 12mm;
  @bottom-left {{ content: {_quoted(footer)}; {margin_text} }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); {margin_text} }} }}
"""


def _launch(playwright, browser_path: str, progress=None):
    """Chromium in its sandbox, or without it where the platform does not allow one (as root,
    or in a container without user namespaces), which is said."""
    if os.geteuid() != 0:  # Chromium refuses its sandbox to root
        try:
            return playwright.chromium.launch(executable_path=browser_path,
                                              args=["--disable-gpu"], chromium_sandbox=True)
        except PlaywrightError:
            pass
    if progress:
        progress("  pdf: Chromium's sandbox cannot start here (running as root or in a "
                 "container); printing without it, JavaScript off and files out of reach")
    return playwright.chromium.launch(executable_path=browser_path, args=["--disable-gpu"],
                                      chromium_sandbox=False)


def _write_new(target: Path, data: bytes) -> None:
    """``target`` replaced as a whole (a link in its place is replaced, not followed)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)


def write_pdfs(pages: list[Path], run_id: str, min_group_size: int,
               progress=None) -> list[PrintedReport]:
    """A PDF beside each HTML report of ``pages``, in that order."""
    if not pages:
        return []
    browser_path = chromium_path()
    style = f"<style>{print_css(run_id, min_group_size)}</style></head>"
    printed = []
    try:
        with sync_playwright() as playwright:
            browser = _launch(playwright, browser_path, progress)
            context = browser.new_context(offline=True, java_script_enabled=False)
            context.route("**/*", lambda route: route.abort())
            page = context.new_page()
            for html in pages:
                started = time.perf_counter()
                page.set_content(html.read_text(encoding="utf-8").replace("</head>", style, 1),
                                 wait_until="load")
                target = html.with_suffix(".pdf")
                _write_new(target, page.pdf(prefer_css_page_size=True, print_background=True))
                printed.append(PrintedReport(html, target, time.perf_counter() - started))
                if progress:
                    progress(f"  pdf: {target.name} ({printed[-1].seconds:.1f} s)")
            browser.close()
    except PlaywrightError as error:
        raise CxexError(f"Chromium ({browser_path}) could not print the reports: "
                        f"{str(error).splitlines()[0]}") from error
    return printed
