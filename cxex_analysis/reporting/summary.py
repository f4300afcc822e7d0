"""The executive summary (``index.html``) of a run, generated from ``results.json``.

Every number on the page comes from the run's recorded results (never typed by hand): the
headline answers to the four questions — does EX drive CX here, did the pilots work, what is
it worth, where to act — each in a plain sentence with its interval, and links to every
report of the run. Self-contained: inline CSS, no scripts, no external resources.

The page is ``reporting/templates/summary.html`` (Jinja, autoescaped); this module gives it
the answers in words (:mod:`cxex_analysis.narrative.summary_findings`), the tables and the
charts.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from cxex_analysis.analyses.changes import fdr_note, marked
from cxex_analysis.analyses.heatmap import matrix
from cxex_analysis.narrative.alert_findings import (
    ALERT_LABELS,
    SHOWN_ALERTS,
    alert_rule,
    alert_sentence,
    alert_table,
    more_alerts,
    recorded_alerts,
)
from cxex_analysis.narrative.claim_findings import (
    CLAIM_BY_ID,
    VERDICT_RULE,
    ledger_sentences,
    ledger_table,
)
from cxex_analysis.narrative.norm_findings import NORM_CAVEAT, norm_note, norm_sentences
from cxex_analysis.narrative.summary_findings import (
    action_answers,
    ex_cx_answer,
    failed_sections,
    held_back,
    pilot_table,
    value_answers,
    where_to_act,
)
from cxex_analysis.panels.norms import from_records
from cxex_analysis.reporting.group_charts import group_heatmap
from cxex_analysis.reporting.show import PAGE_CSS, figure_html, table_html
from cxex_analysis.results import read_json
from cxex_analysis.vocabulary import (
    ci_label,
    definitions_markdown,
    level_of,
)

CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#1f2933;line-height:1.5}
h1{font-size:1.8em;margin-bottom:0.2em} h2{margin-top:1.6em;border-bottom:2px solid #1b6ca8}
.meta{color:#5f6b73} .answer{border:2px solid #1b6ca8;border-radius:6px;padding:0.5em 1.2em;
margin:0.8em 0;background:#f3f8fc} table{border-collapse:collapse;margin:0.6em 0}
td,th{padding:0.25em 0.8em;border-bottom:1px solid #dde3e8;text-align:left}
td.num{text-align:right} .scale{color:#2b7446;font-weight:bold} .extend{color:#9c4a00;font-weight:bold}
.stop{color:#a8283a;font-weight:bold} img{max-width:100%;height:auto}
footer{margin-top:2em;font-size:0.9em;color:#5f6b73}
.attention{border:2px solid #b3261e;border-radius:6px;padding:0 1.2em;margin:0.8em 0;background:#fcf1f0}
.attention h2{border:none;margin-top:0.6em}
"""


#: The caption of the executive summary's table of pilots.
PILOTS_CAPTION = "Each pilot's effect on customers and employees, and what to do next"

#: The caption of the executive summary's claims ledger (its region's name in the page).
CLAIMS_CAPTION = "Claims ledger"

#: The caption of the executive summary's table of groups.
GROUPS_CAPTION = "Where to act: each group's scores with their intervals"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _link(reports: list[dict], prefix: str) -> Markup:
    """Links to the reports of one notebook (HTML)."""
    matches = [r for r in reports if r["name"].startswith(prefix) and r.get("html")]
    return Markup(" ".join(f'<a href="{_e(r["html"])}">{_e(r["title"])}</a>' for r in matches))


def _not_shown(reports: list[dict], prefix: str) -> list[str]:
    """Why a notebook was skipped, or the parts it left out, as sentences."""
    out = []
    for r in reports:
        if not r["name"].startswith(prefix) or not r.get("reason"):
            continue
        if r.get("status") == "skipped":
            out.append(f"{r['title']}: {r['reason']}")
        else:
            out.extend(part.strip() for part in r["reason"].split("; ") if part.strip())
    return list(dict.fromkeys(out))


