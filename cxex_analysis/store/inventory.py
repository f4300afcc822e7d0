"""What the data support: the analyses a data set can feed, and why the others cannot run.

Real first data sets rarely hold every table: an HR team brings the employee survey, a CX
team the customer survey and its money outcomes, and pilots come later. Every valid shape
gets its reports. Before any kernel starts the runner takes an :class:`Inventory` of the
warehouse (which tables hold rows, which surveys carry comments, which pilots have units)
and turns it into a plan: each notebook is run, run with some sections left out, or skipped,
always with the reason in plain words and what to add to get the rest. ``cxex validate``
prints the same analyses for a data folder before anything is loaded.

The rules live here, once: the notebooks ask :func:`inventory` what they have and
:func:`why_not` why a section is left out; the runner's plan
(:mod:`cxex_analysis.run.plan`) is built from the same :data:`ANALYSES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb

from cxex_analysis.contract.staging import scalar
from cxex_analysis.contract.validation import check_directory
from cxex_analysis.store.warehouse import has_table

#: The tables an inventory counts, in contract order.
TABLES = ("units", "employee_survey", "customer_survey", "unit_outcomes", "customer_outcomes",
          "employee_scores", "customer_scores", "unit_metrics", "pilots", "pilot_assignments",
          "action_plans")


#: How a missing table is named to the user, with the file that would bring it.
ADD = {
    "employee_survey": "the employee survey (employee_survey.csv)",
    "customer_survey": "the customer survey (customer_survey.csv)",
    "unit_outcomes": "unit outcomes (unit_outcomes.csv)",
    "customer_outcomes": "monthly CRM records per customer (customer_outcomes.csv)",
    "customer_keys": "a customer_key on the customer survey",
    "pilots": "a pilot registry (pilots.csv and pilot_assignments.csv)",
    "pilot_assignments": "the pilots' units (pilot_assignments.csv)",
    "comments": "comments in either survey (a comment column)",
    "action_plans": "an action log (action_plans.csv)",
    "ex_scores": "employee survey results (employee_survey.csv, or a platform's unit scores "
                 "in employee_scores.csv)",
    "outcome": "an outcome to link them to (your own metrics in unit_metrics.csv, or customer "
               "scores)",
    "unit_metrics": "your own metrics (unit_metrics.csv)",
}


@dataclass(frozen=True)
class Inventory:
    """What a data set holds, as far as the analyses care.

    ``rows`` counts the accepted rows per table (0 for a table not provided);
    ``employee_comments`` / ``customer_comments`` count non-blank comments;
    ``cx_scores`` lists which of nps, csat, ces were answered at least once;
    ``pilots`` lists the registry's pilot ids and ``pilots_with_units`` those that have at
    least one unit in ``pilot_assignments``; ``keyed_customer_answers`` counts customer
    answers that carry a ``customer_key``.
    """

    rows: Mapping[str, int] = field(default_factory=dict)
    employee_comments: int = 0
    customer_comments: int = 0
    engagement_items: int = 0
    enps_answers: int = 0
    cx_scores: tuple[str, ...] = ()
    pilots: tuple[str, ...] = ()
    pilots_with_units: tuple[str, ...] = ()
    keyed_customer_answers: int = 0

    def has(self, table: str) -> bool:
        """True when ``table`` was provided and holds at least one accepted row."""
        return self.rows.get(table, 0) > 0

    @property
    def ex(self) -> bool:
        return self.has("employee_survey")

    @property
    def cx(self) -> bool:
        return self.has("customer_survey")

    @property
    def outcomes(self) -> bool:
        return self.has("unit_outcomes")

    @property
    def comments(self) -> bool:
        return self.employee_comments + self.customer_comments > 0


def _columns(con, relation: str) -> set[str]:
    return {str(c).lower() for c in con.execute(f"SELECT * FROM {relation} LIMIT 0").df().columns}


def _count(con, sql: str) -> int:
    return int(scalar(con, sql) or 0)


def inventory(con, relations: Mapping[str, str | None] | None = None) -> Inventory:
    """Take stock of a warehouse connection (DuckDB or PostgreSQL).

    ``relations`` maps each table to the relation that holds it, or None when it is absent;
    by default the warehouse's own tables. (``cxex validate`` passes the temporary tables
    of a check that wrote nothing.)
    """
    if relations is None:

        relations = {t: (t if has_table(con, t) else None) for t in TABLES}
    rows = {t: (_count(con, f"SELECT count(*) FROM {r}") if r else 0) for t, r in relations.items()}
    facts: dict = {"rows": rows}
    blank = "comment IS NOT NULL AND trim(comment) <> ''"
    for table, key in (("employee_survey", "employee_comments"),
                       ("customer_survey", "customer_comments")):
        relation = relations.get(table)
        if relation and rows[table] and "comment" in _columns(con, relation):
            facts[key] = _count(con, f"SELECT count(*) FROM {relation} WHERE {blank}")
    relation = relations.get("employee_survey")
    if relation and rows["employee_survey"]:
        columns = _columns(con, relation)
        facts["engagement_items"] = sum(1 for c in columns if c.startswith("eng_"))
        if "enps" in columns:
            facts["enps_answers"] = _count(con, f"SELECT count(enps) FROM {relation}")
    relation = relations.get("customer_survey")
    if relation and rows["customer_survey"]:
        columns = _columns(con, relation)
        answered = [c for c in ("nps", "csat", "ces") if c in columns]
        if answered:
            counts = con.execute("SELECT " + ", ".join(f"count({c})" for c in answered)
                                 + f" FROM {relation}").fetchone()
            facts["cx_scores"] = tuple(c for c, n in zip(answered, counts) if n)
        if "customer_key" in columns:
            facts["keyed_customer_answers"] = _count(
                con, f"SELECT count(customer_key) FROM {relation}")
    if relations.get("pilots") and rows["pilots"]:
        facts["pilots"] = tuple(r[0] for r in con.execute(
            f"SELECT pilot_id FROM {relations['pilots']} ORDER BY pilot_id").fetchall())
        if relations.get("pilot_assignments") and rows["pilot_assignments"]:
            facts["pilots_with_units"] = tuple(r[0] for r in con.execute(
                f"SELECT DISTINCT p.pilot_id FROM {relations['pilots']} p JOIN "
                f"{relations['pilot_assignments']} a ON a.pilot_id = p.pilot_id "
                "ORDER BY p.pilot_id").fetchall())
    return Inventory(**facts)


@dataclass(frozen=True)
class Analysis:
    """One analysis the suite offers: its name in the reports, its notebook and its needs."""

    key: str
    label: str
    notebook: str
    missing: Callable[[Inventory], list[str]]
    purpose: str = ""  # 'to value a pilot': how a skip reason names it beside another

    def available(self, inv: Inventory) -> bool:
        return not self.missing(inv)

    def reason(self, inv: Inventory) -> str:
        """Why it cannot run, in plain words ('' when it can)."""
        lacking = self.missing(inv)
        if not lacking:
            return ""
        names = [ADD[m] for m in lacking]
        return "needs " + (", ".join(names[:-1]) + " and " if len(names) > 1 else "") + names[-1]


def _tables(*tables: str) -> Callable[[Inventory], list[str]]:
    return lambda inv: [t for t in tables if not inv.has(t)]


def _pilots(inv: Inventory) -> list[str]:
    if not inv.has("pilots"):
        return ["pilots"]
    return [] if inv.pilots_with_units else ["pilot_assignments"]


def _pilot_value(inv: Inventory) -> list[str]:
    customers = [] if inv.has("customer_survey") or inv.has("customer_scores") \
        else ["customer_survey"]
    return _pilots(inv) + customers + _tables("unit_outcomes")(inv)


def _customer_money(inv: Inventory) -> list[str]:
    return (_tables("customer_survey")(inv)
            + ([] if inv.keyed_customer_answers or not inv.cx else ["customer_keys"])
            + _tables("customer_outcomes")(inv))


def _both_surveys(inv: Inventory) -> list[str]:
    """The employee and the customer survey, as answers or a platform's scores."""
    return ([] if inv.has("employee_survey") or inv.has("employee_scores")
            else ["employee_survey"]) + (
        [] if inv.has("customer_survey") or inv.has("customer_scores") else ["customer_survey"])


