"""What the data audit found, in sentences (notebook 00)."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.vocabulary import ci_label


def findings(accounting_frame: pd.DataFrame, by_reason: pd.DataFrame,
             coverage_frame: pd.DataFrame, alpha: pd.DataFrame) -> list[str]:
    """Plain-language sentences for the audit's summary box."""
    usable = accounting_frame[accounting_frame["status"] == "ok"]
    read = int(usable["rows_read"].sum())
    accepted = int(usable["rows_accepted"].sum())
    held = int(usable["rows_quarantined"].sum())
    out = [f"{len(usable)} data files were loaded: {read:,} rows read, {accepted:,} accepted and "
           f"{held:,} held back for a data problem"
           + (" (every count adds up)." if bool(usable["adds_up"].all()) else
              " — the counts do NOT add up, which is a bug: please report it.")]
    if held:
        top = by_reason.iloc[0]
        out.append(f"The most common problem was in {top['table_name']}.{top['column_name']}: "
                   f"{top['reason']} ({int(top['rows']):,} rows). Section 2 lists where to fix them.")
    missing = accounting_frame[accounting_frame["status"] == "missing"]["table_name"].tolist()
    if missing:
        out.append("Not provided: " + ", ".join(missing) + "; the analyses that need them say so.")
    for row in coverage_frame.itertuples():
        text = (f"{row.source.capitalize()}: {row.responses:,} from {row.units} units, "
                f"{pd.Timestamp(row.first_period):%b %Y} to {pd.Timestamp(row.last_period):%b %Y}")
        below = getattr(row, "unit_waves_below_threshold", 0)
        if below:
            text += (f"; {below} unit-waves had too few respondents to show and are hidden "
                     "to protect confidentiality")
        out.append(text + ".")
    overall = alpha[alpha["subject"] == "all"]
    if len(overall) and pd.notna(overall["estimate"].iloc[0]):
        a = overall.iloc[0]
        verdict = "a reliable scale" if a["ci_low"] >= 0.7 else "below the usual 0.7 reliability mark"
        out.append(f"The engagement items hang together: Cronbach's alpha {a['estimate']:.2f} "
                   f"({ci_label(a.get('confidence'))} {a['ci_low']:.2f} to {a['ci_high']:.2f}), "
                   f"{verdict}.")
    return out
