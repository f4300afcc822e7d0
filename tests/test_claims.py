"""Published claims tested on the organisation's own data: the verdict rule, and the
customer-level "five times more likely to recommend" ratio recovered from planted data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from cxex_analysis.analyses import claims
from cxex_analysis.analyses.claims_result import ClaimTests
from cxex_analysis.analyses.customer_value import customer_value
from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators.claim_verdicts import EVIDENCE, VERDICTS, verdict
from cxex_analysis.estimators.fixed_effects import absorb_effects
from cxex_analysis.estimators.metric_strength import metric_strength
from cxex_analysis.estimators.promoter_ratio import promoter_ratios
from cxex_analysis.estimators.value_model import heskett_profit_change
from cxex_analysis.results import read_json, tidy, write_json


@pytest.mark.parametrize(("interval", "claimed", "null", "expected"), [
    ((3.8, 6.1), (5, 5), 1, "supported"),          # reaches the claimed 5x, excludes no effect
    ((1.9, 2.6), (5, 5), 1, "weaker here"),        # an effect, but about 2x, not 5x
    ((0.8, 2.6), (5, 5), 1, "weaker here"),        # short of 5x, no effect not ruled out
    ((182.1, 392.5), (5, 5), 1, "stronger here"),  # a drawn organisation: far more than 5x
    ((1.5, 9.0), (5, 5), 1, "consistent with the claim"),  # reaches 5x, spans a factor of 6
    ((3.0, 8.5), (5, 5), 1, "supported"),          # spans a factor of 2.8
    ((3.0, 9.5), (5, 5), 1, "consistent with the claim"),  # spans a factor of 3.2
    ((0.2, 0.5), (0.33, 0.33), 0, "supported"),    # r: far end 2.5 times the near end
    ((0.1, 0.5), (0.33, 0.33), 0, "consistent with the claim"),  # 5 times
    ((-0.5, -0.05), (-math.inf, 0.0), 0, "supported"),  # "lowers": any width below 0
    ((20.0, 200.0), (25, 85), 0, "consistent with the claim"),  # reaches 25-85%, and 200%
    ((0.4, 0.8), (5, 5), 1, "contradicted"),       # the other way
    ((0.7, 6.0), (5, 5), 1, "cannot tell"),        # 5x and no effect both inside
    ((float("nan"), float("nan")), (5, 5), 1, "cannot tell"),
    ((30.0, 60.0), (25, 85), 0, "supported"),      # inside a claimed range
    ((90.0, 120.0), (25, 85), 0, "stronger here"),  # beyond it
    ((5.0, 20.0), (25, 85), 0, "weaker here"),      # short of it
    ((-0.4, 0.7), (0.0, math.inf), 0, "cannot tell"),  # "raises": both ways possible
    ((-0.2, -0.05), (0.0, math.inf), 0, "contradicted"),  # "raises", but it lowers
    ((-0.4, -0.1), (-math.inf, 0.0), 0, "supported"),      # "lowers", and it does
])
def test_the_verdict_rule(interval, claimed, null, expected):
    assert verdict(*interval, claimed, null) == expected


def test_a_claim_straddling_the_null_is_refused():
    with pytest.raises(ParameterError, match="one side of the null"):
        verdict(0.5, 2.0, (0.5, 2.0), 1)


def test_the_risk_ratio_interval_is_katz_on_the_log_scale():
    """60 of 100 good-experience customers promoters, 10 of 100 poor: risk ratio 6, log SE
    √(1/60 − 1/100 + 1/10 − 1/100) = 0.3109 (Katz et al. 1978), 95% CI 3.26 to 11.04; odds
    ratio 13.5, Woolf SE √(1/60 + 1/40 + 1/10 + 1/90)."""
    customers = pd.DataFrame({"nps": [10] * 60 + [5] * 40 + [9] * 10 + [3] * 90,
                              "csat": [5] * 100 + [1] * 100})
    rows = promoter_ratios(customers, by=None).set_index("estimand")
    rr, odds = rows.loc["promoter_risk_ratio"], rows.loc["promoter_odds_ratio"]
    se = math.sqrt(1 / 60 - 1 / 100 + 1 / 10 - 1 / 100)
    assert rr["estimate"] == pytest.approx(6.0)
    assert rr["ci_low"] == pytest.approx(6 * math.exp(-1.959964 * se), rel=1e-5)
    assert rr["ci_high"] == pytest.approx(6 * math.exp(1.959964 * se), rel=1e-5)
    assert (round(rr["ci_low"], 2), round(rr["ci_high"], 2)) == (3.26, 11.04)
    woolf = math.sqrt(1 / 60 + 1 / 40 + 1 / 10 + 1 / 90)
    assert odds["estimate"] == pytest.approx(13.5)
    assert odds["ci_low"] == pytest.approx(13.5 * math.exp(-1.959964 * woolf), rel=1e-5)
    assert rr["n"] == 200 and rr["promoters_good"] == pytest.approx(0.6)


def _planted(rng, n: int, promoter_good: float, promoter_poor: float) -> pd.DataFrame:
    """Customers with CSAT 1–5 (middle answers too), promoters planted by experience."""
    csat = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.1, 0.15, 0.2, 0.3, 0.25])
    chance = np.where(csat >= 4, promoter_good, np.where(csat <= 2, promoter_poor, 0.3))
    promoter = rng.random(n) < chance
    nps = np.where(promoter, rng.choice([9, 10], size=n), rng.integers(0, 9, size=n))
    return pd.DataFrame({"nps": nps, "csat": csat,
                         "channel": rng.choice(["phone", "store", "web"], size=n)})


def test_a_planted_five_times_ratio_is_recovered_and_supported():
    rng = np.random.default_rng(7)
    customers = _planted(rng, 6000, promoter_good=0.55, promoter_poor=0.11)  # 5x
    rows = promoter_ratios(customers)
    overall = rows[(rows["subject"] == "all") & (rows["estimand"] == "promoter_risk_ratio")].iloc[0]
    assert overall["ci_low"] < 5.0 < overall["ci_high"]
    assert overall["estimate"] == pytest.approx(5.0, rel=0.15)
    assert overall["term"] == "csat_top2_vs_bottom2"
    assert verdict(overall["ci_low"], overall["ci_high"], (5, 5), 1) == "supported"
    channels = rows[rows["subject"].str.startswith("channel=")
                    & (rows["estimand"] == "promoter_risk_ratio")]
    assert sorted(channels["subject"]) == ["channel=phone", "channel=store", "channel=web"]
    assert (channels["n"].sum() == overall["n"])


def test_a_twice_as_likely_organisation_does_not_support_five_times():
    rng = np.random.default_rng(8)
    customers = _planted(rng, 6000, promoter_good=0.40, promoter_poor=0.20)  # 2x
    rows = promoter_ratios(customers, by=None).set_index("estimand")
    rr = rows.loc["promoter_risk_ratio"]
    assert rr["ci_low"] < 2.0 < rr["ci_high"]
    assert verdict(rr["ci_low"], rr["ci_high"], (5, 5), 1) == "weaker here"


def test_too_few_poor_experiences_give_no_ratio():
    customers = pd.DataFrame({"nps": [10] * 50 + [2] * 5, "csat": [5] * 50 + [1] * 5})
    assert promoter_ratios(customers, by=None).empty


def _churn_driven_by_effort(rng, units: int = 150, quarters: int = 8) -> tuple[pd.DataFrame, dict]:
    """A world where customers answer surveys: per unit-quarter a latent ease of dealing with
    the unit drives churn (0.5 a within-unit SD), satisfaction goes with ease (correlation
    0.5) and adds a little (0.1), loyalty follows both weakly. Each unit has its own level of
    each score. Customers answer: CES 1-7 (binomial around the latent ease; asked of 4
    customers a quarter, 2 per random half), CSAT top-2-box and NPS promoter / detractor
    (asked of 80). Churn follows the latent experience, not the answers.

    The truth in the estimator's units is the score a unit-quarter would get from every
    customer (its expectation given the latent experience): with unit and quarter effects
    removed, that score's effect per SD on churn and share of churn's variance."""
    n = units * quarters
    unit, t = np.repeat(np.arange(units), quarters), np.tile(np.arange(quarters), units)
    ease = rng.normal(size=n)
    satisfaction = 0.5 * ease + np.sqrt(0.75) * rng.normal(size=n)
    loyalty = 0.2 * ease + 0.2 * satisfaction + rng.normal(size=n)
    churn = (rng.normal(0, 3, units)[unit] + rng.normal(0, 1, quarters)[t] + 0.5 * ease
             + 0.1 * satisfaction + rng.normal(0, 0.5, n))
    level = {m: rng.normal(0, 0.5, units)[unit] for m in ("ces", "csat", "nps")}
    p_easy = expit(0.3 + 0.25 * ease + level["ces"])
    p_top = expit(0.5 + 0.6 * satisfaction + level["csat"])
    p_promoter = expit(-0.5 + 0.6 * loyalty + level["nps"])
    p_detractor = np.minimum(expit(-1.0 - 0.6 * loyalty - level["nps"]), 1 - p_promoter)
    frame = pd.DataFrame({"unit_id": unit, "t": t, "churn_rate": churn})
    for half in "ab":
        frame[f"ces_{half}"] = 1 + rng.binomial(6, p_easy[:, None], size=(n, 2)).mean(axis=1)
        frame[f"csat_{half}"] = 100 * rng.binomial(1, p_top[:, None], size=(n, 40)).mean(axis=1)
        u = rng.random((n, 40))
        frame[f"nps_{half}"] = 100 * ((u < p_promoter[:, None]).mean(axis=1)
                                      - (u > 1 - p_detractor[:, None]).mean(axis=1))
    true = {"ces": 1 + 6 * p_easy, "csat": 100 * p_top, "nps": 100 * (p_promoter - p_detractor)}
    values = absorb_effects(frame[["churn_rate"]].assign(**true), [frame["unit_id"], frame["t"]])
    dof = n - units - quarters + 1
    truth = {}
    for i, metric in enumerate(true, 1):
        cov, var = (values[:, 0] * values[:, i]).sum() / dof, (values[:, i] ** 2).sum() / dof
        truth[metric] = {"effect": cov / np.sqrt(var),
                         "share": 100 * cov ** 2 / (var * (values[:, 0] ** 2).sum() / dof)}
    return frame, truth


def test_the_metric_that_drives_churn_is_ranked_first_despite_its_noise():
    frame, truth = _churn_driven_by_effort(np.random.default_rng(3))

    def within(column: str) -> pd.Series:
        return frame[column] - frame.groupby("unit_id")[column].transform("mean")

    naive = {m: np.corrcoef(within("churn_rate"),
                            (within(f"{m}_a") + within(f"{m}_b")) / 2)[0, 1] ** 2
             for m in ("ces", "csat")}
    assert naive["csat"] > naive["ces"]  # CES's few answers would mislead a plain correlation
    rows = metric_strength(frame, "churn_rate", ["csat", "ces", "nps"], draws=400)
    shares = rows[rows["estimand"] == "metric_share_explained"].set_index("subject")
    effects = rows[rows["estimand"] == "metric_effect_per_sd"].set_index("subject")
    assert shares["estimate"].idxmax() == "ces"
    for metric in ("ces", "csat", "nps"):
        assert shares.loc[metric, "ci_low"] < truth[metric]["share"] < shares.loc[metric, "ci_high"]
        assert effects.loc[metric, "ci_low"] < truth[metric]["effect"] < effects.loc[metric, "ci_high"]
    pair = rows[(rows["estimand"] == "metric_share_difference")
                & (rows["subject"] == "csat-ces")].iloc[0]
    assert pair["ci_high"] < 0 and pair["p_holm"] < 0.05  # CES clearly ahead of CSAT


def test_a_metric_whose_change_is_all_noise_gets_no_share():
    """Planted: NPS halves carry no real change within units (pure noise around the unit's
    level): its share and effect are not estimated, and say why; the others still are."""
    frame, _ = _churn_driven_by_effort(np.random.default_rng(5))
    rng = np.random.default_rng(7)  # (a one-sided 95% check: 1 noise draw in 20 passes it)
    level = frame.groupby("unit_id")["nps_a"].transform("mean")
    frame["nps_a"] = level + rng.normal(0, 1, len(frame))
    frame["nps_b"] = level + rng.normal(0, 1, len(frame))
    rows = metric_strength(frame, "churn_rate", ["csat", "ces", "nps"], draws=300)
    nps_rows = rows[rows["subject"] == "nps"]
    assert nps_rows["estimate"].isna().all()
    assert nps_rows["method"].str.contains("cannot be told from survey noise").all()
    assert rows[rows["subject"] == "ces"]["estimate"].notna().all()
    assert set(rows.loc[rows["estimand"] == "metric_share_difference", "subject"]) == {"csat-ces"}


def test_the_ledger_reads_the_poll_claim_from_the_metric_comparison():
    """Where CSAT is planted as the driver of churn (the effort data renamed), the poll's
    claim that CSAT is the most actionable metric is supported; where CES is, it is not."""
    frame, _ = _churn_driven_by_effort(np.random.default_rng(3))
    swapped = frame.rename(columns={"ces_a": "csat_a", "ces_b": "csat_b",
                                    "csat_a": "ces_a", "csat_b": "ces_b"})
    verdicts = {}
    for name, data in (("csat drives", swapped), ("ces drives", frame)):
        rows = metric_strength(data, "churn_rate", ["csat", "ces", "nps"], draws=300)
        row = claims.ledger(tidy([]), ClaimTests(metrics=rows)).set_index("subject").loc[
            "most_actionable_metric"]
        verdicts[name] = (row["verdict"], row["term"], row["evidence"])
    assert verdicts["csat drives"] == ("supported", "csat_minus_ces_within_unit",
                                       "within-unit panel")
    assert verdicts["ces drives"][0] in ("weaker here", "contradicted")


def test_a_poll_claim_csat_cannot_test_says_why_in_the_ledger():
    """CSAT's change within units all noise (planted): the claim is not tested, and the ledger
    says why — CSAT's own reason, not "needs … CSAT, CES and NPS", which the data have."""
    frame, _ = _churn_driven_by_effort(np.random.default_rng(5))
    rng = np.random.default_rng(7)
    level = frame.groupby("unit_id")["csat_a"].transform("mean")
    frame["csat_a"] = level + rng.normal(0, 1, len(frame))
    frame["csat_b"] = level + rng.normal(0, 1, len(frame))
    rows = metric_strength(frame, "churn_rate", ["csat", "ces", "nps"], draws=300)
    row = claims.ledger(tidy([]), ClaimTests(metrics=rows)).set_index("subject").loc[
        "most_actionable_metric"]
    assert row["verdict"] == "cannot tell"
    assert row["method"].startswith("not tested: CSAT could not be compared: its change within "
                                    "units cannot be told from survey noise"), row["method"]