def heatmaps_html(results: pd.DataFrame) -> str:
    """The groups × measures heatmaps (regions, unit types) the audit recorded, as images."""
    out = []
    for group_by, word in (("region", "region"), ("unit_type", "unit type")):
        grid, company, se = matrix(results, group_by) if "analysis" in results else (pd.DataFrame(),) * 3
        if grid.empty:
            continue
        figure = group_heatmap(grid, company, se, f"Where each {word} stands against the company", word)
        hidden = int(grid.isna().any(axis=1).sum())
        out.append(figure_html(figure, alt=(
            "Heatmap of engagement items and customer scores"
            + (" and the share of employees who answered" if "participation" in grid else "")
            + f" for {len(grid)} {word} groups; "
            f"each cell is the group's score, coloured by its difference from the company in "
            "standard errors"
            + (f"; {hidden} group(s) hidden for confidentiality." if hidden else "."))))
    return "".join(out)


def changes_html(results: pd.DataFrame) -> str:
    """The organisation's changes since the last survey, marked after the FDR correction."""
    if "analysis" not in results:
        return ""
    rows = results[(results["analysis"] == "changes") & (results["subject"] == "all")]
    if rows.empty:
        return ""
    confidence = float(rows["confidence"].iloc[0])
    rows = marked(rows, confidence)
    table = table_html(rows[["outcome", "term", "estimate", "ci_low", "ci_high", "q_value", "mark", "n"]],
                       caption="Change since the previous survey, whole organisation", digits=1,
                       labels={"term": "From – to", "estimate": f"Change ({ci_label(confidence)})",
                               "q_value": "q (FDR)", "mark": "Real change?"})
    return table + f"<p>{_e(fdr_note(rows, confidence))}</p>"


def alerts_html(results: pd.DataFrame, min_group_size: int) -> str:
    """The groups whose scores moved beyond survey noise (the audit's ``change_alert`` rows);
    empty when the audit did not run."""
    rows = recorded_alerts(results)
    if rows is None:
        return ""
    if rows.empty:
        return f"<h3>Alerts</h3><p>{_e(alert_sentence(rows))}</p>"
    confidence = float(rows["confidence"].iloc[0])
    table = table_html(alert_table(rows, SHOWN_ALERTS), digits=1, labels=ALERT_LABELS,
                       caption="Alerts: changes since the last survey beyond survey noise")
    more = more_alerts(rows)
    return (f"<h3>Alerts</h3><p>{_e(alert_sentence(rows))}</p>{table}<p class='meta'>"
            + (f"{_e(more)} " if more else "")
            + f"{_e(alert_rule(confidence, float(rows['min_change'].iloc[0]), min_group_size))}</p>")


def benchmark_sentences(results: pd.DataFrame) -> list[str]:
    """The company's latest scores against the norms the audit recorded (none without)."""
    found = from_records(results)
    if found is None or "analysis" not in results:
        return []
    company = results[(results["analysis"] == "heatmap") & (results["subject"] == "all")]
    said = norm_sentences(company, found)
    return [*said, norm_note(found) or NORM_CAVEAT] if said else []


def pilots_html(pilots: pd.DataFrame) -> str:
    """The pilots' effects on customers and employees (:func:`pilot_table`), each
    recommendation in its colour; empty without pilots."""
    if pilots.empty:
        return ""
    return table_html(pilots, caption=PILOTS_CAPTION, digits=2,
                      labels={"estimate": "Effect ({ci})", "outcome": "Outcome"},
                      classes={"recommendation": lambda v: v if isinstance(v, str) else None})


def claims_html(results: pd.DataFrame, reports: list[dict]) -> str:
    """The claims ledger (from notebook 07's ``claim`` rows): each claim, this organisation's
    number with its interval, the verdict and the evidence, linked to the report that tested
    it; empty when the run recorded no ledger."""
    rows = results[(results["analysis"] == "claims") & (results["estimand"] == "claim")] \
        if not results.empty else results
    if rows.empty or "verdict" not in rows:
        return ""
    titles = {claim.report: report_title(claim.report) for claim in CLAIM_BY_ID.values()}
    table = ledger_table(rows.reset_index(drop=True), titles)
    tested_in = {report_title(r["name"]): r["html"] for r in reports if r.get("html")}
    sentences = "".join(f"<p>{_e(s)}</p>" for s in ledger_sentences(rows)[:1])
    return (f"<div class='answer'>{sentences}</div>"
            + table_html(table, caption=CLAIMS_CAPTION, links={"Tested in": tested_in})
            + f"<p class='meta'>{_e(VERDICT_RULE)}</p>")


