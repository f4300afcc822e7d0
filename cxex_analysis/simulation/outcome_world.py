"""A planted organisation with annual waves and an outcome of its own, exported both ways.

What issue 37's teams have: an annual staff survey and a unit outcome where lower is better
(a readmission rate). The world is drawn as it is, not as the estimator assumes:

* each unit has a **latent** employee experience (index points): a lasting level and
  persistent yearly shocks;
* its **roster** answers the survey every year (:func:`~cxex_analysis.simulation.latent.roster_answers`):
  the same people wave after wave with a lasting trait each, non-response that leans on the
  trait, and a share of the jobs changing hands every year;
* the **outcome** follows the latent experience, not the scores: each year's rate moves by
  ``effect`` per point of the *expected* engagement index of the year before (the truth in
  the units the estimator sees), lasting unit differences go with lasting EX (the
  confounding fixed effects remove) and a share ``persistence`` of a year's deviation
  carries into the next (what the lagged-outcome model holds fixed);
* it is **exported both ways**: the respondent rows (``employee_survey``) and the unit-level
  scores a survey platform would export from them (``employee_scores``: mean index, n, sd).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxex_analysis.simulation.latent import LatentWorld, expected_engagement_index, roster_answers


@dataclass(frozen=True)
class OutcomeWorld:
    """Settings of one planted organisation (defaults: 400 units, 6 annual waves)."""

    units: int = 400
    years: int = 6
    first_year: int = 2019
    respondents: int = 20  # answering a unit's wave on average
    response_rate: float = 0.8
    turnover: float = 0.15  # of the jobs, a year
    trait_share: float = 0.7
    ex_mean: float = 66.0
    ex_between_sd: float = 6.0
    ex_shock_sd: float = 3.5
    ex_shock_ar: float = 0.8
    metric: str = "readmission_rate"
    better: str = "lower"
    metric_unit: str = "%"
    base: float = 14.0
    effect: float = -0.05  # outcome points per index point of the year before's expected EX
    confounding: float = -0.06  # outcome points per index point of a unit's lasting EX level
    lasting_sd: float = 0.8
    persistence: float = 0.7  # of a year's deviation carried into the next
    noise_sd: float = 0.4
    seed: int = 0


def generate(world: OutcomeWorld = OutcomeWorld()) -> dict:
    """The organisation's tables (``units``, ``employee_survey``, ``employee_scores``,
    ``unit_metrics``), ``truth`` and ``expected``: each unit-wave's expected engagement index
    given its latent experience (the score without sampling noise)."""
    rng = np.random.default_rng(world.seed)
    n, years = world.units, world.years
    level = rng.normal(0, world.ex_between_sd, n)
    shock = rng.normal(0, world.ex_shock_sd, n)
    eta = np.empty((n, years))
    for t in range(years):
        shock = world.ex_shock_ar * shock + rng.normal(0, world.ex_shock_sd, n)
        eta[:, t] = world.ex_mean + level + shock
    latent = LatentWorld(units=n, waves=years, employees=world.respondents, ex_every=1,
                         people="roster", trait_share=world.trait_share,
                         response_rate=world.response_rate, turnover=world.turnover)
    expected = expected_engagement_index(eta, latent)  # what the scores measure, on average
    centre = expected.mean()
    lasting = world.confounding * level + rng.normal(0, world.lasting_sd, n)
    outcome = np.empty((n, years))
    deviation = rng.normal(0, world.noise_sd, n)
    for t in range(years):
        if t:
            deviation = (world.persistence * deviation + world.effect * (expected[:, t - 1] - centre)
                         + rng.normal(0, world.noise_sd, n))
        outcome[:, t] = world.base + lasting + deviation
    answers = roster_answers(latent, eta, rng, with_items=True)
    ids = np.array([f"H{i + 1:03d}" for i in range(n)])
    starts = pd.to_datetime([f"{world.first_year + t}-01-01" for t in range(years)])
    survey_dates = pd.to_datetime([f"{world.first_year + t}-10-15" for t in range(years)])
    units = pd.DataFrame({"unit_id": ids, "unit_name": [f"Hospital {i + 1}" for i in range(n)],
                          "region": np.array(["North", "South", "East", "West"])[np.arange(n) % 4],
                          "unit_type": np.where(np.arange(n) % 3 == 0, "Teaching", "General")})
    items = [c for c in answers.columns if c.startswith("eng_")]
    survey = pd.DataFrame({"response_id": [f"R{i + 1:07d}" for i in range(len(answers))],
                           "wave": survey_dates[answers["t"]].strftime("%Y-%m-%d"),
                           "unit_id": ids[answers["unit"]], "role": answers["role"],
                           "tenure_band": answers["tenure_band"],
                           **{c: answers[c] for c in items}})
    index = (answers[items].mean(axis=1) - 1) / 4 * 100
    cells = index.groupby([answers["unit"], answers["t"]]).agg(["mean", "size", "std"])
    scores = pd.DataFrame({"unit_id": ids[cells.index.get_level_values(0)],
                           "period": starts[cells.index.get_level_values(1)].strftime("%Y-%m-%d"),
                           "measure": "engagement", "value": cells["mean"].round(2).to_numpy(),
                           "n": cells["size"].to_numpy(), "sd": cells["std"].round(2).to_numpy(),
                           "scale_min": 0, "scale_max": 100})
    metrics = pd.DataFrame({"unit_id": np.repeat(ids, years),
                            "period": np.tile(starts.strftime("%Y-%m-%d"), n),
                            "metric": world.metric, "value": outcome.ravel().round(3),
                            "better": world.better, "unit": world.metric_unit})
    truth = {"lag1": world.effect, "lag0": 0.0,
             "noise_correlation": _noise_correlation(cells["mean"], expected),
             "settings": asdict(world)}
    latent_scores = pd.DataFrame({"unit_id": np.repeat(ids, years),
                                  "period": np.tile(starts.strftime("%Y-%m-%d"), n),
                                  "expected": expected.ravel()})
    return {"units": units, "employee_survey": survey, "employee_scores": scores,
            "unit_metrics": metrics, "truth": truth, "expected": latent_scores}


def _noise_correlation(scores: pd.Series, expected: np.ndarray) -> float:
    """The correlation of a unit's sampling errors (score − its expectation given the latent
    experience) in consecutive waves: what the same people answering again leave in them."""
    unit, wave = (scores.index.get_level_values(i).to_numpy() for i in (0, 1))
    error = pd.Series(scores.to_numpy() - expected[unit, wave], index=scores.index)
    earlier = error.rename(index=lambda t: t + 1, level=1)
    both = pd.concat([error.rename("now"), earlier.rename("before")], axis=1).dropna()
    return float(np.corrcoef(both["now"], both["before"])[0, 1])


def write(world: OutcomeWorld, folder: Path | str, shape: str = "respondents") -> dict:
    """Write the data folder as the ``respondents`` or the ``scores`` export; the truth."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = generate(world)
    survey = "employee_survey" if shape == "respondents" else "employee_scores"
    for name in ("units", survey, "unit_metrics"):
        tables[name].to_csv(folder / f"{name}.csv", index=False)
    return tables["truth"]
