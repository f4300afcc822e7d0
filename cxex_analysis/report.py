"""Display helpers for notebooks: charts with alt text, escaped tables, summary boxes.

Each helper displays (in a notebook) and also returns the HTML string, so the same call
works in JupyterLab, under papermill and in tests. All text from data is HTML-escaped;
free text from people goes through :func:`cxex_analysis.privacy.safe_text`.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from .metrics import definitions_markdown


def _display_html(markup: str) -> str:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover
        return markup
    if get_ipython() is not None:
        display(HTML(markup))
    return markup


def _display_markdown(text: str) -> str:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover
        return text
    if get_ipython() is not None:
        display(Markdown(text))
    return text


def figure_html(fig, alt: str) -> str:
    """A figure as an embedded PNG ``<img>`` with alt text."""
    if not alt or not alt.strip():
        from .errors import ParameterError
        raise ParameterError("`alt` text is required for every chart (describe what it shows).")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = ""
    if fig.axes and fig.axes[0].get_title():
        title = fig.axes[0].get_title()
    return (f'<figure class="cxex-chart"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}" title="{html.escape(title, quote=True)}" '
            f'style="max-width:100%"></figure>')


def chart(fig, alt: str) -> str:
    """Show a chart with its alt text."""
    return _display_html(figure_html(fig, alt))


def _format_cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{digits}f}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def table_html(frame: pd.DataFrame, caption: str | None = None, digits: int = 1,
               labels: dict[str, str] | None = None) -> str:
    """An escaped HTML table (numbers rounded for display only)."""
    labels = labels or {}
    head = "".join(f"<th>{html.escape(labels.get(c, str(c).replace('_', ' ')))}</th>"
                   for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_format_cell(v, digits))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="cxex-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def table(frame: pd.DataFrame, caption: str | None = None, digits: int = 1,
          labels: dict[str, str] | None = None) -> str:
    """Show an escaped table."""
    return _display_html(table_html(frame, caption, digits, labels))


def interval_text(estimate: float, low: float, high: float, digits: int = 1, unit: str = "",
                  confidence: float | None = 0.95) -> str:
    """'25.2 (95% CI 24.7 to 25.7)' — the way every number with an interval is written."""
    if estimate is None or np.isnan(estimate):
        return "not available"
    level = f"{confidence:.0%} CI " if confidence else ""
    return (f"{estimate:,.{digits}f}{unit} ({level}{low:,.{digits}f} to {high:,.{digits}f}{unit})")


def summary_box(title: str, findings: list[str]) -> str:
    """A boxed list of plain-language findings (escaped), shown first in every report."""
    items = "".join(f"<li>{html.escape(text)}</li>" for text in findings)
    markup = (f'<div class="cxex-summary" role="note" style="border:2px solid #1b6ca8;'
              f'border-radius:6px;padding:0.6em 1.2em;margin:0.8em 0;background:#f3f8fc">'
              f"<strong>{html.escape(title)}</strong><ul>{items}</ul></div>")
    return _display_html(markup)


def definitions(min_group_size: int = 5) -> str:
    """Show the metric definitions footnote."""
    return _display_markdown("### Metric definitions\n\n" + definitions_markdown(min_group_size))
