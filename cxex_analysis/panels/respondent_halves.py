"""Two halves of each unit's employees that keep the same people wave after wave.

The noise-corrected links (:mod:`cxex_analysis.estimators.measurement`) measure each
unit-wave score twice, from two halves of its respondents, and need the halves' errors to be
independent — also *between waves*. The same staff answer wave after wave and a person's own
way of answering lasts (a lasting trait is most of a person's spread: test–retest
correlations of engagement scales are 0.6–0.8 over a year). A half drawn afresh every wave
puts different people into it each time, so its change from one wave to the next carries
trait differences that the whole unit's change does not have, and the two halves' changes are
negatively correlated: the correction then removes noise the unit's score does not have, and
over-corrects (×1.3 to ×1.9 on worlds with rosters).

So the halves are made of people, or of groups of people, that stay put:

* a response with an ``employee_key`` (a pseudonymous key that follows a person): each
  person keeps a half (a seeded alternation over the unit's people);
* an anonymous response: by the groups people stay in — their ``role`` (every export has
  it), or, in a unit where everyone has the same role, their ``tenure_band`` — the unit's
  groups dealt into two halves as even as they can be over the whole panel (largest group
  first, each to the half with fewer answers so far). Assumption: the groups' experience
  moves with the unit's (their levels may differ; fixed effects take levels out). People
  who move to another tenure band change half, a small over-correction.
* a unit whose anonymous responses form a single group has no halves (blank): its score
  cannot be split into two measurements that keep their people, and it is left out of the
  corrected links (their ``n_units`` shows it).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

#: the seed of the split: the same halves in every run
HALF_SEED = 20241

#: attributes that follow a person from wave to wave, in the order they are tried
STABLE_ATTRIBUTES = ("role", "tenure_band")


def _digest(value: str, seed: int) -> str:
    return hashlib.md5(f"{value}{int(seed)}".encode()).hexdigest()


def _people_halves(keyed: pd.DataFrame, seed: int) -> pd.Series:
    """Each person's half: the unit's people ordered by a seeded hash, then alternated."""
    people = keyed[["unit_id", "employee_key"]].drop_duplicates()
    people = people.assign(order=[_digest(k, seed) for k in people["employee_key"]])
    people = people.sort_values(["unit_id", "order"])
    people["half"] = (people.groupby("unit_id").cumcount() + 1) % 2  # as SQL's row_number
    return keyed[["unit_id", "employee_key"]].merge(
        people[["unit_id", "employee_key", "half"]], how="left")["half"].set_axis(keyed.index)


def _deal(groups: pd.DataFrame) -> np.ndarray:
    """Each unit's groups (``unit_id``, ``group``, ``count`` of answers) dealt into two even
    halves: largest first, each to the half with fewer answers so far (ties: the group's
    name; an even score goes to half 0). Every unit at once, one rank at a time."""
    order = groups.sort_values(["unit_id", "count", "group"], ascending=[True, False, True])
    rank = order.groupby("unit_id", sort=False).cumcount().to_numpy()
    unit = pd.factorize(order["unit_id"])[0]
    count = order["count"].to_numpy(float)
    totals = np.zeros((unit.max() + 1 if len(unit) else 0, 2))
    half = np.zeros(len(order), dtype=float)
    for r in range(rank.max() + 1 if len(rank) else 0):
        at = np.flatnonzero(rank == r)
        chosen = (totals[unit[at], 1] < totals[unit[at], 0]).astype(int)
        half[at] = chosen
        np.add.at(totals, (unit[at], chosen), count[at])
    return pd.Series(half, index=order.index).reindex(groups.index).to_numpy()


def _group_halves(anonymous: pd.DataFrame) -> pd.Series:
    """Each anonymous response's half from the stable group it belongs to (see module)."""
    halves = pd.Series(np.nan, index=anonymous.index)
    pending = pd.Series(True, index=anonymous.index)
    for attribute in (a for a in STABLE_ATTRIBUTES if a in anonymous.columns):
        rows = anonymous[pending]
        group = rows[attribute].astype("string").fillna("").str.strip().str.casefold()
        counts = (pd.DataFrame({"unit_id": rows["unit_id"], "group": group})
                  .groupby(["unit_id", "group"]).size().rename("count").reset_index())
        split = counts.groupby("unit_id")["group"].transform("size") > 1
        counts = counts[split].reset_index(drop=True)
        if counts.empty:
            continue
        counts["half"] = _deal(counts)
        found = pd.DataFrame({"unit_id": rows["unit_id"], "group": group}).merge(
            counts[["unit_id", "group", "half"]], how="left")["half"].to_numpy()
        halves[rows.index] = np.where(np.isnan(found), halves[rows.index], found)
        pending[rows.index[~np.isnan(found)]] = False
    return halves


def respondent_halves(responses: pd.DataFrame, seed: int = HALF_SEED) -> pd.Series:
    """0 or 1 for each response (blank where its unit cannot be split; see the module).

    ``responses``: one row per employee response with ``unit_id`` and any of
    ``employee_key``, ``role``, ``tenure_band``; the whole panel at once (a group's half is
    chosen from its answers over every wave).

    >>> frame = pd.DataFrame({"unit_id": ["U1"] * 6 + ["U2"] * 2,
    ...                       "role": ["frontline"] * 4 + ["manager", "back_office"] * 2})
    >>> respondent_halves(frame).tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    """
    halves = pd.Series(np.nan, index=responses.index, dtype=float)
    if "employee_key" in responses.columns:
        keyed = responses["employee_key"].notna() & (responses["employee_key"].astype(str) != "")
    else:
        keyed = pd.Series(False, index=responses.index)
    if keyed.any():
        halves[keyed] = _people_halves(responses[keyed], seed).astype(float)
    if (~keyed).any():
        halves[~keyed] = _group_halves(responses[~keyed])
    return halves


#: why an employee score has no halves, in the words a report uses
NO_STABLE_HALVES = ("the employee answers cannot be split into two halves that keep their "
                    "people from wave to wave: the export has no key that follows a person "
                    "(employee_key), and no unit's staff differ in role or tenure band (a split "
                    "drawn afresh each wave would over-correct)")


def not_halved(panel: pd.DataFrame, score: str) -> bool:
    """True when ``score`` has values in ``panel`` but no row has both of its halves."""
    halves = [f"{score}_a", f"{score}_b"]
    if score not in panel.columns or not set(halves) <= set(panel.columns):
        return False
    return bool(panel[score].notna().any() and not panel[halves].notna().all(axis=1).any())
