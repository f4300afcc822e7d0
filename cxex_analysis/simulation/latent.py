"""A calibration world in which every score is a measurement of a latent unit experience.

The demo organisation (:mod:`cxex_analysis.simulation.demo_files`) writes realistic files; this module
plants truths the way the world makes them, to test the estimators that link scores:

* each unit has a **latent** employee experience ``eta`` (engagement-index points) that
  moves from wave to wave (unit level, company-wide quarters, persistent AR(1) shocks) and,
  optionally, reacts to the latent customer experience of the previous quarter;
* each unit's **latent** customer experience ``mu`` (the mean 0–10 answer its customers
  would give) reacts to the latent EX of the previous quarter and moves month by month;
* **money follows the latent experience**: revenue per customer and the share of customers
  lost each month follow ``mu``, and the share of staff who leave each month follows the
  ``eta`` of the quarter before — not the scores a handful of people happened to give
  (customers and staff lost are binomial draws from the unit's customer base and roster);
* **surveys measure**: ``employees`` staff answer seven 1–5 items per wave and ``customers``
  customers a 0–10 recommend question per month (and a CSAT and an effort answer, each the
  customer's own view mapped to its 1–5 or 1–7 scale), each answer the latent value plus a
  person's own noise, rounded and clipped like real answer scales. Each unit-period's
  respondents are split at random into two halves, two independent measurements of the
  same score.

The truths are reported in the units the estimators see: the slope of a measured score on
its latent value is computed from the exact expected answer (normal distribution functions
of the rounding thresholds), projected on the latent values within units — not assumed.

Nothing here is used by the estimators; they never see ``eta`` or ``mu``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.panels.respondent_halves import respondent_halves

#: the seven engagement items: how much more (+) or less favourably each is answered
ITEM_OFFSETS = np.array([-0.15, -0.3, 0.1, -0.05, -0.2, 0.3, 0.15])


@dataclass(frozen=True)
class LatentWorld:
    """Settings of one calibration world (defaults: 600 units, 8 waves, 30 respondents)."""

    units: int = 600
    waves: int = 8
    employees: int = 30  # respondents per unit and wave
    ex_every: int = 1  # quarters from one employee survey to the next (2 half-yearly, 4 annual)
    customers: int = 30  # respondents per unit and month
    seed: int = 0
    # latent employee experience (engagement-index points)
    ex_mean: float = 66.0
    ex_between_sd: float = 7.0
    ex_shock_sd: float = 4.0
    ex_shock_ar: float = 0.5
    # latent customer experience (mean answer on the 0-10 scale)
    cx_mean: float = 8.2
    cx_between_sd: float = 0.6
    between_correlation: float = 0.4  # of units' lasting EX and CX levels (Harter et al.: ~0.33)
    cx_quarter_sd: float = 0.15  # shocks to a unit's quarter, beyond EX
    cx_month_sd: float = 0.10  # month-to-month movement inside a quarter
    ex_to_cx: float = 0.02  # answer-scale points per index point of last quarter's EX
    cx_to_ex: float = 0.0  # index points per answer-scale point of last quarter's CX
    # answers: a person's own spread around the unit's latent value
    person_sd: float = 14.0  # engagement-index points
    # who answers: "fresh" people each wave, or a unit's "roster" answering wave after wave
    # (a lasting trait and a state of the wave make up person_sd), with non-response and
    # turnover; an "anonymous" export has no key that follows a person, a "keyed" one does
    people: str = "fresh"
    trait_share: float = 0.7  # of person_sd's variance that lasts (0.5 and 0.33 on 1-5 points)
    response_rate: float = 0.85
    response_trait: float = 0.3  # log-odds of answering per trait SD: the content answer more
    turnover: float = 0.05  # share of a roster replaced each quarter
    export: str = "anonymous"  # or "keyed"
    item_sd: float = 0.6  # 1-5 scale, per item
    customer_sd: float = 2.0  # 0-10 scale
    # money: revenue per customer and month follows latent CX
    revenue_base: float = 40.0
    revenue_between_sd: float = 5.0
    revenue_per_cx: float = 1.5  # currency per answer-scale point of latent CX
    revenue_noise_sd: float = 0.8
    # customers lost a month follow latent CX; staff leaving a month follow last quarter's EX
    customer_base: int = 1000  # a unit's active customers
    churn_base: float = 0.02  # a month
    churn_per_cx: float = 0.01  # fewer lost a month per answer-scale point of latent CX
    exit_base: float = 0.015  # a month
    exit_per_ex: float = 0.0008  # fewer leaving a month per index point of last quarter's EX
    # a staggered pilot without a control arm of its own: a share of units starts in one of
    # three consecutive quarters from the middle of the panel; the rest never start
    pilot_share: float = 0.0
    pilot_cx_effect: float = 0.15  # answer-scale points of latent CX, from the start quarter
    pilot_ex_effect: float = 2.0  # index points of latent EX, from the start quarter

    def pilot_starts(self) -> tuple[int, int, int]:
        """The three start quarters (0-based wave index), each with pre-periods before it."""
        first = max(self.waves // 2 - 1, 2)
        return first, first + 1, first + 2


def expected_item(latent_index: np.ndarray) -> np.ndarray:
    """Expected 1–5 answer of each item, given a unit's latent engagement (index points)."""
    centre = 1 + 4 * np.asarray(latent_index, float)[..., None] / 100 + ITEM_OFFSETS
    return centre  # the answer before rounding; rounding is applied in the exact forms below


