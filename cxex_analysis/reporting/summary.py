"""The executive summary (``index.html``) of a run, generated from ``results.json``.

Every number on the page comes from the run's recorded results (never typed by hand): the
headline answers to the four questions — does EX drive CX here, did the pilots work, what is
it worth, where to act — each in a plain sentence with its interval, and links to every
report of the run. Self-contained: inline CSS, no scripts, no external resources.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from cxex_analysis.analyses.changes import fdr_note, marked
from cxex_analysis.analyses.heatmap import matrix
from cxex_analysis.narrative.claim_findings import (
    CLAIM_BY_ID,
    VERDICT_RULE,
    ledger_sentences,
    ledger_table,
)
from cxex_analysis.narrative.summary_findings import (
    action_answers,
    ex_cx_answer,
    pilot_answers,
    value_answers,
    where_to_act,
)
from cxex_analysis.reporting.group_charts import group_heatmap
from cxex_analysis.reporting.show import PAGE_CSS, figure_html, scroll_box, table_html
from cxex_analysis.results import read_json
from cxex_analysis.vocabulary import (
    ci_label,
    definitions_markdown,
    label,
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


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _link(reports: list[dict], prefix: str) -> str:
    matches = [r for r in reports if r["name"].startswith(prefix) and r.get("html")]
    return " ".join(f'<a href="{_e(r["html"])}">{_e(r["title"])}</a>' for r in matches)


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


def _report_item(r: dict) -> str:
    if r.get("status") == "skipped" or not r.get("html"):
        return f"<li>{_e(r['title'])}: {_e(r.get('reason') or 'not run')}</li>"
    parts = [part.split(": not run")[0] for part in (r.get("reason") or "").split("; ") if part]
    without = (f" <span class='meta'>(left out: {_e('; '.join(parts))})</span>" if parts else "")
    return f"<li><a href='{_e(r['html'])}'>{_e(r['title'])}</a>{without}</li>"


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
            f"Heatmap of engagement items and customer scores for {len(grid)} {word} groups; "
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


def claims_html(results: pd.DataFrame, reports: list[dict]) -> str:
    """The claims ledger (from notebook 07's ``claim`` rows): each claim, this organisation's
    number with its interval, the verdict and the evidence, linked to the report that tested
    it; empty when the run recorded no ledger."""
    rows = results[(results["analysis"] == "claims") & (results["estimand"] == "claim")] \
        if not results.empty else results
    if rows.empty or "verdict" not in rows:
        return ""
    table = ledger_table(rows.reset_index(drop=True))
    body = []
    for shown, row in zip(table.itertuples(index=False), rows.itertuples(index=False)):
        claim = CLAIM_BY_ID[row.subject]
        link = _link(reports, claim.report[:3]) or _e(shown[5])
        body.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in shown[:5])
                    + f"<td>{link}</td></tr>")
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    sentences = "".join(f"<p>{_e(s)}</p>" for s in ledger_sentences(rows)[:1])
    return (f"<div class='answer'>{sentences}</div>"
            + scroll_box(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                         "</table>", "Claims ledger")
            + f"<p class='meta'>{_e(VERDICT_RULE)}</p>")


def attention_html(reports: list[dict], heavy_quarantine: list[dict]) -> str:
    """What a reader must know before the answers: tables that lost more than 5% of their rows
    to the quarantine (the reports rest on the rest), and sections that could not be computed."""
    parts = []
    for table in heavy_quarantine:
        parts.append(f"<p><strong>{table['share']:.0%} of the rows of {_e(table['table'])} "
                     f"({table['rows_quarantined']:,} of {table['rows_read']:,} in "
                     f"{_e(table['file'])}) were held back</strong>, {table['reason_rows']:,} of them "
                     f"for this reason: {_e(table['reason'])}. Every report below leaves them out; "
                     "the data audit lists them with their rows.</p>")
    failed = [(r, f) for r in reports for f in r.get("sections_failed") or []]
    if failed:
        items = "".join(f'<li><a href="{_e(r["html"])}">{_e(r["title"])}</a>, '
                        f"“{_e(f['section'])}”: {_e(f['reason'])}</li>" for r, f in failed if r.get("html"))
        parts.append(f"<p><strong>{len(failed)} section(s) could not be computed</strong>; each says "
                     f"so in its report and the rest was published:</p><ul>{items}</ul>")
    if not parts:
        return ""
    return ("<div class='attention' role='alert'><h2 id='attention'>Before you read</h2>"
            + "".join(parts) + "</div>")


def build_index(run_dir: Path, reports: list[dict], registry: pd.DataFrame | None = None,
                min_group_size: int = 5, run_id: str | None = None,
                heavy_quarantine: list[dict] | None = None) -> Path:
    """Write ``run_dir/index.html`` from ``run_dir/results.json``; ``heavy_quarantine``
    (:func:`cxex_analysis.store.accounting.heavy_quarantine`) and the reports' failed
    sections open the page."""
    results = read_json(run_dir / "results.json") if (run_dir / "results.json").exists() else pd.DataFrame()
    registry = registry if registry is not None else pd.DataFrame()
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>Experience analytics — executive summary</title><style>{CSS}{PAGE_CSS}</style></head><body>",
             "<h1>Experience analytics: executive summary</h1>",
             f"<p class='meta'>Run {_e(run_id or run_dir.name)}, generated "
             f"{_e(dt.datetime.now().strftime('%Y-%m-%d %H:%M'))}. Every number below comes from the "
             f"run's results and has its {level_of(results):.0%} interval.</p>",
             attention_html(reports, heavy_quarantine or []),
             "<nav><strong>Contents:</strong> <a href='#ex-cx'>EX and CX</a> · <a href='#pilots'>Pilots</a> · "
             "<a href='#value'>Value</a> · <a href='#act'>Where to act</a> · <a href='#changes'>What changed</a> · "
             "<a href='#actions'>Actions</a> · <a href='#claims'>Claims</a> · "
             "<a href='#reports'>All reports</a></nav>"]

    def section(anchor: str, title: str, sentences: list[str], links: str,
                why_not: list[str] | None = None) -> None:
        body = "".join(f"<p>{_e(s)}</p>" for s in sentences) or (
            "<p>Not analysed in this run.</p>" + "".join(f"<p>{_e(s)}</p>" for s in why_not or []))
        parts.append(f"<h2 id='{anchor}'>{_e(title)}</h2><div class='answer'>{body}</div>"
                     + (f"<p>Details: {links}</p>" if links else ""))

    section("ex-cx", "1. Does employee experience drive customer experience here?",
            ex_cx_answer(results) if not results.empty else [], _link(reports, "01_"),
            [s for s in _not_shown(reports, "01_") if s.startswith(("EX → CX", "Mediation"))])
    pilots = pilot_answers(results, registry) if not results.empty else []
    parts.append("<h2 id='pilots'>2. Did the pilots work, for employees and customers?</h2>")
    if pilots:
        rows = "".join(
            f"<tr><td>{_e(p['pilot'])} {_e(p['name'])}</td><td>{_e(p['design'])}</td>"
            f"<td>{_e(label(p['outcome']))}: {_e(p['effect'])}</td><td>{_e(p['employees'])}</td>"
            f"<td class='num'>{_e(p['chance'])}</td><td class='{_e(p['verdict'])}'>{_e(p['verdict'].upper())}</td></tr>"
            for p in pilots)
        parts.append(scroll_box("<table><thead><tr><th>Pilot</th><th>Design</th>"
                                "<th>Primary outcome: effect</th><th>Engagement index: effect</th>"
                                "<th>Chance it helped</th><th>Recommendation</th>"
                                f"</tr></thead><tbody>{rows}</tbody></table>", "Pilots"))
        parts.append(f"<p>Details: {_link(reports, '02_')}</p>")
    else:
        parts.append("<div class='answer'><p>No pilot was analysed in this run.</p>"
                     + "".join(f"<p>{_e(s)}</p>" for s in _not_shown(reports, "02_")) + "</div>")
    section("value", "3. What is it worth?", value_answers(results) if not results.empty else [],
            _link(reports, "03_"), _not_shown(reports, "03_"))
    parts.append("<h2 id='act'>4. Where to act</h2>")
    table = where_to_act(results) if not results.empty else pd.DataFrame()
    if not table.empty:
        head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in table.columns)
        body = "".join("<tr>" + "".join(f"<td>{_e('' if pd.isna(v) else v)}</td>" for v in row)
                       + "</tr>" for row in table.itertuples(index=False))
        parts.append(f"<p>Groups with the lowest {_e(table.attrs.get('order') or 'scores')} first; "
                     "each group's report names its top "
                     "two issues.</p>" + scroll_box(f"<table><thead><tr>{head}</tr></thead>"
                                                  f"<tbody>{body}</tbody></table>", "Groups"))
    parts.append(heatmaps_html(results) if not results.empty else "")
    parts.append(f"<p>Group reports: {_link(reports, '04_') or 'none in this run'}</p>")
    changed = changes_html(results) if not results.empty else ""
    parts.append("<h2 id='changes'>5. What changed since the last survey</h2>"
                 + (changed or "<p>Only one survey period so far, or no survey: no change to show.</p>"))
    section("actions", "6. Did the actions work?",
            action_answers(results) if not results.empty else [], _link(reports, "06_"),
            _not_shown(reports, "06_"))
    parts.append("<h2 id='claims'>7. The claims leaders hear, tested here</h2>"
                 + (claims_html(results, reports) or "<p>No claims ledger in this run.</p>"))
    parts.append("<h2 id='reports'>All reports of this run</h2><ul>"
                 + "".join(_report_item(r) for r in reports) + "</ul>")
    definitions = "".join(f"<li>{_e(line[2:].replace('**', ''))}</li>"
                          for line in definitions_markdown(min_group_size).splitlines())
    parts.append(f"<footer><strong>Metric definitions</strong><ul>{definitions}</ul></footer></body></html>")
    target = run_dir / "index.html"
    target.write_text("".join(parts), encoding="utf-8")
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
