"""The customer-level link from money to a customer's own answers (issue 36, items 2 and 5):
in a planted world of customers who answer more than once and whose spend level is higher
for the more satisfied by nature, following each customer over time and correcting a single
answer's noise with the other question of the same response recovers what satisfaction is
worth; the answer alone is pulled toward zero, and a comparison between customers overstates
it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.estimators.measurement import other_question_iv
from cxex_analysis.simulation import customer_calibration

ORGANISATIONS = 40


@pytest.fixture(scope="module")
def organisations() -> pd.DataFrame:
    return pd.DataFrame([row for seed in range(ORGANISATIONS)
                         for row in customer_calibration.customer_world_row(seed)])


@pytest.mark.calibration
def test_following_customers_with_the_other_question_finds_the_planted_link(organisations):
    found = organisations
    truth = found["truth"]
    bias = ((found["estimate"] - truth) / found["se"]).mean()
    covered = ((found["ci_low"] <= truth) & (truth <= found["ci_high"])).mean()
    assert abs(bias) <= 4 / np.sqrt(ORGANISATIONS), bias  # within 4 Monte Carlo errors
    assert covered >= 0.95 - 4 * np.sqrt(0.95 * 0.05 / ORGANISATIONS), covered
    # the answer alone is pulled far toward zero; customers compared with each other overstate
    # what satisfaction is worth (the more satisfied by nature spend more anyway)
    assert (found["estimate_uncorrected"] < 0.5 * truth).all()
    assert (found["between_customers"] > 1.5 * truth).all()


def test_too_few_repeat_answers_say_so():
    one_each = pd.DataFrame({"c": range(50), "t": 0, "y": 1.0, "x": 1.0, "z": 2.0})
    with pytest.raises(Exception, match="answered more than once"):
        other_question_iv(one_each, "y", "x", "z", "c", "t")