def attention_html(reports: list[dict], heavy_quarantine: list[dict]) -> str:
    """What a reader must know before the answers: tables that lost more than 5% of their rows
    to the quarantine (the reports rest on the rest), and sections that could not be computed
    ("" when there is neither)."""
    parts = _environment().get_template("summary_parts.html").module
    failed = _failed(reports)
    return str(parts.attention(  # type: ignore[attr-defined]
        [held_back(t) for t in heavy_quarantine], failed, failed_sections(len(failed))))


def _failed(reports: list[dict]) -> list[tuple[dict, dict]]:
    return [(r, f) for r in reports for f in r.get("sections_failed") or []]


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The templates of ``reporting/templates`` (autoescaped; a name the page does not get
    is an error, not a blank)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cxex_analysis.reporting", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    return environment


def _left_out(report: dict) -> str:
    """The parts a published report left out, as its reason lists them."""
    return "; ".join(part.split(": not run")[0]
                     for part in (report.get("reason") or "").split("; ") if part)


def build_index(run_dir: Path, reports: list[dict], registry: pd.DataFrame | None = None,
                min_group_size: int = 5, run_id: str | None = None,
                heavy_quarantine: list[dict] | None = None) -> Path:
    """Write ``run_dir/index.html`` from ``run_dir/results.json`` through the page's template;
    ``heavy_quarantine`` (:func:`cxex_analysis.store.accounting.heavy_quarantine`) and the
    reports' failed sections open the page."""
    results = read_json(run_dir / "results.json") if (run_dir / "results.json").exists() else pd.DataFrame()
    registry = registry if registry is not None else pd.DataFrame()
    some = not results.empty
    act = where_to_act(results) if some else pd.DataFrame()
    pilots = pilot_table(results, registry) if some else pd.DataFrame()
    page = _environment().get_template("summary.html").render(
        css=Markup(CSS + PAGE_CSS), run_id=run_id or run_dir.name,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), level=f"{level_of(results):.0%}",
        quarantine=[held_back(t) for t in heavy_quarantine or []], failed=_failed(reports),
        failed_words=failed_sections(len(_failed(reports))),
        ex_cx={"sentences": ex_cx_answer(results) if some else [], "links": _link(reports, "01_"),
               "why_not": [s for s in _not_shown(reports, "01_")
                           if s.startswith(("EX → CX", "EX → each outcome", "Mediation"))]},
        pilots={"table": Markup(pilots_html(pilots)), "links": _link(reports, "02_"),
                "why_not": _not_shown(reports, "02_")},
        value={"sentences": value_answers(results) if some else [], "links": _link(reports, "03_"),
               "why_not": _not_shown(reports, "03_")},
        act={"table": Markup(table_html(act.fillna(""), digits=None, caption=GROUPS_CAPTION)
                             if not act.empty else ""),
             "order": act.attrs.get("order"), "links": _link(reports, "04_"),
             "heatmaps": Markup(heatmaps_html(results) if some else ""),
             "benchmark": benchmark_sentences(results) if some else []},
        changes=Markup(changes_html(results) if some else ""),
        alerts=Markup(alerts_html(results, min_group_size) if some else ""),
        actions={"sentences": action_answers(results) if some else [],
                 "links": _link(reports, "06_"), "why_not": _not_shown(reports, "06_")},
        claims=Markup(claims_html(results, reports)),
        reports=[{**r, "left_out": _left_out(r)} for r in reports],
        definitions=[line[2:].replace("**", "")
                     for line in definitions_markdown(min_group_size).splitlines()])
    target = run_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


TITLES = {"00": "Data audit", "01": "EX and CX linkage", "02": "Pilot analysis", "03": "Return on experience",
          "04": "Group report", "05": "Verbatims", "06": "Action review", "07": "Claims ledger"}


def report_title(name: str) -> str:
    """``02_pilot_analysis-P1`` -> ``Pilot analysis P1``; ``04_group_report-region-North`` ->
    ``Group report: region North``."""
    prefix = name[:2]
    base = TITLES.get(prefix, name)
    if "-" in name:
        rest = name.split("-", 1)[1].replace("-", " ").replace("_", " ")
        return f"{base}: {rest}" if prefix == "04" else f"{base} {rest}"
    return base
