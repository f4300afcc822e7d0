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
   when the nearest group above it that alerts on the same measure in the same direction
   moved as much (their changes differ by less than ``min_change`` or by no more than noise,
   Bonferroni-corrected over the groups compared with that alert). A unit that fell 40
   points is still named when the region it drags down 6 points alerts too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.results import tidy

COMPANY = "company"


def _changes(recent: pd.DataFrame, level: str | None, measure: str, wave: str, waves: list,
             min_group_size: int, term: str) -> pd.DataFrame | None:
    """Each group's change on ``measure`` between ``waves`` (``recent``: its answers then)."""
    keys = ([recent[level]] if level else [np.zeros(len(recent), dtype=int)]) + [recent[wave]]
    # units come as categoricals: observed=True keeps only the groups that answered
    table = recent[measure].groupby(keys, observed=True).agg(["mean", "var", "count"]).unstack(-1)
    if table.shape[1] < 6:
        return None
    before, after = table.xs(waves[0], axis=1, level=1), table.xs(waves[1], axis=1, level=1)
    n0, n1 = before["count"].fillna(0), after["count"].fillna(0)
    v0, v1 = before["var"] / n0, after["var"] / n1
    se = np.sqrt(v0 + v1)
    keep = (np.minimum(n0, n1) >= max(min_group_size, 2)) & (se > 0)
    if not keep.any():
        return None
    n0, n1, v0, v1, se = n0[keep], n1[keep], v0[keep], v1[keep], se[keep]
    change = (after["mean"] - before["mean"])[keep]
    df = (v0 + v1) ** 2 / (v0 ** 2 / (n0 - 1) + v1 ** 2 / (n1 - 1))
    return pd.DataFrame({
        "level": level or COMPANY, "group": change.index if level else COMPANY,
        "measure": measure, "waves": term, "change": change.to_numpy(), "se": se.to_numpy(),
        "df": df.to_numpy(), "n_before": n0.astype(int).to_numpy(),
        "n_after": n1.astype(int).to_numpy(),
        "p_value": 2 * stats.t.sf(np.abs(change / se).to_numpy(), df.to_numpy())})


def _every_change(rows: pd.DataFrame, measures: Sequence[str], hierarchy: Sequence[str],
                  wave: str, min_group_size: int, wave_names: Mapping,
                  hidden: Mapping[str, set]) -> list[pd.DataFrame]:
    """Every group's change on every measure, each between the measure's own last two waves;
    a group of ``hidden[level]`` is not compared on the measures ``hidden`` names."""
    found = []
    for measure in measures:
        if measure not in rows:
            continue
        answered = rows.loc[rows[measure].notna(), [*hierarchy, wave, measure]]
        waves = sorted(answered[wave].unique())[-2:]
        if len(waves) < 2:
            continue
        recent = answered[answered[wave].isin(waves)]
        term = f"{wave_names.get(waves[0], waves[0])} to {wave_names.get(waves[1], waves[1])}"
        for level in [None, *hierarchy]:
            changes = _changes(recent, level, measure, wave, waves, min_group_size, term)
            if changes is not None and level is not None and measure in hidden.get("measures", ()):
                changes = changes[~changes["group"].isin(hidden.get(level, set()))]
            if changes is not None and len(changes):
                found.append(changes)
    return found


