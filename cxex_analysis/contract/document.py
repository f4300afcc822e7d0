"""The data contract as a document: ``docs/data-contract.md``, generated from the rules of
:mod:`cxex_analysis.contract.tables` with a paragraph on what each table is."""

from __future__ import annotations

from cxex_analysis.contract.tables import EARLIEST, LATEST, TABLES

#: What a table is, in the words of the data-contract document.
TABLE_NOTES = {
    "units": "One row per unit (store, branch, call centre, team).",
    "employee_survey": "One row per employee response per survey wave (needed for the "
                       "employee analyses).",
    "customer_survey": "One row per customer response (needed for the customer analyses). "
                       "A Qualtrics-style export (header, question texts, import ids, then "
                       "data) is recognised. Any table's export in its own words is mapped "
                       "by `column_mapping.yaml` (or `qualtrics_mapping.yaml`): its columns "
                       "by name (or Qualtrics import id) and constants for columns it lacks.",
    "unit_outcomes": "One row per unit per month, `period` the first day of the month (needed "
                     "for money and mediation); `unit_id`, `period` and one metric are enough.",
    "customer_outcomes": "One row per customer per month, `period` the first day of the "
                         "month, from the CRM (needed for the money of each customer: retention "
                         "and revenue by promoters, passives and detractors, and the "
                         "customer-level links): `customer_key` is the pseudonymous key the "
                         "customer survey's `customer_key` carries, never a name or an e-mail "
                         "address; `active` says whether the customer was still a customer at "
                         "the end of the month, `churned_on` the day they left (either will do; "
                         "a customer with no row after a month is taken as lost only when "
                         "`active` or `churned_on` says so).",
    "employee_scores": "A survey platform's unit-level employee results, for teams that never "
                       "see respondent rows: one row per unit, period and measure (`engagement`, "
                       "`enps`, `pct_favourable` or an `eng_*` item), its `value`, the number of "
                       "respondents `n` and, where the platform gives it, their standard "
                       "deviation `sd` and the scale's ends. `period` is the first day of the "
                       "period the wave belongs to, of any length (a quarter, a half-year, a "
                       "year). An alternative to `employee_survey` (if both are given, the answers are "
                       "used): the audit, the heatmap, the group reports, the pilots and the "
                       "link from engagement to each outcome read it. An engagement score or an "
                       "item on another scale (a 1–5 mean) is rescaled to 0–100 from "
                       "`scale_min` and `scale_max`; an `eng_*` item on 0–100 is its % "
                       "favourable. Without `sd`, a score's sampling variance is the measure's "
                       "known one (a share's, NPS's bound) or the average of the rows that give "
                       "one, and the report says so.",
    "customer_scores": "A platform's unit-level customer results, as `employee_scores`: "
                       "measures `nps`, `csat` (% 4–5 on 0–100) or `ces` (the 1–7 mean), an "
                       "alternative to `customer_survey`.",
    "unit_metrics": "The organisation's own outcomes, one row per unit, period (of any length) "
                    "and metric (a readmission index, sales per square foot, safety "
                    "incidents): its `value`, whether `better` is `higher` or `lower`, and "
                    "optionally its `unit`. Each metric is linked to engagement (notebook 01: "
                    "each unit against itself beside the metric's previous value), the rows "
                    "of an EX wave's period averaged; `better` changes the words, never the "
                    "numbers.",
    "pilots": "One row per pilot (needed for the pilot reports).",
    "pilot_assignments": "One row per unit of a pilot: its arm and, for the pilot's units, "
                         "when it started (may differ between units in a staggered rollout; "
                         "empty for control units). A pilot designed with `cxex design` also "
                         "has a pre-registration, `design.json` (in the data folder or up to "
                         "two folders inside it, any name starting with `design`): ingest "
                         "keeps it and notebook 02 analyses the pilot as registered; a "
                         "registration of a pilot that `pilots` does not list, or a second "
                         "one of the same pilot, makes the file unusable.",
    "roles": "The organisation's own owner roles, one a row (\"Kaizen facilitator\", "
             "\"店長\"): their words are role words for `owner_role` besides the built-in ones "
             "(manager, head, lead, team, store, customer experience, …) and the words of the "
             "regions and unit types of `units`.",
    "norms": "Optional external benchmarks the organisation brings (a vendor's norms, a "
             "published benchmark): per measure (`engagement_index`, `enps`, `nps`, `csat`, or "
             "`pct_favourable` with an engagement `item` such as `eng_tools`, or without one "
             "for all items together) the 25th, 50th, 75th and 90th percentiles on the "
             "report's scale, their `source` and `year`. Where present, the data audit, the "
             "summary and the group reports place each score against them; without the file "
             "nothing is said.",
    "action_plans": "One row per action a group committed to after a survey (needed for the "
                    "action review). A region or unit-type action applies to every unit of "
                    "that group; `action` is free text, shown PII-masked like comments.",
}



_PREAMBLE = f"""# Input data contract

Generated from `cxex_analysis/contract/tables.py` (the rules the loader enforces); a test keeps this
file in step with it.

A data folder holds these tables, each as `<table>.csv` (UTF-8 or latin-1), `.parquet` or
`.xlsx` (first sheet). Column names are case-insensitive and surrounding spaces are ignored.
Optional tables may be absent: the analyses that need them say so in the report instead of
failing. `cxex validate --data FOLDER` checks a folder and lists what it supports.

**Bad input.** A file that cannot be used at all (unreadable, empty, a required column absent)
stops the load with an error naming the file, the column and what was expected. A row that
breaks a rule is moved to the quarantine table with the file, the row number, the column, the
value and the reason, and is counted in the data-audit report: rows read = rows accepted + rows
quarantined, always.

**Every text field** is plain text: a control character (a NUL byte, an escape sequence; tabs
and line breaks are fine) quarantines its row. Characters that reverse the direction of text
(U+202A–U+202E, U+2066–U+2069) are kept visible as � rather than obeyed. **Every date** lies
between {EARLIEST[:4]} and {LATEST[:4]}.
"""


def markdown() -> str:
    """The data contract as a Markdown document (``docs/data-contract.md``)."""
    parts = [_PREAMBLE]
    for table in TABLES:
        parts.append(f"\n## {table.name} ({'required' if table.required else 'optional'})\n")
        if table.name in TABLE_NOTES:
            parts.append(TABLE_NOTES[table.name] + "\n")
        parts.append("\n| column | must be present | a valid value |\n| --- | --- | --- |\n")
        for column in table.columns:
            parts.append(f"| `{column.name}` | {'yes' if column.required else 'no'} | "
                         f"{column.expected()} |\n")
        for prefix, template in table.prefix_columns.items():
            least = table.min_prefix_columns.get(prefix, 0)
            parts.append(f"| `{prefix}*` | at least {least} such columns | "
                         f"{template.expected()} |\n")
        rules = []
        if table.unique_together:
            rules.append("no two rows share " + " and ".join(f"`{c}`" for c in
                                                             table.unique_together))
        if table.any_column_of:
            rules.append("the file has at least one of " + ", ".join(
                f"`{c}`" for c in table.any_column_of))
        if table.any_value_of:
            rules.append("each row has a value in at least one of " + ", ".join(
                f"`{c}`" for c in table.any_value_of))
        rules += [f"`{rule.column}`, a row is quarantined: {rule.reason}"
                  for rule in table.row_rules]
        if table.needs_rows:
            rules.append("a file with a header and no rows is unusable")
        if rules:
            parts.append("\n" + "".join(f"- {rule}\n" for rule in rules))
    return "".join(parts)