def expected_rounded(centre: np.ndarray, sd: float, low: int, high: int) -> np.ndarray:
    """E[clip(round(centre + sd Z), low, high)] for Z standard normal (exact)."""
    steps = np.arange(low + 1, high + 1)
    return low + stats.norm.cdf((centre[..., None] - steps + 0.5) / sd).sum(axis=-1)


def expected_engagement_index(eta: np.ndarray, world: LatentWorld) -> np.ndarray:
    """E[measured engagement index | latent eta]: the mean over items of the expected
    rounded, clipped answer, rescaled to 0–100 (a person's spread and the item noise are
    independent normals, so each answer is normal around its centre)."""
    sd = np.hypot(4 * world.person_sd / 100, world.item_sd)
    answers = expected_rounded(expected_item(eta), sd, 1, 5)
    return (answers.mean(axis=-1) - 1) / 4 * 100


def expected_nps(mu: np.ndarray, world: LatentWorld) -> np.ndarray:
    """E[measured NPS | latent mean answer mu] = 100 (P(answer ≥ 9) − P(answer ≤ 6))."""
    mu = np.asarray(mu, float)
    return 100 * (stats.norm.cdf((mu - 8.5) / world.customer_sd)
                  - stats.norm.cdf((6.5 - mu) / world.customer_sd))


