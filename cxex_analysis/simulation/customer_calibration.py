"""Calibration of the customer-level money links (issue 36) on organisations with planted truths.

Two worlds of customers who answer more than once:

* :mod:`cxex_analysis.simulation.customer_world` (``customers``): built for it, 20 units of
  300 customers over two years; the revenue link within customers, estimated on frames as
  :func:`~cxex_analysis.analyses.customer_value.revenue_per_nps_point` does;
* the demo's world (``demo``, :mod:`cxex_analysis.simulation.demo_customers`): a demo
  organisation of 150 units written as files, ingested, and read back by
  :func:`~cxex_analysis.analyses.customer_value.customer_value` as notebook 03 reads it —
  the revenue link within customers and the leaving link between them.

Each row carries the estimate, its SE and interval, the truth, and the baseline an answer
taken as exact gives (``_uncorrected``: the same comparison without the other question as
instrument), in the columns :func:`cxex_analysis.simulation.calibration.table` summarises.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd
from statsmodels.api import OLS

from cxex_analysis.analyses.customer_value import contribution, customer_value
from cxex_analysis.estimators.fixed_effects import absorb_effects, twfe
from cxex_analysis.estimators.measurement import other_question_iv
from cxex_analysis.panels.customer_panels import answers_with_money
from cxex_analysis.simulation import customer_world, demo_files
from cxex_analysis.simulation.calibration import parallel
from cxex_analysis.simulation.demo_calibration import demo_organisation
from cxex_analysis.store import ingest, warehouse


def answers_with_revenue(world: dict) -> pd.DataFrame:
    """A customer world's answers with each answer's NPS contribution and the customer's
    revenue that month."""
    answers = world["answers"].assign(contribution=contribution(world["answers"]["nps"]))
    revenue = world["months"].set_index(["customer_key", "month"])["revenue"]
    answers["revenue"] = revenue.reindex(
        pd.MultiIndex.from_frame(answers[["customer_key", "month"]])).to_numpy()
    return answers


def customer_world_row(seed: int, units: int = 20) -> list[dict]:
    """One planted customer world: the revenue link within customers, corrected by the other
    question and with the answer taken as exact."""
    world = customer_world.generate(customer_world.CustomerWorld(units=units, seed=seed))
    answers = answers_with_revenue(world)
    fit = other_question_iv(answers, "revenue", "contribution", "csat", "customer_key", "month")
    again = answers[answers["customer_key"].map(answers["customer_key"].value_counts()) > 1]
    plain = twfe(again, "revenue", "contribution", "customer_key", "month")
    return [{"setting": f"customer world, {units} units", "export": "customers", "seed": seed,
             "estimand": "revenue_per_nps_point", "truth": world["truth"]["revenue_per_nps_point"],
             "between_customers": world["truth"]["between_customers"],
             **{k: fit[k] for k in ("estimate", "se", "ci_low", "ci_high")},
             **{f"{k}_uncorrected": plain[k]["contribution"]
                for k in ("se", "ci_low", "ci_high")},
             "estimate_uncorrected": plain["params"]["contribution"]}]


def demo_row(seed: int, units: int = 150) -> list[dict]:
    """One demo organisation through files, ingest and :func:`customer_value`: the revenue
    link within customers and the leaving link between them, each beside the same
    comparison with the answer taken as exact."""
    with tempfile.TemporaryDirectory(prefix="cxex-customers-") as folder, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = Path(folder) / "data"
        truth = demo_files.generate(data, demo_organisation(units, seed))["customer_value"]
        ingest.ingest(data, Path(folder) / "warehouse.duckdb")
        con = warehouse.connect(Path(folder) / "warehouse.duckdb")
        try:
            found = customer_value(con).set_index("estimand")
            answers = answers_with_money(con)
        finally:
            con.close()
    answers = answers.assign(contribution=contribution(answers["nps"])).dropna(
        subset=["contribution", "csat"])
    rows = []
    for estimand, y, within in (("revenue_per_nps_point", "revenue", True),
                                ("churn_per_nps_point", "left", False)):
        if estimand not in found.index:
            continue
        row = found.loc[estimand]
        kept = answers.dropna(subset=[y])
        if within:
            kept = kept[kept["customer_key"].map(kept["customer_key"].value_counts()) > 1]
        rows.append({"setting": f"demo world, {units} units", "export": "demo", "seed": seed,
                     "estimand": estimand, "truth": truth[estimand],
                     "between_customers": truth["between_customers"] if within else float("nan"),
                     **{k: float(row[k]) for k in ("estimate", "se", "ci_low", "ci_high")},
                     **_answer_as_exact(kept, y, within)})
    return rows


def _answer_as_exact(answers: pd.DataFrame, y: str, within: bool) -> dict:
    """The baseline: ``y`` on the answer's contribution taken as exact, within customers and
    months, or (``within`` False) months only, clustered by customer."""
    if within:
        fit = twfe(answers, y, "contribution", "customer_key", "month")
        found = {k: fit[k]["contribution"] for k in ("se", "ci_low", "ci_high")}
        return {"estimate_uncorrected": fit["params"]["contribution"],
                **{f"{k}_uncorrected": v for k, v in found.items()}}
    values = absorb_effects(answers[[y, "contribution"]], [answers["month"].astype(str)])
    fit = OLS(values[:, 0], values[:, 1]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(answers["customer_key"])[0]})
    low, high = fit.conf_int()[0]
    return {"estimate_uncorrected": float(fit.params[0]), "se_uncorrected": float(fit.bse[0]),
            "ci_low_uncorrected": float(low), "ci_high_uncorrected": float(high)}


def _replicate(job: tuple) -> list[dict]:
    kind, seed = job
    return customer_world_row(seed) if kind == "customers" else demo_row(seed)


def run(reps: int = 200, demo_reps: int = 40, first_seed: int = 7000,
        workers: int = 2) -> pd.DataFrame:
    """``reps`` customer worlds and ``demo_reps`` demo organisations (seeds ``first_seed`` …),
    in parallel."""
    jobs = ([("customers", first_seed + r) for r in range(reps)]
            + [("demo", first_seed + r) for r in range(demo_reps)])
    return pd.DataFrame([row for part in parallel(_replicate, jobs, workers, chunksize=1)
                         for row in part])
