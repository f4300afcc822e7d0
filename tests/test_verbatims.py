"""Verbatims: sentiment against hand labels, language, planted themes recovered."""

from __future__ import annotations

import pandas as pd
import pytest

from cxex_analysis.analyses import verbatims
from cxex_analysis.estimators import sentiment
from cxex_analysis.store import warehouse

# Written for this test (not the demo's templates), labelled by hand before scoring.
HAND_LABELLED = [
    ("The advisor was patient and solved everything, thank you", "positive"),
    ("Absolutely terrible, I will never shop here again", "negative"),
    ("Great service from start to finish", "positive"),
    ("I was on hold for an hour and then cut off", "negative"),
    ("The new app is confusing and keeps logging me out", "negative"),
    ("Delivery arrived early and well packed", "positive"),
    ("Nobody replied to my emails for two weeks", "negative"),
    ("Very helpful young man at the counter", "positive"),
    ("Rude manager, made me feel stupid", "negative"),
    ("Quick and easy, exactly what I needed", "positive"),
    ("My refund still has not arrived", "negative"),
    ("Lovely store, friendly people", "positive"),
    ("The queue was huge and only one till open", "negative"),
    ("Sorted in five minutes, brilliant", "positive"),
    ("Charged twice and nobody can explain why", "negative"),
    ("I love the loyalty scheme", "positive"),
    ("The website crashed while I was paying", "negative"),
    ("Staff went out of their way to help my mother", "positive"),
    ("Waited three days for a call back that never came", "negative"),
    ("Fantastic, thank you so much", "positive"),
    ("Disappointed with the quality this time", "negative"),
    ("Clear explanation and a fair price", "positive"),
    ("The system was down again so they could not help", "negative"),
    ("Happy with the outcome", "positive"),
]


def test_sentiment_agrees_with_hand_labels():
    frame = pd.DataFrame(HAND_LABELLED, columns=["comment", "label"])
    scored = sentiment.score(frame["comment"])
    agreement = (scored["label"] == frame["label"]).mean()
    # stated agreement on this sample: at least 20 of 24 (83%)
    assert agreement >= 20 / 24, scored.assign(truth=frame["label"], text=frame["comment"])


def test_non_english_comments_are_reported_not_scored():
    comments = pd.Series(["El servicio fue muy lento y nadie me ayudó",
                          "Le personnel était très aimable, merci beaucoup",
                          "Die Wartezeit war viel zu lang", "The staff were great"])
    scored = sentiment.score(comments)
    assert list(scored["language"]) == ["es", "fr", "de", "en"]
    assert scored["label"].tolist()[:3] == ["not scored"] * 3


@pytest.fixture(scope="module")
def themed(demo_warehouse):

    con = warehouse.connect(demo_warehouse)
    try:
        customers = con.execute("SELECT response_id, unit_id, comment, nps FROM customer_survey").df()
        employees = con.execute("SELECT response_id, unit_id, comment FROM employee_survey").df()
    finally:
        con.close()
    return verbatims.themes_frame(customers, employees, n_themes=9)


def test_planted_themes_are_recovered(themed, demo_dir, truth):
    planted = pd.read_csv(demo_dir / truth["comments"]["themes_file"])
    joined = themed.merge(planted, on="response_id")
    joined = joined[(joined["theme_id"] >= 0) & (joined["theme_y"] != "non_english")]
    purity = joined.groupby("theme_id")["theme_y"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(joined)
    assert purity >= 0.75, purity
    # the planted non-English comments are found as such
    found = set(themed.loc[themed["language"] != "en", "response_id"])
    assert set(truth["comments"]["non_english_response_ids"]) <= found


def test_theme_statistics_have_intervals(themed):
    diff = verbatims.detractor_vs_promoter(themed)
    assert len(diff) and diff[["ci_low", "ci_high", "n"]].notna().all().all()
    assert (diff["ci_low"] <= diff["estimate"]).all() and (diff["estimate"] <= diff["ci_high"]).all()
    summary = verbatims.sentiment_summary(themed)
    assert set(summary["outcome"]) == {"customer_comments", "employee_comments"}


def test_examples_never_quote_employees_of_units_under_the_comment_threshold():
    comments = pd.DataFrame({
        "source": ["employee", "employee", "customer"],
        "unit_id": ["SMALL", "BIG", "SMALL"],
        "response_id": ["R1", "R2", "C1"],
        "comment": ["secret from a team of three", "said in a big unit", "a customer, e-mail a@b.co"],
        "theme_id": [0, 0, 0], "theme": ["t", "t", "t"], "label": ["negative"] * 3})
    shown = verbatims.examples(comments, allowed_units={"BIG"}, per_theme=5)
    assert "secret from a team of three" not in set(shown["comment"])
    assert "said in a big unit" in set(shown["comment"])
    assert "a customer, e-mail [email]" in set(shown["comment"])


def test_theme_labels_never_carry_pii(themed):
    labels = " ".join(themed["theme"].unique())
    assert "07700" not in labels and "example" not in labels and "@" not in labels
    assert not any(ch.isdigit() for ch in labels)


def test_theme_share_by_region_and_quarter(themed, demo_warehouse):

    con = warehouse.connect(demo_warehouse)
    try:
        shares = verbatims.theme_share(con, themed, "region", "customer")
    finally:
        con.close()
    assert len(shares) and shares["subject"].str.match(r"region=\w+; quarter=\d{4}-\d{2}-01").all()
    totals = shares.groupby(["region", "quarter"])["estimate"].sum()
    assert totals.to_numpy() == pytest.approx(100.0)  # each group-quarter's themes add up to 100%
    assert (shares["ci_low"] <= shares["estimate"]).all() and (shares["estimate"] <= shares["ci_high"]).all()