def _within(values: np.ndarray, unit: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Two-way (unit and period) demeaned values of a balanced panel."""
    frame = pd.DataFrame({"v": values, "u": unit, "t": time})
    v = frame["v"] - frame.groupby("u")["v"].transform("mean")
    return (v - v.groupby(frame["t"]).transform("mean")).to_numpy()


def _slope(measured: np.ndarray, latent: np.ndarray, unit, time) -> float:
    """Least-squares slope of ``measured`` on ``latent``, within units and periods (for a
    score's expectation on its latent value: how many measured points one latent point is
    worth here)."""
    y, x = _within(measured, unit, time), _within(latent, unit, time)
    return float(x @ y / (x @ x))


def _random_halves(values: np.ndarray, per_group: int, rng) -> np.ndarray:
    """Which of each group of ``per_group`` consecutive answers is in the first half (a
    random half of each group)."""
    n_groups = len(values) // per_group
    order = rng.permuted(np.tile(np.arange(per_group), (n_groups, 1)), axis=1)
    return order < per_group // 2


def _split_scores(values: np.ndarray, per_group: int, score, half: np.ndarray):
    """Full-sample and half scores per group of ``per_group`` consecutive answers (``half``:
    :func:`_random_halves`)."""
    answers = values.reshape(len(half), per_group, *values.shape[1:])
    full = score(answers, np.ones_like(half))
    return full, score(answers, half), score(answers, ~half)


def _index_score(answers: np.ndarray, mask: np.ndarray) -> np.ndarray:
    person = (answers.mean(axis=-1) - 1) / 4 * 100
    return (person * mask).sum(axis=1) / mask.sum(axis=1)


def _nps_score(answers: np.ndarray, mask: np.ndarray) -> np.ndarray:
    net = (answers >= 9).astype(float) - (answers <= 6)
    return 100 * (net * mask).sum(axis=1) / mask.sum(axis=1)


def _share_score(at_least: int):
    """The % of answers of ``at_least`` or more (CSAT: 4–5 on 1–5)."""
    def score(answers: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return 100 * ((answers >= at_least) * mask).sum(axis=1) / mask.sum(axis=1)
    return score


def _mean_score(answers: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (answers * mask).sum(axis=1) / mask.sum(axis=1)


#: each customer's CSAT (1–5) and effort (CES 1–7, higher = easier) answers: the centre of the
#: answer per point of the 0–10 scale, its scale's ends, the score made of the answers
OTHER_SCALES = {"csat": (1.0, 0.4, 1, 5, _share_score(4)), "ces": (1.0, 0.6, 1, 7, _mean_score)}

#: correlation of a customer's deviation from the unit on CSAT and CES with that on NPS
OTHER_CORRELATION = 0.7


def _other_scores(world: LatentWorld, centre: np.ndarray, deviation: np.ndarray, rng) -> dict:
    """Each answer's CSAT and CES: the customer's view on the 0–10 scale (``centre`` + a
    deviation correlated :data:`OTHER_CORRELATION` with their NPS ``deviation``) mapped
    linearly to the scale, rounded and clipped; with the function that scores them."""
    found = {}
    for name, (intercept, slope, low, high, score) in OTHER_SCALES.items():
        own = rng.normal(0, world.customer_sd, len(centre))
        view = centre + OTHER_CORRELATION * deviation + np.sqrt(1 - OTHER_CORRELATION ** 2) * own
        found[name] = (np.clip(np.rint(intercept + slope * view), low, high), score)
    return found


def expected_other(mu: np.ndarray, world: LatentWorld) -> dict:
    """E[measured CSAT (% 4–5) and CES (mean 1–7) | latent mean answer mu]."""
    mu = np.asarray(mu, float)
    csat_a, csat_b, *_ = OTHER_SCALES["csat"]
    ces_a, ces_b, low, high, _ = OTHER_SCALES["ces"]
    return {"csat": 100 * stats.norm.cdf((csat_a + csat_b * mu - 3.5) / (csat_b * world.customer_sd)),
            "ces": expected_rounded(ces_a + ces_b * mu, ces_b * world.customer_sd, low, high)}


#: tenure bands (upper bound in quarters, label), as exports give them
TENURE_BANDS = ((4, "<1y"), (12, "1-3y"), (20, "3-5y"), (None, "5y+"))


def roster_answers(world: LatentWorld, eta: np.ndarray, rng, with_items: bool = False) -> pd.DataFrame:
    """Each unit-wave's answers by the unit's roster, one row per response: ``employees /
    response_rate`` jobs per unit (the first a manager, the others frontline or back office),
    held by people with a lasting trait who answer with a state of the wave; each answers
    with probability ``response_rate`` (more often the higher their trait, by
    ``response_trait`` log-odds per SD); ``turnover`` of the jobs change hands every quarter
    (a new person, a new trait, tenure from zero). A keyed export gives each person's key;
    an anonymous one gives only role and tenure band. ``with_items`` keeps each answer's
    seven 1–5 items (``eng_1`` … ``eng_7``), as a respondent export has them."""
    n, waves = eta.shape
    size = max(int(round(world.employees / world.response_rate)), 2)
    trait_sd = world.person_sd * np.sqrt(world.trait_share)
    state_sd = world.person_sd * np.sqrt(1 - world.trait_share)
    role = np.where(rng.random((n, size)) < 0.15, "back_office", "frontline")
    role[:, 0] = "manager"
    trait = rng.normal(0, 1, (n, size))
    person = np.arange(n * size).reshape(n, size)
    hired = -rng.integers(0, 40, (n, size))  # quarter each person started
    base = np.log(world.response_rate / (1 - world.response_rate))
    parts = []
    for t in range(waves):
        if t:
            leaving = rng.random((n, size)) < world.turnover
            trait = np.where(leaving, rng.normal(0, 1, (n, size)), trait)
            person = np.where(leaving, person.max() + 1 + np.arange(n * size).reshape(n, size),
                              person)
            hired = np.where(leaving, t, hired)
        if t % world.ex_every:
            continue  # no survey this quarter; the roster moves on
        answer = rng.random((n, size)) < 1 / (1 + np.exp(-(base + world.response_trait * trait)))
        level = eta[:, t, None] + trait_sd * trait + rng.normal(0, state_sd, (n, size))
        centre = expected_item(level)
        items = np.clip(np.rint(centre + rng.normal(0, world.item_sd, centre.shape)), 1, 5)
        index = (items.mean(axis=-1) - 1) / 4 * 100
        tenure = t - hired
        band = np.select([tenure < limit for limit, _ in TENURE_BANDS[:-1]],
                         [label for _, label in TENURE_BANDS[:-1]], TENURE_BANDS[-1][1])
        unit = np.broadcast_to(np.arange(n)[:, None], (n, size))
        part = pd.DataFrame({"unit": unit[answer], "t": t, "role": role[answer],
                             "tenure_band": band[answer], "person": person[answer],
                             "engagement_index": index[answer]})
        if with_items:
            for k in range(items.shape[-1]):
                part[f"eng_{k + 1}"] = items[..., k][answer].astype(int)
        parts.append(part)
    answers = pd.concat(parts, ignore_index=True)
    if world.export == "keyed":
        answers["employee_key"] = "P" + answers["person"].astype(str)
    return answers.drop(columns="person")


def _roster_scores(world: LatentWorld, eta: np.ndarray, rng) -> tuple:
    """Full and half engagement index, its SE and the respondents per unit-wave (unit-major),
    the halves made as cxex makes them (:func:`respondent_halves`)."""
    n, waves = eta.shape
    answers = roster_answers(world, eta, rng)
    answers["half"] = respondent_halves(answers.rename(columns={"unit": "unit_id"}))
    cell = answers["unit"] * waves + answers["t"]
    grouped = answers.groupby(cell)["engagement_index"]
    full = grouped.mean().reindex(range(n * waves))
    count = grouped.size().reindex(range(n * waves), fill_value=0)
    se = (grouped.std(ddof=1) / np.sqrt(count)).reindex(range(n * waves))
    halves = [answers[answers["half"] == h].groupby(cell)["engagement_index"].mean()
              .reindex(range(n * waves)) for h in (0, 1)]
    return (full.to_numpy(), halves[0].to_numpy(), halves[1].to_numpy(), se.to_numpy(),
            count.to_numpy())


def _fresh_scores(world: LatentWorld, eta: np.ndarray, rng) -> tuple:
    """As :func:`_roster_scores`, with ``employees`` new people answering each surveyed wave,
    split into two random halves (missing in quarters without a survey)."""
    n, waves = eta.shape
    e = world.employees
    person = eta.reshape(-1).repeat(e) + rng.normal(0, world.person_sd, n * waves * e)
    centre = expected_item(person)
    items = np.clip(np.rint(centre + rng.normal(0, world.item_sd, centre.shape)), 1, 5)
    ei, ei_a, ei_b = _split_scores(items, e, _index_score, _random_halves(items, e, rng))
    person_index = (items.mean(axis=-1) - 1) / 4 * 100
    ei_se = person_index.reshape(-1, e).std(axis=1, ddof=1) / np.sqrt(e)
    answered = np.full(n * waves, e)
    unsurveyed = np.tile(np.arange(waves) % world.ex_every > 0, n)
    for values in (ei, ei_a, ei_b, ei_se):
        values[unsurveyed] = np.nan
    answered[unsurveyed] = 0
    return ei, ei_a, ei_b, ei_se, answered


def _latent_paths(world: LatentWorld, noise: dict, cohort: np.ndarray, pilot: bool):
    """Latent EX per wave and latent CX per quarter and month, from pre-drawn ``noise``;
    ``pilot`` switches the pilot's effects on (the same draws give the counterfactual)."""
    n, waves = world.units, world.waves
    eta = np.empty((n, waves))
    mu_q = np.empty((n, waves))
    shock = noise["shock0"]
    for q in range(waves):
        if q:
            shock = world.ex_shock_ar * shock + noise["shock"][:, q]
        eta[:, q] = noise["ex_unit"] + noise["ex_quarter"][q] + shock
        mu_q[:, q] = noise["cx_unit"] + noise["cx_quarter"][q] + noise["cx_unit_quarter"][:, q]
        if q:
            mu_q[:, q] += world.ex_to_cx * (eta[:, q - 1] - noise["ex_unit"])
            # staff react to what customers lived through last quarter (its three months)
            eta[:, q] += world.cx_to_ex * (mu_q[:, q - 1] + noise["month"][:, q - 1].mean(axis=1)
                                           - noise["cx_unit"])
        if pilot:
            started = (cohort > 0) & (cohort <= q)
            mu_q[:, q] += world.pilot_cx_effect * started
            eta[:, q] += world.pilot_ex_effect * started
    mu_m = (mu_q[:, :, None] + noise["month"]).reshape(n, waves * 3)
    return eta, mu_q, mu_m


def _pilot_truth(world: LatentWorld, noise: dict, cohort: np.ndarray, mu_m: np.ndarray,
                 after: np.ndarray) -> dict[str, float]:
    """The pilot's ATT on NPS: the same world drawn without the pilot, compared."""
    n, waves = after.shape
    _, _, without = _latent_paths(world, noise, cohort, pilot=False)
    expected = (expected_nps(mu_m, world) - expected_nps(without, world)).reshape(n, waves, 3)
    # the simple aggregation of group-time effects: every treated unit-quarter after its
    # start weighs the same (cohorts weighted by size), as did::aggte(type = "simple")
    att = float(expected.mean(axis=2)[after].mean())
    # the pilot's units alone (everyone starts in the end): a start group can only be
    # compared while a later one has not started, so the cells end before the last start
    comparable = after & (np.arange(waves)[None, :] < cohort.max())
    return {"pilot_att_nps": att,
            "pilot_att_nps_all_treated": float(expected.mean(axis=2)[comparable].mean())}


def _losses(world: LatentWorld, cx_change: np.ndarray, ex_change: np.ndarray, rng) -> tuple:
    """Each unit-month's share of customers lost and of staff who left: binomial draws from
    the unit's ``customer_base`` and its roster (``employees / response_rate``) at rates that
    fall with the unit's latent CX of the month and its latent EX of the quarter before
    (``cx_change`` unit × month, ``ex_change`` unit × quarter, each from the unit's level;
    the first quarter's staff follow that quarter's EX)."""
    n, months = cx_change.shape
    staff = max(int(round(world.employees / world.response_rate)), 2)
    churn_p = np.clip(world.churn_base - world.churn_per_cx * cx_change, 0.001, 0.5)
    before = np.concatenate([ex_change[:, :1], ex_change[:, :-1]], axis=1).repeat(3, axis=1)
    exit_p = np.clip(world.exit_base - world.exit_per_ex * before, 0.001, 0.5)
    return (rng.binomial(world.customer_base, churn_p) / world.customer_base,
            rng.binomial(staff, exit_p) / staff)


def generate(world: LatentWorld = LatentWorld()) -> dict:
    """One organisation drawn from ``world``.

    Returns ``quarterly`` (unit × quarter: measured engagement index (missing in quarters
    without an employee survey, ``ex_every``), NPS, CSAT (% 4–5) and CES (mean 1–7) of the
    quarter, each with its two random halves (the engagement index and NPS with their
    sampling SE), the latent values, the pilot's start quarter ``cohort`` (0 = never) and
    ``pilot_active``), ``monthly`` (unit × month:
    measured NPS with halves, revenue per customer, latent CX; the quarterly frame also has
    the monthly ``churn_rate`` and ``exit_rate`` averaged over the quarter) and ``truth`` (the planted
    links in the units the estimators see, the measurement slopes they were converted with,
    and the pilot's ATT on NPS from the same world drawn without the pilot).
    """
    rng = np.random.default_rng(world.seed)
    n, waves, months = world.units, world.waves, world.waves * 3
    ex_z, cx_z = rng.normal(0, 1, n), rng.normal(0, 1, n)
    rho = world.between_correlation
    noise = {
        "ex_unit": world.ex_mean + world.ex_between_sd * ex_z,
        "cx_unit": world.cx_mean + world.cx_between_sd * (rho * ex_z + np.sqrt(1 - rho ** 2) * cx_z),
        "ex_quarter": rng.normal(0, 1.0, waves), "cx_quarter": rng.normal(0, 0.05, waves),
        "shock0": rng.normal(0, world.ex_shock_sd, n),
        "shock": rng.normal(0, world.ex_shock_sd * np.sqrt(1 - world.ex_shock_ar ** 2), (n, waves)),
        "cx_unit_quarter": rng.normal(0, world.cx_quarter_sd, (n, waves)),
        "month": rng.normal(0, world.cx_month_sd, (n, waves, 3)),
    }
    cohort = np.zeros(n, dtype=int)
    if world.pilot_share > 0:
        chosen = rng.permutation(n)[:int(round(world.pilot_share * n))]
        cohort[chosen] = np.array(world.pilot_starts())[np.arange(len(chosen)) % 3]
    eta, _, mu_m = _latent_paths(world, noise, cohort, pilot=True)
    cx_unit = noise["cx_unit"]

    # employees: seven items per respondent, a person's spread shared by their items
    if world.people == "roster":
        ei, ei_a, ei_b, ei_se, answered = _roster_scores(world, eta, rng)
    else:
        ei, ei_a, ei_b, ei_se, answered = _fresh_scores(world, eta, rng)

    # customers: a 0-10 answer per respondent per month
    c = world.customers
    deviation = rng.normal(0, world.customer_sd, n * months * c)  # each customer's own view
    answers = np.clip(np.rint(mu_m.reshape(-1).repeat(c) + deviation), 0, 10)
    nps_m, nps_m_a, nps_m_b = _split_scores(answers, c, _nps_score,
                                            _random_halves(answers, c, rng))
    quarter_answers = answers.reshape(n, waves, 3 * c).reshape(-1)
    quarter_half = _random_halves(quarter_answers, 3 * c, rng)
    nps_q, nps_q_a, nps_q_b = _split_scores(quarter_answers, 3 * c, _nps_score, quarter_half)
    p = (quarter_answers.reshape(-1, 3 * c) >= 9).mean(axis=1)
    d = (quarter_answers.reshape(-1, 3 * c) <= 6).mean(axis=1)
    nps_q_se = 100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / (3 * c))

    revenue = (world.revenue_base + rng.normal(0, world.revenue_between_sd, n)[:, None]
               + rng.normal(0, 0.5, months)[None, :] + world.revenue_per_cx * (mu_m - cx_unit[:, None])
               + rng.normal(0, world.revenue_noise_sd, (n, months)))
    churn, exits = _losses(world, mu_m - cx_unit[:, None], eta - noise["ex_unit"][:, None], rng)
    # CSAT and customer effort from the same customers (drawn last: the draws before are
    # those of a world without them), per quarter with the NPS's halves
    other = _other_scores(world, mu_m.reshape(-1).repeat(c), deviation, rng)
    other = {name: dict(zip((name, f"{name}_a", f"{name}_b"),
                            _split_scores(values.reshape(n, waves, 3 * c).reshape(-1), 3 * c,
                                          score, quarter_half)))
             for name, (values, score) in other.items()}

    unit_ids = np.array([f"U{i:04d}" for i in range(n)])
    quarterly = pd.DataFrame({
        "unit_id": unit_ids.repeat(waves), "t": np.tile(np.arange(waves), n),
        "engagement_index": ei, "engagement_index_a": ei_a, "engagement_index_b": ei_b,
        "engagement_index_se": ei_se, "employees_answered": answered,
        "nps": nps_q, "nps_a": nps_q_a, "nps_b": nps_q_b, "nps_se": nps_q_se,
        **other["csat"], **other["ces"],
        "latent_ex": eta.reshape(-1), "latent_cx": mu_m.reshape(n, waves, 3).mean(axis=2).reshape(-1),
        "revenue_per_customer": revenue.reshape(n, waves, 3).mean(axis=2).reshape(-1),
        "churn_rate": churn.reshape(n, waves, 3).mean(axis=2).reshape(-1),
        "exit_rate": exits.reshape(n, waves, 3).mean(axis=2).reshape(-1),
        "cohort": cohort.repeat(waves),
        "pilot_active": ((cohort[:, None] > 0) & (cohort[:, None] <= np.arange(waves))).reshape(-1)})
    monthly = pd.DataFrame({
        "unit_id": unit_ids.repeat(months), "t": np.tile(np.arange(months), n),
        "nps": nps_m, "nps_a": nps_m_a, "nps_b": nps_m_b,
        "revenue_per_customer": revenue.reshape(-1), "latent_cx": mu_m.reshape(-1)})
    planted = truth(world, quarterly, monthly)
    if world.pilot_share > 0:
        planted.update(_pilot_truth(world, noise, cohort, mu_m,
                                    quarterly["pilot_active"].to_numpy().reshape(n, waves)))
    return {"quarterly": quarterly, "monthly": monthly, "truth": planted}


