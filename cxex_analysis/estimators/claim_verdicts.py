"""What an interval says about a published claim: the verdict rule and the evidence grades.

One rule for every claim. ``claimed`` is the published value or range (a point claim is a range
of one value; "raises" is the range from the null to infinity), ``null`` the value of no effect
(1 for a ratio, 0 for a difference or correlation). In order:

1. ``cannot tell`` — there is no estimate or interval (the data cannot test the claim);
2. ``contradicted`` — the whole interval lies on the other side of the null from the claim:
   an effect the opposite way;
3. ``not supported`` — the interval misses the claimed value or range: the effect, if there is
   one, is of another size here;
4. ``cannot tell`` — the interval reaches the claim but also the null: too little data to tell
   the claim from no effect;
5. ``supported`` — the interval reaches the claimed value or range and excludes the null.

The evidence grade names the design behind the estimate, strongest first: a randomized pilot,
a quasi-experiment (staggered rollout, difference in differences), a within-unit panel (units
against their own past), a correlation between units, one between customers at one time, or
arithmetic on the organisation's own numbers under a stated model (no test of cause at all).
"""

from __future__ import annotations

import math

from cxex_analysis.errors import ParameterError

VERDICTS = ("supported", "not supported", "contradicted", "cannot tell")

EVIDENCE = ("randomized", "quasi-experimental", "within-unit panel", "between-unit correlation",
            "between-customer correlation", "steady-state arithmetic")


def verdict(ci_low: float, ci_high: float, claimed: tuple[float, float], null: float) -> str:
    """The verdict (one of :data:`VERDICTS`) on a claim of ``claimed`` (low, high) given the
    interval (``ci_low``, ``ci_high``) and the ``null`` value; see the module's rule.

    Examples
    --------
    >>> verdict(4.1, 6.3, claimed=(5, 5), null=1)  # the claimed 5 inside the interval
    'supported'
    >>> verdict(1.2, 2.0, claimed=(5, 5), null=1)  # above the null, well short of the claim
    'not supported'
    """
    low, high = sorted(claimed)
    if low < null < high or (low == high == null):
        raise ParameterError(f"`claimed` {claimed} must lie on one side of the null value {null}.")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (ci_low, ci_high)):
        return "cannot tell"
    above = low >= null  # the claim is an effect upward from the null
    if (above and ci_high < null) or (not above and ci_low > null):
        return "contradicted"
    if ci_high < low or ci_low > high:
        return "not supported"
    if ci_low <= null <= ci_high:
        return "cannot tell"
    return "supported"