def test_heskett_arithmetic_and_its_interval(con):
    """20% annual churn: 5 more points of retention leave 15%, so a steady-state customer base
    (inflow / churn) grows by 20/15 - 1 = 33.3%. On the demo, the interval comes from a
    bootstrap over units and covers the point estimate."""
    assert float(heskett_profit_change(1 - 0.8 ** (1 / 12))) == pytest.approx(1 / 3)
    assert float(heskett_profit_change(1 - 0.96 ** (1 / 12))) == float("inf")  # 4% churn: none left
    row = claims.retention_profit(con).iloc[0]
    assert row["ci_low"] < row["estimate"] < row["ci_high"] and row["n"] >= 10


def test_between_units_the_lasting_levels_are_compared():
    """Planted: each unit's lasting level of ease drives its lasting churn (quarters add only
    noise), so within units nothing is measurable and between units CES comes first."""
    rng = np.random.default_rng(11)
    units, quarters = 120, 6
    unit = np.repeat(np.arange(units), quarters)
    ease = rng.normal(size=units)
    satisfaction = 0.5 * ease + np.sqrt(0.75) * rng.normal(size=units)
    frame = pd.DataFrame({"unit_id": unit, "t": np.tile(np.arange(quarters), units),
                          "churn_rate": (0.5 * ease)[unit] + rng.normal(0, 0.3, len(unit))})
    for name, level in (("ces", ease), ("csat", satisfaction)):
        for half in "ab":
            frame[f"{name}_{half}"] = level[unit] + rng.normal(0, 1.0, len(unit))
    within = metric_strength(frame, "churn_rate", ["csat", "ces"], draws=300)
    assert within.loc[within["estimand"] == "metric_share_explained", "estimate"].isna().all()
    between = metric_strength(frame, "churn_rate", ["csat", "ces"], draws=300, design="between")
    shares = between[between["estimand"] == "metric_share_explained"].set_index("subject")
    assert shares["estimate"].idxmax() == "ces" and (between["term"] == "between_unit").all()
    assert between["n"].iloc[0] == units