def alerts(rows: pd.DataFrame | Sequence[pd.DataFrame], measures: Sequence[str],
           hierarchy: Sequence[str],
           wave: str = "wave", min_group_size: int = 5, min_change: float = 5.0,
           confidence: float = 0.95, wave_names: Mapping | None = None,
           hidden: Mapping[str, set] | None = None) -> pd.DataFrame:
    """Tidy ``change_alert`` rows, one per alert (see the module's rule).

    ``rows``: one row per respondent (or several such frames: each survey its own, corrected
    together) with the ``measures`` it has (0–100; a measure a row did not ask is missing),
    the ``wave`` and a column per level of ``hierarchy``, highest first
    (``["region", "unit_id"]``: each unit lies in one region). Each measure is compared
    between its own last two waves, so employees' survey waves and customers' quarters can
    share one table and one correction. ``subject`` is ``level=group`` (``company`` for the
    whole), ``term`` the two waves ("A to B", each by its name in ``wave_names`` if given),
    ``estimate`` the change; extra columns ``q_value``, ``level``, ``n_before`` and the
    ``min_change`` asked for. ``hidden``: {level: groups, "measures": measures} — groups whose
    results on those measures are hidden (confidentiality) are never compared on them, so no
    alert gives their change away.

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
    frames = [rows] if isinstance(rows, pd.DataFrame) else list(rows)
    found = [change for frame in frames
             for change in _every_change(frame, measures, hierarchy, wave, min_group_size,
                                         wave_names or {}, hidden or {})]
    if not found:
        return tidy([])
    table = pd.concat(found, ignore_index=True)
    table["q_value"] = stats.false_discovery_control(table["p_value"].to_numpy())
    alpha = 1 - confidence
    table["alert"] = (table["q_value"] < alpha) & (table["change"].abs() >= min_change)
    table["direction"] = np.sign(table["change"])
    parents = {COMPANY: None, **{level: (hierarchy[i - 1] if i else COMPANY)
                                 for i, level in enumerate(hierarchy)}}
    above = {level: ({k: v for frame in frames for k, v in frame.drop_duplicates(level)
                      .set_index(level)[parents[level]].items()}
                     if parents[level] != COMPANY else {}) for level in hierarchy}
    alerted = {(r.level, r.group, r.measure, r.direction): r
               for r in table[table["alert"]].itertuples()}
    # how many groups are compared with each alert above them (Bonferroni over its children)
    children = {level: table[table["level"] == level].assign(
        parent=lambda t, lv=level: t["group"].map(above[lv]) if above[lv] else COMPANY)
        .groupby(["parent", "measure"]).size().to_dict() for level in hierarchy}

    def reported_above(r) -> bool:
        """Covered by an alert above it whose change this one does not differ from."""
        level, group = r.level, r.group
        while level != COMPANY:
            parent = parents[level]
            group = COMPANY if parent == COMPANY else above[level].get(group)
            a = alerted.get((parent, group, r.measure, r.direction))
            if a is not None:
                # the group's change against the alert above it (their noise taken as
                # independent: conservative), corrected for the groups compared with it
                k = (children[r.level].get((group, r.measure), 1) if level == r.level else
                     sum(v for (_, m), v in children[r.level].items() if m == r.measure))
                same = stats.norm.ppf(1 - alpha / (2 * k))
                return not (abs(r.change - a.change) > same * np.hypot(r.se, a.se)
                            and abs(r.change - a.change) >= min_change)
            level = parent
        return False

    rank = {level: i for i, level in enumerate([COMPANY, *hierarchy])}
    order = {measure: i for i, measure in enumerate(measures)}
    kept = sorted((r for r in table[table["alert"]].itertuples() if not reported_above(r)),
                  key=lambda r: (rank[r.level], order[r.measure], -abs(r.change)))
    q = stats.t.ppf(0.5 + confidence / 2, [r.df for r in kept]) if kept else []
    return tidy([{"analysis": "alerts", "estimand": "change_alert",
                  "subject": COMPANY if r.level == COMPANY else f"{r.level}={r.group}",
                  "outcome": r.measure, "term": r.waves,
                  "estimate": r.change, "se": r.se, "ci_low": r.change - qq * r.se,
                  "ci_high": r.change + qq * r.se, "p_value": r.p_value,
                  "confidence": confidence, "n": r.n_after,
                  "method": "welch_difference_of_waves_bh_fdr_over_"
                            f"{len(table)}_changes (n = respondents in the last wave)",
                  "q_value": r.q_value, "level": r.level, "n_before": r.n_before,
                  "min_change": min_change}
                 for r, qq in zip(kept, q)], extra=["q_value", "level", "n_before", "min_change"])
