"""Display helpers for notebooks: charts with alt text, escaped tables, notes, summary boxes.

The display helpers (:func:`chart`, :func:`table`, :func:`note`, :func:`summary_box`,
:func:`definitions`) show their output in a notebook and return None, so nothing is echoed
twice; a result that was not computed (None) shows the ``missing`` note instead, so the
notebooks need no ``if … else``; the ``*_html``
functions return the markup for tests and other callers. All text from data is HTML-escaped;
free text from people goes through :func:`cxex_analysis.privacy.safe_text`.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from matplotlib import rc_context

from cxex_analysis.analyses.pilots_result import PilotDecision
from cxex_analysis.errors import ParameterError
from cxex_analysis.reporting.tables import ESTIMATE_COLUMNS, laid_out
from cxex_analysis.vocabulary import (
    definitions_markdown,
    format_number,
    format_p,
    label,
    shortened,
)

#: Rules every report page shares: wide tables scroll in their own box, charts shrink to the
#: screen, and when printed nothing is cut across pages and long tables repeat their header.
PAGE_CSS = """
.cxex-scroll{overflow-x:auto;max-width:100%}
.cxex-table td{overflow-wrap:anywhere}
.cxex-scroll:focus{outline:2px solid #1b6ca8}
img{max-width:100%;height:auto}
@media (max-width:640px){
  .jp-Cell{padding:0.2em 0.4em!important}
  .jp-OutputArea-prompt,.jp-InputPrompt,.jp-OutputPrompt{display:none!important}
  .jp-RenderedHTMLCommon table{font-size:0.85em}
  body{margin:0.5em auto!important;padding:0 0.6em!important}
}
@media print{
  a{color:inherit}
  .cxex-scroll{overflow:visible}
  figure,img,.cxex-summary,.cxex-decision,.answer,tr{break-inside:avoid}
  table{break-inside:auto}
  thead{display:table-header-group}
  h1,h2,h3,caption{break-after:avoid}
  .cxex-toc{display:none}
}
"""


#: Characters of a table cell that are shown (a pasted page is cut at a word, ending in "…"):
#: one long cell must not squeeze the other columns of its table off a printed page.
MAX_CELL_CHARS = 600


def _display_html(markup: str) -> None:
    display(HTML(markup))


def _display_markdown(text: str) -> None:
    display(Markdown(text))


#: Charts with more marks than this (points, line vertices) are embedded as PNG pictures;
#: fewer, as SVG drawings.
DENSE_MARKS = 2000


def _marks(fig) -> int:
    """How many points and line vertices the figure draws."""
    return sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections) + sum(
        len(line.get_xydata()) for ax in fig.axes for line in ax.lines)


def figure_image(fig) -> tuple[str, bytes]:
    """The figure as (media type, bytes): an SVG drawing whose words are text — a third of
    the drawing time and size of a picture, sharp when printed, its labels searchable — or,
    for a chart of thousands of marks, a PNG picture."""
    buffer = io.BytesIO()
    if _marks(fig) > DENSE_MARKS:
        fig.savefig(buffer, format="png")  # constrained layout fits the labels
        return "image/png", buffer.getvalue()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "cxex"}), \
            warnings.catch_warnings():
        # the words stay text, drawn by the reader's browser in a font that has them (a
        # region named 東京); matplotlib's own font, used only to measure them, may not
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "image/svg+xml", buffer.getvalue()


def figure_html(fig, alt: str) -> str:
    """A figure as an embedded ``<img>`` (:func:`figure_image`) with alt text."""
    if not alt or not alt.strip():
        raise ParameterError("`alt` text is required for every chart (describe what it shows).")
    media, image = figure_image(fig)
    data = base64.b64encode(image).decode("ascii")
    title = ""
    if fig.axes and fig.axes[0].get_title():
        title = fig.axes[0].get_title()
    width = round(fig.get_figwidth() * fig.dpi)  # the size its picture would have
    return (f'<figure class="cxex-chart"><img src="data:{media};base64,{data}" width="{width}" '
            f'alt="{html.escape(alt, quote=True)}" title="{html.escape(title, quote=True)}" '
            f'style="max-width:100%;height:auto"></figure>')


def chart(fig, alt: str) -> None:
    """Show a chart with its alt text."""
    _display_html(figure_html(fig, alt))


def plot(draw: Callable, data: pd.DataFrame | None, *args, alt: str, missing: str | None = None,
         **kwargs) -> None:
    """Draw ``draw(data, *args, **kwargs)`` and show it with its alt text.

    When there is nothing to draw (``data`` is None, or has no rows, or ``draw`` finds nothing
    it can draw and returns None) the ``missing`` note is shown instead, or nothing.
    """
    if data is None or (isinstance(data, pd.DataFrame) and data.empty):
        note(missing)
        return
    fig = draw(data, *args, **kwargs)
    if fig is None:
        note(missing)
        return
    chart(fig, alt)


def table_html(frame: pd.DataFrame, caption: str | None = None, digits: int | None = 1,
               labels: dict[str, str] | None = None, empty: str = "None.",
               classes: Mapping[str, Callable[[Any], str | None]] | None = None,
               links: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """An escaped HTML table in words (:func:`cxex_analysis.reporting.tables.readable`), inside
    a box that scrolls sideways on a narrow screen rather than the page.

    ``classes`` gives a column's cells a CSS class from their value (a pilot's verdict in its
    colour); ``links`` makes a column's cells links, from the cell's text to the address.
    """
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    if frame is None or frame.empty:
        return (f'<div class="cxex-scroll"><table class="cxex-table">{cap}<tbody><tr><td>'
                f'{html.escape(empty)}</td></tr></tbody></table></div>')
    columns, headers, rows = laid_out(frame, digits, labels)
    classes, links = classes or {}, links or {}
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)

    def cell(i: int, column: str, text: str, numeric: bool) -> str:
        style = classes[column](frame[column].iloc[i]) if column in classes else None
        shown = html.escape(shortened(text, MAX_CELL_CHARS))
        href = links.get(column, {}).get(text)
        if href:
            shown = f'<a href="{html.escape(href)}">{shown}</a>'
        return (f'<td style="text-align:{"right" if numeric else "left"}"'
                + (f' class="{html.escape(style)}"' if style else "") + f">{shown}</td>")

    body = "".join("<tr>" + "".join(cell(i, column, text, numeric)
                                    for column, (text, numeric) in zip(columns, cells)) + "</tr>"
                   for i, cells in enumerate(rows))
    return scroll_box(f'<table class="cxex-table">{cap}<thead><tr>{head}</tr></thead>'
                      f"<tbody>{body}</tbody></table>", caption or "table")


def scroll_box(table: str, label: str) -> str:
    """A table in a box that scrolls sideways on a narrow screen instead of the page; the box
    can take the keyboard focus, so it scrolls without a mouse too."""
    return (f'<div class="cxex-scroll" role="region" tabindex="0" aria-label="{html.escape(label)}">'
            f"{table}</div>")


#: A table's layout: the keyword arguments of :func:`table` (columns, digits, caption, labels,
#: empty) that a report gives as ``**layout`` (``reporting/linkage_tables.py``, …).
Layout = dict[str, Any]


def table(frame: pd.DataFrame | None, caption: str | None = None, digits: int | None = 1,
          labels: dict[str, str] | None = None, empty: str | None = "None.",
          columns: Sequence[str] | None = None, missing: str | None = None) -> None:
    """Show an escaped table of ``columns`` (those the frame has, in that order; default all).

    A result that was not computed (``frame`` is None) shows the ``missing`` note instead, or
    nothing; a frame without rows shows ``empty`` in the table, or nothing when ``empty`` is
    None.
    """
    if frame is None:
        note(missing)
        return
    if frame.empty and empty is None:
        return
    if columns is not None:
        keep = [c for c in columns if c in frame.columns]
        if "confidence" in frame.columns and set(ESTIMATE_COLUMNS) <= set(keep):
            keep.append("confidence")  # the interval's level names its column, not a guess
        frame = frame[keep]
    _display_html(table_html(frame, caption, digits, labels, empty or "None."))


def summary_box_html(title: str, findings: list[str]) -> str:
    """A boxed list of plain-language findings (escaped)."""
    items = "".join(f"<li>{html.escape(text)}</li>" for text in findings)
    return (f'<div class="cxex-summary" role="note" style="border:2px solid #1b6ca8;'
              f'border-radius:6px;padding:0.6em 1.2em;margin:0.8em 0;background:#f3f8fc">'
              f"<strong>{html.escape(title)}</strong><ul>{items}</ul></div>")


def summary_box(title: str, findings: list[str]) -> None:
    """Show the summary box that opens every report."""
    _display_html(summary_box_html(title, findings))


#: What a summary box shown before its report's sections says until they have run.
SUMMARY_PENDING = ("The findings are written here once the sections below have run; a "
                   "section that could not be computed says so where it stands.")


class ToCome:
    """A display shown where a reader expects it and filled in later, when the sections
    below it have computed what it shows (:meth:`show` updates the same display, in
    JupyterLab and in the published page)."""

    def __init__(self, placeholder: str):
        self.handle = display(HTML(placeholder), display_id=True)

    def show(self, markup: str) -> None:
        """Replace the placeholder with ``markup``."""
        if self.handle is None:  # no display id outside a kernel: show it where it is
            display(HTML(markup))
        else:
            self.handle.update(HTML(markup))


class SummaryToCome(ToCome):
    """The summary box that opens a report whose sections compute its findings: shown first,
    as a leader reads it, and filled in at the end."""

    def __init__(self, title: str):
        self.title = title
        super().__init__(summary_box_html(title, [SUMMARY_PENDING]))

    def fill(self, findings: list[str]) -> None:
        """Replace the box's placeholder with ``findings``."""
        self.show(summary_box_html(self.title, findings))


