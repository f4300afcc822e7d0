"""Verbatims: sentiment, language and themes of customer and employee comments.

* **Sentiment**: VADER (Hutto & Gilbert 2014, ``vaderSentiment``: a lexicon that ships in
  its wheel, runs offline on the CPU), with a small service-domain addition to the lexicon
  (:data:`SERVICE_LEXICON`: waiting, queues, crashes, "sorted" … which general lexicons score
  as neutral). Compound score −1 … 1; label negative below −0.05, positive above 0.05.
* **Language**: comments whose words are mostly not English stop words are checked with
  ``langdetect`` (profiles ship in its wheel); non-English comments are reported and not
  scored, rather than scored wrongly.
* **Themes**: TF-IDF and non-negative matrix factorisation (scikit-learn) fitted on customer
  and employee comments together, so both share one theme space; each theme is labelled by
  its top words, and each comment gets its strongest theme.

Everything here returns data; what reaches a report goes through
:mod:`cxex_analysis.privacy` (PII masked, text escaped, comment thresholds).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from .errors import check_confidence
from .results import tidy

#: Service words general-purpose lexicons miss (valence on VADER's −4 … 4 scale).
SERVICE_LEXICON = {
    "wait": -1.2, "waited": -1.5, "waiting": -1.3, "queue": -1.2, "queues": -1.2, "slow": -1.6,
    "crash": -2.0, "crashed": -2.0, "crashing": -2.0, "down": -1.0, "unresolved": -2.0,
    "ridiculous": -2.0, "nuisance": -1.8, "dismissive": -2.0, "expensive": -1.5,
    "unsustainable": -2.2, "quick": 1.5, "quickly": 1.3, "fast": 1.5, "sorted": 1.5,
    "resolved": 1.6, "fixed": 1.4, "smoothly": 1.6, "instantly": 1.3, "brilliant": 3.0,
    "lovely": 2.5, "supportive": 2.0, "recognised": 1.6, "appreciated": 2.0,
}
#: VADER's own cut-offs for the compound score.
POSITIVE, NEGATIVE = 0.05, -0.05

_ENGLISH = frozenset(
    "the a an and or but to of in on for with was were is are be been it this that my our we "
    "i you they he she not no at by from as so very too have has had do did get got can could "
    "would will there their them me us your all any again still".split())
_WORD = re.compile(r"[a-zA-Z\u00C0-\u024F']+")


@functools.lru_cache(maxsize=1)
def analyzer():
    """The VADER analyzer with the service lexicon added (built once per process)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    model = SentimentIntensityAnalyzer()
    model.lexicon.update(SERVICE_LEXICON)
    return model