def test_a_claims_verdict_and_evidence_travel_in_results_json(tmp_path):
    rows = tidy([{"analysis": "claims", "estimand": "claim", "subject": "recommend_5x",
                  "outcome": "promoter", "term": "csat_top2_vs_bottom2", "estimate": 2.1,
                  "ci_low": 1.8, "ci_high": 2.5, "confidence": 0.95, "n": 900,
                  "method": "risk_ratio_katz_log", "verdict": "weaker here",
                  "evidence": "between-customer correlation"},
                 {"analysis": "linkage", "estimand": "top_cx_engagement_odds_ratio",
                  "subject": "all", "estimate": 3.0, "n": 10, "method": "fisher",
                  "verdict": "lower than claimed"}])
    path = write_json(rows, tmp_path / "results.json")
    back = read_json(path)
    claim = back[back["analysis"] == "claims"].iloc[0]
    assert (claim["verdict"], claim["evidence"]) == ("weaker here", "between-customer correlation")
    other = json.loads(path.read_text())[1]
    assert "verdict" not in other  # other rows keep exactly the schema keys, whatever they carry


def test_the_demo_ledger_lists_every_claim_with_a_verdict_and_an_evidence_grade(con):
    """On the demo organisation (resolved-first-time customers planted happier): every claim
    gets a row; those the warehouse alone can test have an estimate and interval; the ones
    other reports test say what they need when their rows are missing."""
    tested = claims.tested_here(con)
    table = claims.ledger(tidy([]), tested).set_index("subject")
    assert list(table.index) == [c.id for c in claims.CLAIMS]
    assert set(table["verdict"]) <= set(VERDICTS) and set(table["evidence"]) <= set(EVIDENCE)
    first_time = table.loc["right_first_time"]
    assert first_time["ci_low"] > 0 and first_time["verdict"] == "supported"
    recommend = table.loc["recommend_5x"]
    assert recommend["ci_low"] < recommend["estimate"] < recommend["ci_high"]
    assert recommend["term"] == "csat_top2_vs_bottom2" and recommend["n"] > 1000
    assert table.loc["roi_above_9000pct", "method"].startswith("not tested: needs a pilot")
    assert table.loc["roi_above_9000pct", "verdict"] == "cannot tell"
    # what notebook 03 recorded tests that promoters stay (issue 36); without it, it says so
    assert table.loc["promoters_stay", "method"].startswith("not tested: needs customer answers")
    recorded = customer_value(con)
    stays = claims.ledger(recorded, tested).set_index("subject").loc["promoters_stay"]
    assert stays["verdict"] == "supported" and stays["ci_low"] > 0
    assert stays["report"] == "03_return_on_experience"