def truth(world: LatentWorld, quarterly: pd.DataFrame, monthly: pd.DataFrame) -> dict:
    """The planted links in measured units (per engagement-index point, per NPS point).

    ``ex_slope`` / ``cx_slope``: measured points per latent point (index per index point,
    NPS points per answer-scale point), from the exact expected answers projected on the
    latent values within units and periods; the lagged links divide and multiply by them.
    The revenue link is the slope of revenue's expectation on the expected NPS.
    """
    unit_q, t_q = quarterly["unit_id"].to_numpy(), quarterly["t"].to_numpy()
    surveyed = t_q % world.ex_every == 0  # the quarters whose engagement the estimators see
    ex_slope = _slope(expected_engagement_index(quarterly["latent_ex"].to_numpy()[surveyed], world),
                      quarterly["latent_ex"].to_numpy()[surveyed], unit_q[surveyed], t_q[surveyed])
    cx_slope = _slope(expected_nps(quarterly["latent_cx"].to_numpy(), world),
                      quarterly["latent_cx"].to_numpy(), unit_q, t_q)
    # money: the slope of revenue's expectation on the expected (noise-free) monthly NPS,
    # within units and months — what a survey with unlimited answers would find; NPS is an
    # S-shaped function of the latent answer, so this is not quite revenue_per_cx / slope
    mu = monthly["latent_cx"].to_numpy()
    unit_m, t_m = monthly["unit_id"].to_numpy(), monthly["t"].to_numpy()
    revenue_link = _slope(world.revenue_per_cx * mu, expected_nps(mu, world), unit_m, t_m)
    # the same per quarter (revenue a month averaged over the quarter, the quarter's NPS:
    # how notebook 03 estimates it), quarters of the pilot left out as there
    months = mu.reshape(-1, 3)
    keep = ~quarterly["pilot_active"].to_numpy() if "pilot_active" in quarterly else slice(None)
    quarter_link = _slope((world.revenue_per_cx * months.mean(axis=1))[keep],
                          expected_nps(months, world).mean(axis=1)[keep], unit_q[keep], t_q[keep])
    return {"settings": asdict(world), "ex_slope": ex_slope, "cx_slope": cx_slope,
            "ex_to_cx_lagged": world.ex_to_cx * cx_slope / ex_slope,
            "cx_to_ex_lagged": world.cx_to_ex * ex_slope / cx_slope,
            "revenue_per_customer_per_nps": revenue_link,
            "revenue_per_customer_per_nps_quarterly": quarter_link}