def language(text: str) -> str:
    """``'en'`` for English, else the ISO code langdetect finds (``'unknown'`` if none)."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    if not words:
        return "unknown"
    if sum(w in _ENGLISH for w in words) / len(words) >= 0.15 or len(words) < 3:
        return "en"
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    try:
        return detect(text)
    except LangDetectException:
        return "unknown"


def score(comments: pd.Series) -> pd.DataFrame:
    """Language, compound sentiment and label for each comment (identical texts scored once)."""
    texts = comments.fillna("").astype(str)
    unique = pd.Series(texts.unique())
    model = analyzer()
    lang = unique.map(language)
    compound = [model.polarity_scores(t)["compound"] if code == "en" and t.strip() else np.nan
                for t, code in zip(unique, lang)]
    table = pd.DataFrame({"text": unique, "language": lang, "sentiment": compound})
    table["label"] = np.select([table["sentiment"] > POSITIVE, table["sentiment"] < NEGATIVE,
                                table["sentiment"].notna()],
                               ["positive", "negative", "neutral"], "not scored")
    out = pd.DataFrame({"text": texts}).merge(table, on="text", how="left")
    out.index = comments.index
    return out[["language", "sentiment", "label"]]


def fit_themes(texts: pd.Series, n_themes: int = 9, seed: int = 0, top_words: int = 4):
    """TF-IDF + NMF themes; returns (labels per theme, theme index per text, weight per text)."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    clean = texts.fillna("").astype(str)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop_words = sorted(ENGLISH_STOP_WORDS | {"email", "phone", "card"})  # the PII placeholders
    vectorizer = TfidfVectorizer(stop_words=stop_words, min_df=min(5, max(1, len(clean) // 50)),
                                 max_df=0.3, sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    nothing = ([], np.full(len(clean), -1), np.zeros(len(clean)))
    if clean.str.strip().eq("").all():
        return nothing
    try:
        matrix = vectorizer.fit_transform(clean)
    except ValueError:  # too few comments, or no word left after the stop words: no themes
        return nothing
    n_themes = min(n_themes, *matrix.shape)
    if n_themes < 1:
        return nothing
    model = NMF(n_components=n_themes, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    labels = [" / ".join(vocabulary[np.argsort(-component)[:top_words]])
              for component in model.components_]
    theme = weights.argmax(axis=1)
    strength = weights.max(axis=1)
    return labels, np.where(strength > 0, theme, -1), strength


def themes_frame(customers: pd.DataFrame, employees: pd.DataFrame, n_themes: int = 9,
                 seed: int = 0) -> pd.DataFrame:
    """One row per comment of either source: source, unit, theme id and label, sentiment."""
    parts = []
    for source, frame in (("customer", customers), ("employee", employees)):
        if frame is None or frame.empty:
            continue
        part = frame.dropna(subset=["comment"])
        part = part[part["comment"].str.strip() != ""]
        parts.append(pd.DataFrame({"source": source, "response_id": part["response_id"],
                                   "unit_id": part["unit_id"], "comment": part["comment"],
                                   "nps": part["nps"] if "nps" in part else np.nan}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("nps", "sentiment") else object)
                             for c in ("source", "response_id", "unit_id", "comment", "nps",
                                       "language", "sentiment", "label", "theme_id", "theme")})
    comments = pd.concat(parts, ignore_index=True)
    scored = score(comments["comment"])
    comments = comments.join(scored)
    english = comments["language"] == "en"
    # themes are learnt from masked text: a theme's label must never carry an e-mail address
    # or a number someone wrote in a comment
    from .privacy import mask_pii

    masked = comments.loc[english, "comment"].map(mask_pii)
    labels, theme, strength = fit_themes(masked, n_themes, seed)
    comments["theme_id"] = -1
    comments.loc[english, "theme_id"] = theme
    comments["theme"] = comments["theme_id"].map(dict(enumerate(labels))).fillna("(no theme)")
    return comments


def theme_summary(comments: pd.DataFrame) -> pd.DataFrame:
    """Per theme: its words, comments by source, share negative."""
    english = comments[comments["theme_id"] >= 0]
    table = english.groupby(["theme_id", "theme"]).agg(
        customer_comments=("source", lambda s: int((s == "customer").sum())),
        employee_comments=("source", lambda s: int((s == "employee").sum())),
        share_negative=("label", lambda s: float((s == "negative").mean() * 100))).reset_index()
    return table.sort_values("customer_comments", ascending=False).reset_index(drop=True)


def detractor_vs_promoter(comments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Which themes detractors (NPS 0–6) mention more than promoters (9–10), with intervals.

    Difference of two proportions (percentage points) with Newcombe's hybrid Wilson interval;
    p-values from the two-proportion z test, Holm-adjusted in ``p_value_holm``.
    """
    from scipy import stats
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import confint_proportions_2indep

    confidence = check_confidence(confidence)
    rated = comments[(comments["source"] == "customer") & comments["nps"].notna()
                     & (comments["theme_id"] >= 0)]
    detractors = rated[rated["nps"] <= 6]
    promoters = rated[rated["nps"] >= 9]
    rows = []
    for (theme_id, theme), _ in rated.groupby(["theme_id", "theme"]):
        a, n1 = int((detractors["theme_id"] == theme_id).sum()), len(detractors)
        b, n2 = int((promoters["theme_id"] == theme_id).sum()), len(promoters)
        if n1 == 0 or n2 == 0:
            continue
        low, high = confint_proportions_2indep(a, n1, b, n2, method="newcomb",
                                               alpha=1 - confidence)
        p1, p2 = a / n1, b / n2
        pooled = (a + b) / (n1 + n2)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(2 * stats.norm.sf(abs(p1 - p2) / se0)) if se0 > 0 else np.nan
        rows.append({"analysis": "text", "estimand": "theme_share_detractors_minus_promoters",
                     "subject": "all", "outcome": "customer_comments", "term": theme,
                     "estimate": 100 * (p1 - p2), "se": 100 * np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2),
                     "ci_low": 100 * low, "ci_high": 100 * high, "p_value": p,
                     "confidence": confidence, "n": n1 + n2,
                     "method": "difference_of_proportions_newcombe (n = comments)"})
    out = tidy(rows)
    out["p_value_holm"] = (multipletests(out["p_value"].fillna(1), method="holm")[1]
                           if len(out) else np.nan)
    return out


def dual_view(comments: pd.DataFrame, min_comments: int = 5, confidence: float = 0.95) -> pd.DataFrame:
    """Per theme: across units, does the share of employee comments on it go with the share of
    customer comments on it? (Pearson r with Fisher interval; units with enough of both.)"""
    from scipy import stats

    from .metrics import correlation_interval

    confidence = check_confidence(confidence)
    themed = comments[comments["theme_id"] >= 0]
    counts = themed.groupby(["unit_id", "source"]).size().unstack(fill_value=0)
    keep = counts[(counts.get("customer", 0) >= min_comments) & (counts.get("employee", 0) >= min_comments)].index
    rows = []
    for (theme_id, theme), _ in themed.groupby(["theme_id", "theme"]):
        shares = (themed[themed["unit_id"].isin(keep)]
                  .assign(hit=lambda f, theme_id=theme_id: f["theme_id"] == theme_id)
                  .groupby(["unit_id", "source"])["hit"].mean().unstack())
        if shares.shape[0] < 6 or not {"customer", "employee"} <= set(shares.columns):
            continue
        shares = shares.dropna()
        if shares["customer"].std() == 0 or shares["employee"].std() == 0:
            continue
        r, p = stats.pearsonr(shares["employee"], shares["customer"])
        low, high = correlation_interval(float(r), len(shares), confidence)
        rows.append({"analysis": "text", "estimand": "theme_employee_customer_correlation",
                     "subject": "all", "outcome": "comments", "term": theme, "estimate": float(r),
                     "se": np.nan, "ci_low": low, "ci_high": high,
                     "p_value": float(p), "confidence": confidence, "n": len(shares),
                     "method": "pearson_unit_theme_shares_fisher_z (n = units)"})
    return tidy(rows)


def sentiment_summary(comments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Share of comments negative, by source, with Wilson intervals; non-English counted apart."""
    from .metrics import proportion_interval

    rows = []
    for source, part in comments.groupby("source"):
        scored = part[part["label"] != "not scored"]
        r = proportion_interval(float((scored["label"] == "negative").sum()), float(len(scored)),
                                confidence)
        rows.append({"analysis": "text", "estimand": "share_negative", "subject": "all",
                     "outcome": f"{source}_comments", "term": "sentiment", **r,
                     "confidence": confidence, "p_value": np.nan,
                     "method": "vader_service_lexicon_wilson (n = English comments)",
                     "not_english": int((part["language"] != "en").sum())})
    return tidy(rows, extra=["not_english"])


def load_comments(con, n_themes: int = 9, seed: int = 0) -> pd.DataFrame:
    """Every comment in the warehouse with language, sentiment and theme."""
    from .warehouse import has_table

    def read(sql: str, table: str):
        return con.execute(sql + f" FROM {table} WHERE comment IS NOT NULL ORDER BY source_row"
                           ).df() if has_table(con, table) else None

    customers = read("SELECT response_id, unit_id, comment, nps", "customer_survey")
    employees = read("SELECT response_id, unit_id, comment", "employee_survey")
    return themes_frame(customers, employees, n_themes, seed)


def units_allowed_employee_comments(con, min_comment_group_size: int) -> set:
    """Units whose latest wave had enough respondents for their comments to be shown."""
    from .privacy import comments_allowed
    from .warehouse import has_table

    if not has_table(con, "employee_survey"):
        return set()
    counts = con.execute("""SELECT unit_id, count(*) FROM employee_survey
                            WHERE wave = (SELECT max(wave) FROM employee_survey)
                            GROUP BY unit_id""").fetchall()
    return {unit for unit, n in counts if comments_allowed(n, min_comment_group_size)}


def examples(comments: pd.DataFrame, allowed_units: set, per_theme: int = 2) -> pd.DataFrame:
    """A few comments per theme and source, PII masked (tables escape them when shown).

    Employee comments come only from units allowed by the comment threshold.
    """
    from .privacy import mask_pii

    usable = comments[(comments["theme_id"] >= 0)
                      & ((comments["source"] == "customer") | comments["unit_id"].isin(allowed_units))]
    picked = (usable.sort_values("response_id")
              .groupby(["theme", "source"], sort=False).head(per_theme))
    out = picked[["theme", "source", "label", "comment"]].copy()
    out["comment"] = out["comment"].map(mask_pii)
    return out.sort_values(["theme", "source"]).reset_index(drop=True)


def language_table(comments: pd.DataFrame) -> pd.DataFrame:
    """Comments by language and source (non-English ones are not scored)."""
    return (comments.groupby(["language", "source"]).size().rename("comments")
            .reset_index().sort_values("comments", ascending=False).reset_index(drop=True))


def findings(comments: pd.DataFrame, sentiment: pd.DataFrame, contrast: pd.DataFrame,
             dual: pd.DataFrame) -> list[str]:
    """Plain sentences for the summary box."""
    out = []
    for row in sentiment.itertuples():
        out.append(f"{row.outcome.replace('_', ' ').capitalize()}: {row.estimate:.0f}% negative "
                   f"({row.confidence:.0%} CI {row.ci_low:.0f}% to {row.ci_high:.0f}%) of "
                   f"{int(row.n):,} scored in English; {row.not_english} in other languages were "
                   "set aside, not scored.")
    if len(contrast):
        top = contrast.sort_values("estimate", ascending=False).head(2)
        bits = [f"'{r.term}' (+{r.estimate:.1f} points, CI {r.ci_low:.1f} to {r.ci_high:.1f})"
                for r in top.itertuples() if r.estimate > 0]
        if bits:
            out.append("Detractors talk more than promoters about " + " and ".join(bits) + ".")
    if len(dual):
        best = dual.sort_values("estimate", ascending=False).iloc[0]
        out.append(f"Where employees raise '{best['term']}' more, customers raise it more too: "
                   f"r = {best['estimate']:.2f} (CI {best['ci_low']:.2f} to {best['ci_high']:.2f}) "
                   f"across {int(best['n'])} units.")
    return out


def theme_share(con, comments: pd.DataFrame, by: str = "region", source: str = "customer",
                confidence: float = 0.95, min_comments: int = 30) -> pd.DataFrame:
    """Share of a group's comments on each theme, per quarter, with Wilson intervals.

    One tidy row per group, quarter and theme (estimand ``theme_share``; ``subject`` =
    ``region=North; quarter=2025-01-01``). Group-quarters with fewer than ``min_comments``
    themed comments are left out. Employee comments are only counted here, never quoted.
    """
    from .errors import check_argument
    from .metrics import proportion_interval

    check_argument("by", by, ("region", "unit_type"))
    check_argument("source", source, ("customer", "employee"))
    confidence = check_confidence(confidence)
    from .warehouse import has_table

    table, column = (("customer_survey", "responded_at") if source == "customer"
                     else ("employee_survey", "wave"))
    if not has_table(con, table):
        return tidy([], extra=[by, "quarter"])
    periods = con.execute(
        f"SELECT s.response_id, CAST(date_trunc('quarter', s.{column}) AS DATE) AS quarter, u.{by} "
        f"FROM {table} s JOIN units u USING (unit_id) WHERE s.comment IS NOT NULL").df()
    themed = comments[(comments["source"] == source) & (comments["theme_id"] >= 0)].merge(
        periods, on="response_id")
    rows = []
    for (group, quarter), part in themed.groupby([by, "quarter"]):
        if len(part) < min_comments:
            continue
        counts = part["theme"].value_counts()
        for theme, k in counts.items():
            r = proportion_interval(float(k), float(len(part)), confidence)
            rows.append({"analysis": "text", "estimand": "theme_share",
                         "subject": f"{by}={group}; quarter={pd.Timestamp(quarter).date().isoformat()}",
                         "outcome": f"{source}_comments", "term": theme, **r, "p_value": np.nan,
                         "confidence": confidence,
                         "method": "share_of_themed_comments_wilson (n = comments)",
                         by: group, "quarter": quarter})
    return tidy(rows, extra=[by, "quarter"])