class TableToCome(ToCome):
    """A table shown before the sections that compute its rows (a ledger of what they
    found), filled in at the end with :func:`table`'s layout."""

    def __init__(self, caption: str):
        self.caption = caption
        super().__init__(note_html(TABLE_PENDING))

    def fill(self, frame: pd.DataFrame, **layout: Any) -> None:
        """Replace the placeholder with ``frame`` as :func:`table` lays it out."""
        self.show(table_html(frame, self.caption, **layout))


#: What a table to come says until the sections below have run.
TABLE_PENDING = ("This table is filled in once the sections below have run; a section that "
                 "could not be computed says so where it stands.")


def summary_to_come(title: str) -> SummaryToCome:
    """Show the summary box titled ``title`` now and fill it in later:
    ``summary = show.summary_to_come(…)`` first, ``summary.fill(findings)`` last."""
    return SummaryToCome(title)


def table_to_come(caption: str) -> TableToCome:
    """Show where the table captioned ``caption`` goes now and fill it in later:
    ``ledger = show.table_to_come(…)`` first, ``ledger.fill(frame, digits=…)`` last."""
    return TableToCome(caption)


def definitions(min_group_size: int = 5) -> None:
    """Show the metric definitions footnote."""
    _display_markdown("### Metric definitions\n\n" + definitions_markdown(min_group_size))