def _ex_outcome(inv: Inventory) -> list[str]:
    return ([] if inv.has("employee_survey") or inv.has("employee_scores") else ["ex_scores"]) + (
        [] if any(inv.has(t) for t in ("unit_metrics", "customer_scores", "customer_survey"))
        else ["outcome"])


def _comments(inv: Inventory) -> list[str]:
    return [] if inv.comments else ["comments"]


ANALYSES: tuple[Analysis, ...] = (
    Analysis("audit", "Data audit: what was loaded and held back", "00", lambda inv: []),
    Analysis("ex_metrics", "Employee experience: engagement, reliability, drivers of eNPS", "01",
             _tables("employee_survey")),
    Analysis("cx_metrics", "Customer experience: NPS, CSAT, CES and their trends", "01",
             _tables("customer_survey")),
    Analysis("linkage", "EX → CX linkage: correlation, which comes first, key drivers", "01",
             _both_surveys),
    Analysis("outcome_links", "EX → each outcome: each unit against itself beside the "
             "outcome's previous value, the truth between them", "01", _ex_outcome),
    Analysis("mediation", "Mediation to money: engagement → NPS → revenue and churn", "01",
             _tables("employee_survey", "customer_survey", "unit_outcomes")),
    Analysis("pilots", "Pilot analysis: did it work, for employees and customers", "02", _pilots),
    Analysis("rox_pilot", "Return on experience: value of scaling a pilot", "03", _pilot_value,
             "to value a pilot"),
    Analysis("rox_programme", "Return on experience: value of an engagement programme", "03",
             lambda inv: _both_surveys(inv) + _tables("unit_outcomes")(inv),
             "to value an engagement programme"),
    Analysis("rox_metrics", "Return on experience in your own metrics: what an engagement "
             "programme would change in each of them", "03",
             lambda inv: ([] if inv.has("employee_survey") or inv.has("employee_scores")
                          else ["ex_scores"]) + _tables("unit_metrics")(inv),
             "to show an engagement programme in your own metrics"),
    Analysis("customer_value", "Customer value: retention and revenue of promoters, passives "
             "and detractors, and what a point of NPS is worth, customer by customer", "03",
             _customer_money, "to show what customers are worth"),
    Analysis("groups", "Group reports: scorecard, top 2 issues, action plan", "04",
             lambda inv: []),
    Analysis("verbatims", "Verbatims: sentiment and themes of comments", "05", _comments),
    Analysis("actions", "Action review: follow-through and whether the actions worked", "06",
             _tables("action_plans")),
    Analysis("claims", "Claims ledger: published claims tested on this organisation's data", "07",
             lambda inv: []),  # a claim the data cannot test says what it needs
)


