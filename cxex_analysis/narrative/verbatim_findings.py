"""What the comments say, in sentences (notebook 05)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.vocabulary import label


def findings(sentiment: pd.DataFrame | None, contrast: pd.DataFrame | None,
             dual: pd.DataFrame | None, emerging: pd.DataFrame | None) -> list[str]:
    """Plain sentences for the summary box (a part not computed, None, says nothing)."""
    sentiment, contrast, dual, emerging = (pd.DataFrame() if part is None else part
                                           for part in (sentiment, contrast, dual, emerging))
    out = [_sentiment_sentence(row) for row in sentiment.itertuples()]
    if len(contrast):
        top = contrast[contrast["p_value_holm"] < 0.05].sort_values("estimate", ascending=False).head(2)
        bits = [f"{r.term.lower()} (+{r.estimate:.1f} points, CI {r.ci_low:.1f} to {r.ci_high:.1f})"
                for r in top.itertuples() if r.estimate > 0]
        if bits:
            out.append("Detractors mention " + " and ".join(bits) + " more often than promoters do "
                       "(differences that hold after the Holm correction for many themes).")
        else:
            out.append("No theme is mentioned by detractors clearly more often than by promoters "
                       "once the many themes compared are accounted for (Holm).")
    if len(dual):
        best = dual.sort_values("estimate", ascending=False).iloc[0]
        holds = best["p_value_holm"] < 0.05
        out.append(f"Where employees mention {best['term'].lower()} more, customers "
                   f"{'do too' if holds else 'do not clearly do so'}: r = {best['estimate']:.2f} "
                   f"(CI {best['ci_low']:.2f} to {best['ci_high']:.2f}) across {int(best['n'])} units"
                   f"{'' if holds else ', not distinguishable from no link after the Holm correction'}.")
    new = emerging[emerging["emerging"]] if len(emerging) else emerging
    if len(new):
        names = "; ".join(f"'{t}'" for t in new["theme"].head(3))
        out.append(f"{len(new)} recurring topic(s) in critical comments fit no codebook theme: "
                   f"{names}. Read the examples below and add them to the codebook if they matter.")
    return out


def _sentiment_sentence(row) -> str:
    learnt = isinstance(row.agreement, float) and not np.isnan(row.agreement)
    how = (f"tone read from the words, learnt from {int(row.learnt_from):,} comments with their "
           "writers' scores, and weighed with the score where the words are unclear; the words "
           f"alone agree with those scores at macro-F1 {row.agreement:.2f}, the general-purpose "
           f"lexicon at {row.lexicon_agreement:.2f}" if learnt else
           "too few scored comments to learn from, so a general-purpose lexicon was used and "
           "its labels are rougher")
    suggestions = (f"; {int(row.suggestions):,} answers to 'what could we do better' are counted "
                   "as suggestions" if row.suggestions else "")
    return (f"{label(row.outcome).capitalize()}: {row.estimate:.0f}% negative "
            f"({row.confidence:.0%} CI {row.ci_low:.0f}% to {row.ci_high:.0f}%) of "
            f"{int(row.n):,} in English ({how}){suggestions}; {int(row.not_english)} in other "
            "languages were set aside, not scored.")


def routed_sentence(count: int, owner_named: bool | None, group: bool = False) -> str:
    """What a report says of the employee comments routed to HR: how many, never what they
    say nor who received them (``owner_named`` None: the report does not know).

    Examples
    --------
    >>> routed_sentence(3, True)[:60]
    '3 employee comments were about harassment, discrimination, b'
    >>> routed_sentence(1, None, group=True).split(": ")[1]
    'it was routed to HR in confidence and is not shown in any report.'
    >>> routed_sentence(0, True)
    ''
    """
    if count == 0:
        return ""
    whose = "from this group " if group else ""
    one = count == 1
    comments = (f"1 employee comment {whose}was" if one
                else f"{count:,} employee comments {whose}were")
    owner = ("HR in confidence" if owner_named is None else
             "the HR owner named for this run in confidence" if owner_named else
             "a confidential file beside the warehouse for HR (no HR owner was named: set the "
             "parameter hr_owner)")
    return (f"{comments} about harassment, discrimination, bullying, threats, unsafe conditions "
            f"or self-harm: {'it was' if one else 'they were'} routed to {owner} and "
            f"{'is' if one else 'are'} not shown in any report.")