def note_html(text: str) -> str:
    """A plain paragraph (escaped)."""
    return f'<p class="cxex-note">{html.escape(text)}</p>'


def note(text: str | Sequence[str] | None) -> None:
    """Show a plain paragraph (a list of sentences is joined); nothing when there is no text."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return
    if not isinstance(text, str):
        text = " ".join(text)
    if text and text.strip():
        _display_html(note_html(text))


def _signed(value: float) -> str:
    text = format_number(float(value), 2)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def decision_panel_html(decision: PilotDecision) -> str:
    """The scale / extend / stop panel: verdict, probability, range, the rule, and where known
    the always-valid monitoring call and the joint test of "better for both"."""
    row = decision["row"]
    colour = {"scale": "#2b7446", "extend": "#9c4a00", "stop": "#a8283a"}[decision["verdict"]]
    outcome = html.escape(label(decision["outcome"]))
    if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
        evidence = (f"Chance it improved: <strong>{decision['probability_beneficial']:.0%}</strong>. "
                    f"Plausible range of the effect: {_signed(row['ci_low'])} to {_signed(row['ci_high'])} "
                    f"({row['confidence']:.0%} interval; estimate {_signed(row['estimate'])}).")
    else:
        evidence = (f"Estimate {_signed(row['estimate'])}, with no interval: too few units on one "
                    "side to tell it from chance.")
    extra = ""
    if decision.get("registered"):
        extra += (f"<p><strong>REGISTERED</strong> before the start. "
                  f"{html.escape(str(decision['registered']))}</p>")
        deviations = decision.get("deviations") or ()
        extra += ("<p>Deviations from the registration:</p><ul>"
                  + "".join(f"<li>{html.escape(d)}</li>" for d in deviations) + "</ul>"
                  if deviations else "<p>No deviation from the registration.</p>")
    if decision["monitoring"]:
        extra += (f"<p>Monthly monitoring (an interval valid however often it is looked at): "
                  f"<strong>{html.escape(decision['monitoring'])}</strong>.</p>")
    dual = decision["dual_test"]
    if dual:
        verdict = ("shown" if dual["both_better"] else "not shown")
        p_text = format_p(dual["p_value"])
        extra += (f"<p>Better for both customers ({html.escape(label(dual['customers']))}) "
                  f"and employees ({html.escape(label(dual['employees']))}): "
                  f"<strong>{verdict}</strong> (joint test p {'' if p_text.startswith('<') else '= '}"
                  f"{html.escape(p_text)}: both "
                  f"one-sided tests must pass at {dual['alpha']:.0%}).</p>")
    return (f'<div class="cxex-decision" role="note" style="border:2px solid {colour};'
            f'border-radius:6px;padding:0.6em 1.2em;margin:0.8em 0">'
            f'<p style="font-size:1.4em;margin:0.2em 0;color:{colour}"><strong>'
            f'{html.escape(decision["verdict"].upper())}</strong>'
            + (' <span style="font-size:0.6em;color:#1f1f1f">(registered)</span>'
               if decision.get("registered") else "") + '</p>'
            f"<p>Primary outcome: <strong>{outcome}</strong>. {evidence}</p>"
            f"<p>Rule: {html.escape(decision['rule'])}</p>{extra}</div>")


def decision_panel(decision: PilotDecision | None, missing: str | None = None) -> None:
    """Show the decision panel (the ``missing`` note when there is no decision)."""
    if decision is None:
        note(missing)
        return
    _display_html(decision_panel_html(decision))


def markdown(text: str) -> None:
    """Show Markdown written by the package (never user text)."""
    _display_markdown(text)
