"""Scores against an external benchmark, in words: where each score falls among the norms'
25th, 50th, 75th and 90th percentiles. A benchmark compares with other organisations whose
surveys and people differ, so the words place a score; they never call it good or bad."""

from __future__ import annotations

import pandas as pd

from cxex_analysis.vocabulary import format_number, measure_label

#: what is said under every comparison with a benchmark
NORM_CAVEAT = ("Other organisations' surveys, questions and people differ from this one's: read "
               "a benchmark as context, not as a target.")


def against(value: float, norm) -> str:
    """Where ``value`` falls among ``norm``'s percentiles (p25, p50, p75, p90), in words."""
    if pd.isna(value):
        return ""
    f = format_number
    if value >= norm["p90"]:
        return f"in the top 10% (90th percentile {f(norm['p90'])})"
    if value >= norm["p75"]:
        return f"between the 75th ({f(norm['p75'])}) and 90th percentile ({f(norm['p90'])})"
    if value >= norm["p50"]:
        return f"between the median ({f(norm['p50'])}) and the 75th percentile ({f(norm['p75'])})"
    if value >= norm["p25"]:
        return f"between the 25th percentile ({f(norm['p25'])}) and the median ({f(norm['p50'])})"
    return f"below the 25th percentile ({f(norm['p25'])})"


def with_norms(table: pd.DataFrame, norms: pd.DataFrame | None, keys: pd.Series,
               value: str) -> pd.DataFrame:
    """``table`` with a "benchmark median" and an "against the benchmark" column for its rows
    whose key (``keys``, aligned with the rows) the norms give; unchanged without norms."""
    if norms is None or norms.empty or table.empty:
        return table
    by_key = norms.set_index("key")
    out = table.copy()
    found = [by_key.loc[k] if k in by_key.index else None for k in keys]
    out["benchmark median"] = [n["p50"] if n is not None else float("nan") for n in found]
    out["against the benchmark"] = [against(v, n) if n is not None else ""
                                    for v, n in zip(out[value], found)]
    return out


def norm_note(norms: pd.DataFrame | None) -> str | None:
    """The benchmark's source under a table that uses it (None without norms)."""
    if norms is None or norms.empty:
        return None
    sources = ", ".join(dict.fromkeys(
        f"{r['source']}" + (f" ({int(r['year'])})" if pd.notna(r.get("year")) else "")
        for _, r in norms.iterrows()))
    return (f"Benchmark: {sources}, from the organisation's norms file; each score is placed "
            f"among its 25th, 50th, 75th and 90th percentiles. {NORM_CAVEAT}")


def norm_sentences(company: pd.DataFrame, norms: pd.DataFrame | None) -> list[str]:
    """One sentence per benchmarked company score (``company``: ``outcome`` and ``estimate``
    of the latest wave or quarter), e.g. "Engagement 71.1 is between the median …"."""
    if norms is None or norms.empty or company is None or company.empty:
        return []
    by_key = norms.set_index("key")
    out = []
    for _, row in company.drop_duplicates("outcome").iterrows():
        if row["outcome"] in by_key.index and pd.notna(row["estimate"]):
            out.append(f"{measure_words(row['outcome'])} "
                       f"{format_number(row['estimate'])} is "
                       f"{against(row['estimate'], by_key.loc[row['outcome']])}.")
    return out


def measure_words(key: str) -> str:
    """A benchmarked measure in words: an item's is its % favourable."""
    name = measure_label(key)
    name = name[:1].upper() + name[1:] if name[1:2].islower() else name
    return f"{name} (% favourable)" if key.startswith("eng_") else name


def benchmark_table(company: pd.DataFrame, norms: pd.DataFrame | None) -> pd.DataFrame:
    """The company's latest scores (``outcome``, ``estimate``) beside the norms' percentiles
    and where each falls; empty without norms or without a benchmarked score."""
    if norms is None or norms.empty or company is None or company.empty:
        return pd.DataFrame()
    scores = company.drop_duplicates("outcome").set_index("outcome")["estimate"]
    rows = [{"measure": measure_words(n["key"]), "organisation": scores[n["key"]],
             "25th percentile": n["p25"], "median": n["p50"], "75th percentile": n["p75"],
             "90th percentile": n["p90"], "where it falls": against(scores[n["key"]], n)}
            for _, n in norms.iterrows() if n["key"] in scores.index and pd.notna(scores[n["key"]])]
    return pd.DataFrame(rows)
