"""External benchmarks the organisation brings (the optional ``norms`` table): percentiles of
a measure across other organisations, from a vendor or a published benchmark."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.results import tidy
from cxex_analysis.store.warehouse import has_table

PERCENTILES = ("p25", "p50", "p75", "p90")


def norms(con) -> pd.DataFrame | None:
    """One row per benchmarked measure: ``key`` (the item for an item's % favourable, else
    the measure), the percentiles, ``source`` and ``year``; None without a norms table."""
    if not has_table(con, "norms"):
        return None
    frame = con.execute("SELECT measure, item, p25, p50, p75, p90, source, year FROM norms "
                        "ORDER BY source_row").df()
    if frame.empty:
        return None
    frame["key"] = frame["item"].where(frame["item"].notna() & (frame["item"] != ""),
                                       frame["measure"])
    return frame.drop_duplicates("key").reset_index(drop=True)


def norm_records(found: pd.DataFrame | None) -> pd.DataFrame:
    """The norms as tidy rows to record (analysis ``norms``, estimand ``norm_percentile``,
    ``outcome`` the key, ``term`` the percentile, ``method`` the source and year), so the
    executive summary can place the company's scores against them."""
    if found is None or found.empty:
        return tidy([])
    return tidy([{"analysis": "norms", "estimand": "norm_percentile", "subject": "external",
                  "outcome": row["key"], "term": p, "estimate": float(row[p]),
                  "method": f"{row['source']}" + (f" {int(row['year'])}" if pd.notna(row["year"]) else "")}
                 for _, row in found.iterrows() for p in PERCENTILES])


def from_records(results: pd.DataFrame) -> pd.DataFrame | None:
    """The norms a run recorded (:func:`norm_records`) as :func:`norms` gives them."""
    if results is None or "analysis" not in results:
        return None
    rows = results[(results["analysis"] == "norms") & (results["estimand"] == "norm_percentile")]
    if rows.empty:
        return None
    wide = rows.pivot_table(index=["outcome", "method"], columns="term", values="estimate",
                            aggfunc="first").reset_index()
    return wide.rename(columns={"outcome": "key", "method": "source"}).assign(year=pd.NA)
