"""The demo organisation as the files a real one would send, with planted, known effects.

:func:`generate` writes the data-contract files of a synthetic organisation (units, employee
and customer surveys, monthly unit outcomes, two pilots, comments with their themes) plus
``truth.json`` listing every planted effect, so that tests can check that the analyses
recover them; with ``messy`` it plants rows that break the contract, each for one reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxex_analysis.simulation import demo_actions, demo_customers, demo_metrics
from cxex_analysis.simulation import demo_comments as comments_bank
from cxex_analysis.simulation.demo_measurement import cx_measurement_slopes, ex_measurement_slope
from cxex_analysis.simulation.demo_parameters import (
    CUSTOMER_THEMES,
    EMPLOYEE_THEMES,
    ITEMS,
    REGIONS,
    DemoParameters,
)
from cxex_analysis.simulation.demo_world import (
    Draws,
    World,
    draw_assignments,
    draw_organisation,
    draw_pilot_effects,
    month_starts,
    planted_pilot_truth,
    simulate_world,
    unit_period_panels,
)


def _customer_frame(params: DemoParameters, d: Draws, world: World,
                    keys: np.ndarray) -> tuple[pd.DataFrame, dict]:
    rng = params.stream("customer_answers")
    months = month_starts(params)
    cust = world.customers
    units = d.units
    n = len(cust)
    month_start = months[cust["m"].to_numpy()]
    days = month_start.days_in_month.to_numpy()
    # between day 1 02:00 and the last day 21:00, so a time-zone offset never changes the month
    seconds = 2 * 3600 + cust["day_fraction"].to_numpy() * ((days - 1) * 86400 + 19 * 3600)
    stamps = month_start + pd.to_timedelta(np.floor(seconds), unit="s")
    text = stamps.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy().astype(object)
    offset_rows = rng.random(n) < 0.05
    shifted = (stamps[offset_rows] + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")
    text[offset_rows] = shifted.to_numpy()
    unit_type = units["unit_type"].to_numpy()[cust["u"].to_numpy()]
    channel_options = {"store": (["store", "web"], [0.8, 0.2]),
                       "branch": (["store", "phone", "web"], [0.6, 0.2, 0.2]),
                       "call_centre": (["phone", "chat"], [0.75, 0.25]),
                       "team": (["phone", "web", "other"], [0.5, 0.3, 0.2])}
    channel = np.empty(n, dtype=object)
    for kind, (options, probs) in channel_options.items():
        mask = unit_type == kind
        channel[mask] = rng.choice(options, size=mask.sum(), p=probs)
    rfc = np.where(np.isin(unit_type, ["call_centre", "branch"]),
                   np.where(cust["rfc"].to_numpy() > 0, "true", "false"), "")
    frame = pd.DataFrame({
        "response_id": [f"C{i:07d}" for i in range(1, n + 1)],
        "responded_at": text,
        "unit_id": units["unit_id"].to_numpy()[cust["u"].to_numpy()],
        "channel": channel,
        "nps": cust["nps"].astype("Int64"),
        "csat": cust["csat"].astype("Int64"),
        "ces": cust["ces"].astype("Int64"),
        "resolved_first_contact": rfc,
        "customer_key": keys,
    })
    rng.integers(0, n, n)  # the keys of earlier demos: still drawn, so every draw after is kept
    # comments tied to the scores; units with a poor tools profile get more tools/resolution talk
    has_comment = rng.random(n) < params.comment_share_customer
    tools = d.item_profile[:, ITEMS.index("tools")][cust["u"].to_numpy()]
    comments = np.full(n, "", dtype=object)
    themes = np.full(n, "", dtype=object)
    base = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
    nps_values = cust["nps"].to_numpy()
    csat_values = cust["csat"].to_numpy()
    for i in np.flatnonzero(has_comment):
        weights = base.copy()
        if tools[i] < -3:
            weights[CUSTOMER_THEMES.index("tools_systems")] *= 3
            weights[CUSTOMER_THEMES.index("resolution")] *= 1.5
        theme = CUSTOMER_THEMES[rng.choice(len(CUSTOMER_THEMES), p=weights / weights.sum())]
        if not np.isnan(nps_values[i]):
            positive = nps_values[i] >= 9 or (nps_values[i] >= 7 and rng.random() < 0.5)
        elif not np.isnan(csat_values[i]):
            positive = csat_values[i] >= 4
        else:
            positive = rng.random() < 0.5
        comments[i] = comments_bank.compose(rng, comments_bank.CUSTOMER_TEXT, theme, positive)
        themes[i] = theme
    pii_rows, foreign, html_row = comments_bank.add_awkward(rng, has_comment, comments, themes)
    frame["comment_prompt"] = comments_bank.prompts(params, has_comment, themes, nps_values,
                                                    comments, np.r_[pii_rows, foreign, html_row])
    frame["comment"] = comments
    frame = frame[["response_id", "responded_at", "unit_id", "channel", "nps", "csat", "ces",
                   "resolved_first_contact", "comment", "comment_prompt", "customer_key"]]
    info = {
        "comment_themes": dict(zip(frame["response_id"][has_comment], themes[has_comment])),
        "pii_response_ids": frame["response_id"].to_numpy()[pii_rows].tolist(),
        "html_comment_response_id": frame["response_id"].iloc[html_row],
        "non_english_response_ids": frame["response_id"].to_numpy()[foreign].tolist(),
    }
    return frame, info


def _employee_frame(params: DemoParameters, d: Draws, world: World) -> tuple[pd.DataFrame, dict]:
    rng = params.stream("employee_answers")
    months = month_starts(params)
    waves = [(months[3 * q + 2] + pd.offsets.MonthEnd(0)).date().isoformat()
             for q in range(params.n_quarters)]
    surveyed = d.employees["q"].isin(params.survey_quarters()).to_numpy()
    emp = d.employees[surveyed]
    items, enps = world.employee_items[surveyed], world.enps[surveyed]
    n = len(emp)
    frame = pd.DataFrame({
        "response_id": [f"R{i:06d}" for i in range(1, n + 1)],
        "wave": [waves[q] for q in emp["q"]],
        "unit_id": d.units["unit_id"].to_numpy()[emp["u"].to_numpy()],
        "role": emp["role"].to_numpy(),
        "tenure_band": emp["tenure_band"].to_numpy(),
    })
    for k, item in enumerate(ITEMS):
        frame[f"eng_{item}"] = pd.array(items[:, k], dtype="Float64").astype("Int64")
    frame["enps"] = enps.astype(int)
    has_comment = rng.random(n) < params.comment_share_employee
    comments = np.full(n, "", dtype=object)
    themes = np.full(n, "", dtype=object)
    respondent_ei = (np.nanmean(items, axis=1) - 1) / 4 * 100
    unit_type = d.units["unit_type"].to_numpy()[emp["u"].to_numpy()]
    for i in np.flatnonzero(has_comment):
        answers = items[i]
        if unit_type[i] == "call_centre" and respondent_ei[i] < 60 and rng.random() < 0.4:
            theme = "staffing"
        else:
            lowest = int(np.nanargmin(np.where(np.isnan(answers), 9, answers)))
            theme = comments_bank.ITEM_THEME[ITEMS[lowest]]
        positive = respondent_ei[i] >= 72
        comments[i] = comments_bank.compose(rng, comments_bank.EMPLOYEE_TEXT, theme, positive)
        themes[i] = theme
    pii = rng.choice(np.flatnonzero(has_comment), size=10, replace=False)
    for j, i in enumerate(pii):
        comments[i] += f" Contact me at {comments_bank.PHONE_NAMES[j % 4]}@example.com or 07700 900{j + 500:03d}"
    # a few comments that need a person (their own stream: the demo's other draws stay)
    own = params.stream("sensitive_comments")
    sensitive = own.choice(np.setdiff1d(np.flatnonzero(has_comment), pii),
                           size=len(comments_bank.SENSITIVE_EMPLOYEE_TEXT), replace=False)
    for j, i in enumerate(sensitive):
        comments[i] = comments_bank.SENSITIVE_EMPLOYEE_TEXT[j]
        themes[i] = "sensitive"
    frame["comment"] = comments
    frame["employee_key"] = emp["employee_key"].to_numpy()
    info = {"comment_themes": dict(zip(frame["response_id"][has_comment], themes[has_comment])),
            "pii_response_ids": frame["response_id"].to_numpy()[pii].tolist(),
            "sensitive_response_ids": frame["response_id"].to_numpy()[sensitive].tolist()}
    return frame, info


def _insert_bad_rows(frame: pd.DataFrame, bad: list[dict[str, Any]], rng: np.random.Generator,
                     duplicate_of: int | None = None) -> pd.DataFrame:
    """Insert bad rows (dicts of overrides on a copy of a random row) at random places."""
    out = frame.copy()
    pieces = []
    for overrides in bad:
        row = out.iloc[int(rng.integers(len(out)))].copy()
        for key, value in overrides.items():
            row[key] = value
        pieces.append(row)
    extra = pd.DataFrame(pieces)
    positions = np.sort(rng.integers(10, len(out), len(extra)))
    parts, last = [], 0
    for pos, (_, row) in zip(positions, extra.iterrows()):
        parts.append(out.iloc[last:pos])
        parts.append(row.to_frame().T)
        last = pos
    parts.append(out.iloc[last:])
    result = pd.concat(parts, ignore_index=True)
    if duplicate_of is not None:
        dup = out.iloc[[duplicate_of]]
        result = pd.concat([result.iloc[: duplicate_of + 5], dup, result.iloc[duplicate_of + 5:]],
                           ignore_index=True)
    return result


#: the demo's pilot registry: a randomized pilot and a staggered rollout
PILOTS = pd.DataFrame([
    {"pilot_id": "P1", "name": "Knowledge base for agents",
     "description": "A searchable knowledge base for call-centre and branch staff, "
                    "randomized to half of the eligible units.",
     "design": "randomized", "primary_outcome": "csat", "cost_per_unit": 8000,
     "currency": "EUR"},
    {"pilot_id": "P2", "name": "Leaders' frontline visits",
     "description": "Senior leaders spend a day a month on the shop floor; rolled out "
                    "region by region.",
     "design": "staggered", "primary_outcome": "nps", "cost_per_unit": 3000, "currency": "EUR"},
])


#: The demo's benchmark: illustrative percentiles (made up for the demo, as its people are),
#: so its reports show scores placed against a norms file.
DEMO_NORMS = pd.DataFrame([
    ("engagement_index", "", 62, 68, 74, 79), ("enps", "", -10, 5, 20, 35),
    ("nps", "", 18, 30, 42, 55), ("csat", "", 70, 78, 84, 89),
    ("pct_favourable", "", 60, 66, 72, 78), ("pct_favourable", "eng_tools", 55, 63, 70, 77)],
    columns=["measure", "item", "p25", "p50", "p75", "p90"]).assign(
    source="Illustrative benchmark (demo data, not a vendor's)", year=2025)


def _plant_alert(params: DemoParameters, d, worlds, assignments: pd.DataFrame) -> dict:
    """A store whose manager left before the last survey: in the last wave its employees answer
    every engagement item a point lower (never below 1) in every world the truth compares (the
    demo's planted alert). The store is the one with the most respondents then among stores
    in no pilot's treatment arm, so the fall clears its survey noise and no pilot's truth moves."""
    last = max(params.survey_quarters())
    treated = set(assignments.loc[assignments["arm"] == "treatment", "unit_id"])
    units = d.units.reset_index(drop=True)
    eligible = [i for i, row in units.iterrows()
                if row["unit_type"] == "store" and row["unit_id"] not in treated]
    asked = d.employees[(d.employees["q"] == last) & d.employees["u"].isin(eligible)]
    u = int(asked["u"].value_counts().idxmax())
    rows = np.flatnonzero(((d.employees["q"] == last) & (d.employees["u"] == u)).to_numpy())
    for world in worlds:
        world.employee_items[rows] = np.clip(world.employee_items[rows] - 1, 1, 5)
        world.ei[u, last] = np.mean((np.nanmean(world.employee_items[rows], axis=1) - 1) / 4 * 100)
    return {"unit_id": units.loc[u, "unit_id"], "region": units.loc[u, "region"],
            "quarter": int(last), "respondents": int(len(rows))}


def generate(out_dir: Path | str, params: DemoParameters | None = None) -> dict:
    """Write the demo organisation's contract files and ``truth.json`` into ``out_dir``.

    Returns the truth dictionary (also written to ``out_dir/truth.json``).

    Examples
    --------
    >>> truth = generate("data/demo")                      # doctest: +SKIP
    >>> truth["linkage"]["ex_to_cx_lagged"]["nps"]         # doctest: +SKIP
    0.6
    """
    params = params or DemoParameters()
    params.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draws = draw_organisation(params)
    assignments = draw_assignments(params, draws.units)
    months = month_starts(params)
    ex_eff, cx_eff, repeat_factor = draw_pilot_effects(params, draws.units, assignments, months)
    plans, boost, without_actions = _action_plans(params, draws, ex_eff, cx_eff, repeat_factor)
    factual = simulate_world(params, draws, ex_eff, cx_eff, repeat_factor, boost)
    counterfactual = simulate_world(params, draws, np.zeros_like(ex_eff), np.zeros_like(cx_eff),
                                     np.ones_like(repeat_factor), boost)
    alerted = _plant_alert(params, draws, (factual, counterfactual, without_actions), assignments)
    pilot_truth = planted_pilot_truth(params, draws, factual, counterfactual, assignments)
    action_truth = demo_actions.planted_action_truth(
        params, draws.units, draws.employees, factual.employee_items,
        without_actions.employee_items, plans, demo_actions.wave_dates(params, months),
        assignments[assignments["arm"] == "treatment"].groupby("unit_id")["start_date"].min()
        .to_dict())

    units = draws.units[["unit_id", "unit_name", "region", "unit_type", "opened_on"]]
    followed = demo_customers.follow_customers(params, factual, draws.units["unit_id"].to_numpy())
    customers, customer_info = _customer_frame(params, draws, factual, followed.keys)
    employees, employee_info = _employee_frame(params, draws, factual)
    customers, employees, outcomes, invalid = _plant_bad_rows(params, customers, employees,
                                                              factual.outcomes)
    plans_written = _bad_action_rows(params, plans, invalid)
    units.to_csv(out / "units.csv", index=False)
    customers.to_csv(out / "customer_survey.csv", index=False)
    employees.to_csv(out / "employee_survey.csv", index=False)
    outcomes.to_csv(out / "unit_outcomes.csv", index=False)
    followed.crm.to_csv(out / "customer_outcomes.csv", index=False)
    metrics, metrics_truth = demo_metrics.unit_metrics(params, draws, factual, months)
    metrics.to_csv(out / "unit_metrics.csv", index=False)
    PILOTS.to_csv(out / "pilots.csv", index=False)
    assignments.to_csv(out / "pilot_assignments.csv", index=False)
    plans_written.to_csv(out / "action_plans.csv", index=False)
    DEMO_NORMS.to_csv(out / "norms.csv", index=False)
    themes = pd.concat([
        pd.DataFrame({"source": "customer", "response_id": list(customer_info["comment_themes"]),
                      "theme": list(customer_info["comment_themes"].values())}),
        pd.DataFrame({"source": "employee", "response_id": list(employee_info["comment_themes"]),
                      "theme": list(employee_info["comment_themes"].values())}),
    ])
    themes.to_csv(out / "truth_comment_themes.csv", index=False)
    big = draws.units["staff"].to_numpy() >= 5
    truth = {
        "seed": params.seed,
        "parameters": asdict(params),
        "counts": {"units": len(units), "regions": len(REGIONS),
                   "employee_responses": int(len(employees) - invalid["employee_survey"]),
                   "customer_responses": int(len(customers) - invalid["customer_survey"]),
                   "unit_outcome_rows": int(len(outcomes) - invalid["unit_outcomes"]),
                   "waves": len(params.survey_quarters()),
                   "months": len(months)},
        "linkage": _linkage_truth(params, draws, factual, len(months), big),
        "pilots": pilot_truth,
        "customer_value": followed.truth,
        "unit_metrics": metrics_truth,
        "actions": {**action_truth, "plans": len(plans),
                    "by_status": plans["status"].value_counts().to_dict()},
        "planted_invalid_rows": invalid,
        "small_units": draws.units.loc[~big, "unit_id"].tolist(),
        "alert": alerted,
        "comments": {
            "customer_themes": list(CUSTOMER_THEMES), "employee_themes": list(EMPLOYEE_THEMES),
            "themes_file": "truth_comment_themes.csv",
            "customer_pii_response_ids": customer_info["pii_response_ids"],
            "employee_pii_response_ids": employee_info["pii_response_ids"],
            "html_comment_response_id": customer_info["html_comment_response_id"],
            "non_english_response_ids": customer_info["non_english_response_ids"],
        },
        "expected_ei_by_wave": {
            str(q): float(np.nanmean(factual.ei[big, q]))
            for q in params.survey_quarters()},
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2, default=_json_default))
    return truth


def _action_plans(params: DemoParameters, draws, ex_eff, cx_eff, repeat_factor):
    """The action plans of every cycle, each chosen from the survey the groups had just read
    (earlier cycles' completed actions included), their effect on the items, and the world
    without any action (the truth's counterfactual)."""
    rng = params.stream("action_plans")
    waves = demo_actions.wave_dates(params, month_starts(params))
    without = simulate_world(params, draws, ex_eff, cx_eff, repeat_factor)
    rows: list[dict] = []
    taken: set = set()
    boost = np.zeros((len(draws.units), params.n_quarters, len(ITEMS)))
    world = without
    for cycle in range(len(params.action_cycles)):
        rows += demo_actions.plan_cycle(params, draws.units, draws.employees,
                                        world.employee_items, cycle, rng, waves, taken)
        boost = demo_actions.item_boost(params, draws.units, pd.DataFrame(rows), waves)
        world = simulate_world(params, draws, ex_eff, cx_eff, repeat_factor, boost)
    return demo_actions.plans_frame(rows), boost, without


def _bad_action_rows(params: DemoParameters, plans: pd.DataFrame, invalid: dict) -> pd.DataFrame:
    """With ``params.messy``: two action plans that break the contract."""
    invalid["action_plans"] = 0
    if not params.messy:
        return plans
    bad = [dict(plans.iloc[0], action_id="A9001", owner_role="Jane Smith"),
           dict(plans.iloc[1], action_id="A9002", status="done", completed_on=None)]
    invalid["action_plans"] = len(bad)
    return pd.concat([plans, pd.DataFrame(bad)], ignore_index=True)


def _plant_bad_rows(params: DemoParameters, customers: pd.DataFrame, employees: pd.DataFrame,
                    outcomes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                     dict[str, int]]:
    """With ``params.messy``: rows that break the contract, each for one reason the
    quarantine must name, and how many went into each table."""
    invalid = {"customer_survey": 0, "employee_survey": 0, "unit_outcomes": 0}
    if not params.messy:
        return customers, employees, outcomes, invalid
    rng = params.stream("bad_rows")
    bad_customers: list[dict[str, Any]] = [
        {"response_id": "C9000001", "nps": 11},
        {"response_id": "C9000002", "csat": 0},
        {"response_id": "C9000003", "ces": "seven"},
        {"response_id": "C9000004", "responded_at": "2031-01-15T10:00:00Z"},
        {"response_id": "C9000005", "unit_id": "U999"},
        {"response_id": "C9000006", "responded_at": "31/13/2025"},
        {"response_id": "C9000007", "nps": pd.NA, "csat": pd.NA, "ces": pd.NA},
        {"response_id": "C9000008", "channel": "fax"},
        {"response_id": "C9000009", "nps": 7.5},
    ]
    customers = _insert_bad_rows(customers, bad_customers, rng, duplicate_of=100)
    invalid["customer_survey"] = len(bad_customers) + 1
    bad_employees: list[dict[str, Any]] = [
        {"response_id": "R9000001", "eng_tools": 6},
        {"response_id": "R9000002", "role": "contractor"},
        {"response_id": "R9000003", "enps": 12},
        {"response_id": "R9000004", "employee_key": "firstname.lastname@company.com"},
        {"response_id": "R9000005", "wave": "not a date"},
    ]
    employees = _insert_bad_rows(employees, bad_employees, rng, duplicate_of=50)
    invalid["employee_survey"] = len(bad_employees) + 1
    bad_outcomes: list[dict[str, Any]] = [
        {"period": "2024-05-15", "unit_id": "U001"},
        {"customers_lost": 999999, "period": "2023-12-01", "unit_id": "U002"},
    ]
    outcomes = _insert_bad_rows(outcomes, bad_outcomes, rng)
    invalid["unit_outcomes"] = len(bad_outcomes)
    return customers, employees, outcomes, invalid


def _linkage_truth(params: DemoParameters, draws, factual, n_months: int,
                   big: np.ndarray) -> dict:
    """The planted links in the units the estimators see, and the realised between-unit
    correlations (what a perfect analysis would see)."""
    # realised between-unit correlations (what a perfect analysis would see)
    _, quarterly, ex = unit_period_panels(params, draws, factual)
    unit_ex = ex.groupby("u")["engagement_index"].mean()
    unit_cx = quarterly.groupby("u")[["nps", "csat", "ces"]].mean()
    turnover = factual.outcomes.assign(u=np.repeat(np.arange(len(draws.units)), n_months))
    exit_rate = (turnover.groupby("u")["employees_left"].sum()
                 / turnover.groupby("u")["employees"].sum())
    # the planted links act on latent experience; in the units the estimators see (measured
    # index points; NPS points, whose expectation is the latent c held within ±65) they are
    slope = ex_measurement_slope(params, draws, factual.latent_ex)
    cx_slopes = cx_measurement_slopes(params, factual.c)
    ex_to_cx = params.ex_to_cx * cx_slopes["nps"] / slope
    return {
        "ex_to_cx_lagged": {score: params.ex_to_cx * cx_slopes[score] / slope
                            for score in ("nps", "csat", "ces")},
        "cx_to_ex_lagged": {"nps": params.cx_to_ex * slope / cx_slopes["nps"]},
        "ex_measurement_slope": slope,
        "cx_measurement_slopes": cx_slopes,
        "lag": "one quarter: the engagement index of the wave closing at the end of "
               "quarter t moves customer outcomes in quarter t+1; NPS in quarter t "
               "moves the engagement index of the wave closing at the end of t+1",
        "units": {"ex": "engagement index points (0-100)", "nps": "NPS points",
                  "csat": "top-2-box percentage points", "ces": "CES points (1-7)"},
        "mediation": {
            "revenue_per_customer": {
                "a_ex_to_nps": ex_to_cx,
                "b_nps_to_outcome": params.revenue_per_customer_per_nps / cx_slopes["nps"],
                "indirect": ex_to_cx * params.revenue_per_customer_per_nps / cx_slopes["nps"]},
            "churn_rate": {
                "a_ex_to_nps": ex_to_cx, "b_nps_to_outcome": params.churn_per_nps / cx_slopes["nps"],
                "indirect": ex_to_cx * params.churn_per_nps / cx_slopes["nps"]},
        },
        "driver_weights": params.driver_weights,
        "exit_rate_per_ei": params.exit_rate_per_ei / slope,
        "realised_between_unit_correlation": {
            "engagement_index_vs_nps": float(np.corrcoef(unit_ex[big], unit_cx["nps"][big])[0, 1]),
            "engagement_index_vs_csat": float(np.corrcoef(unit_ex[big], unit_cx["csat"][big])[0, 1]),
            "engagement_index_vs_exit_rate": float(np.corrcoef(unit_ex[big], exit_rate[big])[0, 1]),
        },
    }


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
