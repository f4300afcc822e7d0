"""What an interval says about a published claim: the verdict rule and the evidence grades.

One rule for every claim. ``claimed`` is the published value or range (a point claim is a range
of one value; "raises" is the range from the null to infinity), ``null`` the value of no effect
(1 for a ratio, 0 for a difference or correlation). In order:

1. ``cannot tell`` — there is no estimate or interval (the data cannot test the claim);
2. ``contradicted`` — the whole interval lies on the other side of the null from the claim:
   an effect the opposite way;
3. ``stronger here`` — the whole interval lies beyond the claim, away from the null: the
   effect is larger here than claimed;
4. ``weaker here`` — the whole interval lies between the claim and the null (it may reach the
   null): the effect, if there is one, is smaller here than claimed;
5. ``cannot tell`` — the interval reaches the claim but also the null: too little data to tell
   the claim from no effect;
6. ``supported`` — the interval lies wholly inside the claimed range (any interval below the
   null supports "lowers");
7. ``consistent with the claim`` — the interval reaches the claim and excludes the null, but
   is too wide to pin the effect near it: its far end is more than :data:`WIDE` times its
   near end, measured from no effect (for a ratio, from 1: the interval spans more than a
   factor of 3);
8. ``supported`` — the interval reaches the claim, excludes the null and is that narrow.

A leader reading "not supported" under 267× (182× to 393×) for a claim of 5× reads "no effect";
the words name the direction instead.

The evidence grade names the design behind the estimate, strongest first: a randomized pilot,
a quasi-experiment (staggered rollout, difference in differences), a within-unit panel (units
against their own past), a correlation between units, one between customers at one time, or
arithmetic on the organisation's own numbers under a stated model (no test of cause at all).
"""

from __future__ import annotations

import math

from cxex_analysis.errors import ParameterError

VERDICTS = ("supported", "consistent with the claim", "stronger here", "weaker here",
            "contradicted", "cannot tell")

EVIDENCE = ("randomized", "quasi-experimental", "within-unit panel", "between-unit correlation",
            "between-customer correlation", "steady-state arithmetic")

#: an interval whose far end is more than this many times its near end (from no effect) is
#: too wide to support a claim it reaches
WIDE = 3.0


def verdict(ci_low: float, ci_high: float, claimed: tuple[float, float], null: float) -> str:
    """The verdict (one of :data:`VERDICTS`) on a claim of ``claimed`` (low, high) given the
    interval (``ci_low``, ``ci_high``) and the ``null`` value; see the module's rule.

    Examples
    --------
    >>> verdict(4.1, 6.3, claimed=(5, 5), null=1)  # the claimed 5 inside a narrow interval
    'supported'
    >>> verdict(1.2, 2.0, claimed=(5, 5), null=1)  # above the null, well short of the claim
    'weaker here'
    >>> verdict(182.1, 392.5, claimed=(5, 5), null=1)  # far more than claimed
    'stronger here'
    >>> verdict(1.5, 9.0, claimed=(5, 5), null=1)  # reaches 5, but spans a factor of 6
    'consistent with the claim'
    """
    low, high = sorted(claimed)
    if low < null < high or (low == high == null):
        raise ParameterError(f"`claimed` {claimed} must lie on one side of the null value {null}.")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (ci_low, ci_high)):
        return "cannot tell"
    above = low >= null  # the claim is an effect upward from the null
    if (above and ci_high < null) or (not above and ci_low > null):
        return "contradicted"
    if ci_high < low or ci_low > high:  # misses the claim: on which side of it?
        return "stronger here" if (ci_low > high) == above else "weaker here"
    if ci_low <= null <= ci_high:
        return "cannot tell"
    if low <= ci_low and ci_high <= high:  # wholly inside the claimed range ("lowers", 25–85%)
        return "supported"
    near, far = (ci_low, ci_high) if above else (ci_high, ci_low)
    if null == 1 and near > 0 and far > 0:  # a ratio: how many times, from 1
        spread = max(far / near, near / far)
    else:
        spread = abs(far - null) / abs(near - null)
    return "consistent with the claim" if spread > WIDE else "supported"
