"""Alerts: the groups whose score moved since the last wave by more than survey noise.

Survey platforms flag the teams whose results moved. Across many groups and measures some
changes clear a 5% test by chance, and a region's drop shows again in each of its units. So
:func:`alerts` compares every group (the company, each group of each level of a hierarchy,
e.g. region then unit) on every measure between its last two waves and

1. keeps a change only where the group has at least ``min_group_size`` respondents in both
   waves (confidentiality, and too few answers to read a change);
2. tests it against survey noise: Welch's two-sample difference of the respondents' scores
   (the same people answering again would make the noise of the change smaller, so treating
   the waves as independent samples errs on the side of fewer alerts);
3. corrects for the number of changes looked at together: Benjamini–Hochberg q-values over
   every group and measure at once (``scipy.stats.false_discovery_control``);
4. asks for a change large enough to matter: at least ``min_change`` points (0–100 scales);
5. reports an alert once, at the highest level where it holds: a group's alert is dropped
   when the group above it alerts on the same measure in the same direction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.results import tidy

COMPANY = "company"


def _changes(rows: pd.DataFrame, level: str | None, measures: Sequence[str], wave: str,
             waves: list, min_group_size: int) -> list[dict]:
    keys = [level] if level else []
    grouped = rows.groupby(keys + [wave], observed=True)  # units come as categoricals
    summary = grouped[list(measures)].agg(["mean", "var", "count"])
    out = []
    groups = rows[level].dropna().unique() if level else [COMPANY]
    for group in groups:
        for measure in measures:
            try:
                before = summary.loc[(group, waves[0]) if level else waves[0], measure]
                after = summary.loc[(group, waves[1]) if level else waves[1], measure]
            except KeyError:
                continue
            n0, n1 = int(before["count"]), int(after["count"])
            if min(n0, n1) < max(min_group_size, 2):
                continue
            v0, v1 = before["var"] / n0, after["var"] / n1
            se = float(np.sqrt(v0 + v1))
            change = float(after["mean"] - before["mean"])
            if not se > 0:
                continue
            df = (v0 + v1) ** 2 / (v0 ** 2 / (n0 - 1) + v1 ** 2 / (n1 - 1)) if v0 + v1 > 0 else n0 + n1 - 2
            out.append({"level": level or COMPANY, "group": group, "measure": measure,
                        "change": change, "se": se, "df": float(df), "n_before": n0,
                        "n_after": n1,
                        "p_value": float(2 * stats.t.sf(abs(change) / se, df))})
    return out


def alerts(rows: pd.DataFrame, measures: Sequence[str], hierarchy: Sequence[str],
           wave: str = "wave", min_group_size: int = 5, min_change: float = 5.0,
           confidence: float = 0.95) -> pd.DataFrame:
    """Tidy ``change_alert`` rows, one per alert (see the module's rule).

    ``rows``: one row per respondent with the ``measures`` (0–100), the ``wave`` and a column
    per level of ``hierarchy``, highest first (``["region", "unit_id"]``: each unit lies in
    one region). ``subject`` is ``level=group`` (``company`` for the whole), ``term`` the two
    waves, ``estimate`` the change; extra columns ``q_value``, ``level``, ``n_before``.

    Examples
    --------
    Ten units in two regions, 20 respondents each; one unit's engagement falls 20 points:

    >>> rng = np.random.default_rng(0)
    >>> rows = pd.DataFrame({"unit_id": np.repeat([f"U{i}" for i in range(10)], 40),
    ...                      "region": np.repeat(["North", "South"], 200),
    ...                      "wave": np.tile(np.repeat([1, 2], 20), 10),
    ...                      "engagement": rng.normal(70, 15, 400)})
    >>> rows.loc[(rows["unit_id"] == "U3") & (rows["wave"] == 2), "engagement"] -= 20
    >>> alerts(rows, ["engagement"], ["region", "unit_id"])["subject"].tolist()
    ['unit_id=U3']
    """
    waves = sorted(rows[wave].dropna().unique())[-2:]
    if len(waves) < 2:
        return tidy([])
    recent = rows[rows[wave].isin(waves)]
    found = _changes(recent, None, measures, wave, waves, min_group_size)
    for level in hierarchy:
        found += _changes(recent, level, measures, wave, waves, min_group_size)
    if not found:
        return tidy([])
    table = pd.DataFrame(found)
    table["q_value"] = stats.false_discovery_control(table["p_value"].to_numpy())
    alpha = 1 - confidence
    table["alert"] = (table["q_value"] < alpha) & (table["change"].abs() >= min_change)
    table["direction"] = np.sign(table["change"])
    parents = {COMPANY: None, **{level: (hierarchy[i - 1] if i else COMPANY)
                                 for i, level in enumerate(hierarchy)}}
    above = {level: (recent.drop_duplicates(level).set_index(level)[parents[level]].to_dict()
                     if parents[level] != COMPANY else {}) for level in hierarchy}
    alerted = {(r.level, r.group, r.measure, r.direction)
               for r in table[table["alert"]].itertuples()}

    def reported_above(r) -> bool:
        level, group = r.level, r.group
        while level != COMPANY:
            parent = parents[level]
            group = COMPANY if parent == COMPANY else above[level].get(group)
            if (parent, group, r.measure, r.direction) in alerted:
                return True
            level = parent
        return False

    kept = [r for r in table[table["alert"]].itertuples() if not reported_above(r)]
    q = stats.t.ppf(0.5 + confidence / 2, [r.df for r in kept]) if kept else []
    return tidy([{"analysis": "alerts", "estimand": "change_alert",
                  "subject": COMPANY if r.level == COMPANY else f"{r.level}={r.group}",
                  "outcome": r.measure, "term": f"{waves[0]}->{waves[1]}",
                  "estimate": r.change, "se": r.se, "ci_low": r.change - qq * r.se,
                  "ci_high": r.change + qq * r.se, "p_value": r.p_value,
                  "confidence": confidence, "n": r.n_after,
                  "method": "welch_difference_of_waves_bh_fdr_over_"
                            f"{len(table)}_changes (n = respondents in the last wave)",
                  "q_value": r.q_value, "level": r.level, "n_before": r.n_before}
                 for r, qq in zip(kept, q)], extra=["q_value", "level", "n_before"])