BY_KEY = {a.key: a for a in ANALYSES}


def supported(inv: Inventory) -> list[dict]:
    """One row per analysis: label, notebook, available (bool) and the reason when not."""
    return [{"analysis": a.label, "notebook": a.notebook, "available": a.available(inv),
             "reason": a.reason(inv)} for a in ANALYSES]


def left_out(inv: Inventory, keys: list[str]) -> list[str]:
    """Sentences for the analyses among ``keys`` that this data set cannot feed."""
    return [f"{BY_KEY[k].label}: not run — it {BY_KEY[k].reason(inv)}."
            for k in keys if not BY_KEY[k].available(inv)]


def why_not(inv: Inventory, key: str) -> str:
    """The sentence a report shows in place of analysis ``key`` when the data cannot feed it."""
    analysis = BY_KEY[key]
    return f"Not shown: {analysis.label[0].lower() + analysis.label[1:]} {analysis.reason(inv)}."


def check_folder(data_dir, mapping_file=None, progress=None):
    """Check a data folder against the contract without writing anything, and take stock of
    what it would give: ``(ValidationReport, Inventory)`` (what ``cxex validate`` prints);
    ``progress`` as in :func:`~cxex_analysis.contract.validation.check_directory`."""
    con = duckdb.connect()
    try:
        report = check_directory(con, data_dir, mapping_file, hash_files=False, progress=progress)
        relations = {t: (f"acc_{t}" if t in report.tables and report.tables[t].status == "ok"
                         else None) for t in TABLES}
        return report, inventory(con, relations)
    finally:
        con.close()
