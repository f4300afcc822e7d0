"""Effects pulled toward what effects usually are, before they are valued.

A pilot chosen for scaling because it looked good overstates its effect (the winner's curse):
among many ideas that do little, the one whose measurement came out high is, on average,
one whose noise came out high. The remedy is the normal hierarchical model (Gelman et al.,
*Bayesian Data Analysis*, ch. 5): the effects ``theta_k`` an organisation's pilots have on
one outcome are drawn from a common N(mu, tau²), each measured with its own standard error,
``y_k ~ N(theta_k, se_k²)``. The posterior of each ``theta_k`` pulls its estimate toward
``mu`` by ``se_k² / (se_k² + tau²)``: a precise estimate stays where it is, a noisy one moves.

``tau`` (how much effects differ) is not known: it has a half-Cauchy prior of scale
``tau_scale`` (Gelman, 2006; weakly informative: a large effect stays large, as its heavy
tail allows) and is integrated out by quadrature on the prior's quantiles, so one pilot on
its own is shrunk too, by as much as its noise and its size warrant. ``mu`` has a normal
prior N(``mu_prior``, ``mu_scale``²) and is integrated analytically; ``mu_scale=0`` fixes it
(a sceptical prior centred on no effect: cxex's default for pilots, since an organisation's
few pilots cannot estimate where effects are centred).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxex_analysis.errors import check_confidence

#: quadrature points over the quantiles of tau's half-Cauchy prior
GRID = 4000


def _given_tau(y: np.ndarray, se: np.ndarray, tau: np.ndarray, mu_prior: float,
               mu_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each ``tau`` (rows) and effect (columns): the log marginal likelihood of all the
    estimates and the centre's posterior mean (per row), and each effect's posterior mean and
    variance given ``tau``."""
    var = se[None, :] ** 2 + tau[:, None] ** 2
    if mu_scale > 0:
        precision = 1 / mu_scale ** 2 + (1 / var).sum(axis=1)
        mu = (mu_prior / mu_scale ** 2 + (y / var).sum(axis=1)) / precision
        # p(y | tau) = p(y | mu, tau) p(mu) / p(mu | y, tau), at mu = its posterior mean
        log_like = (stats.norm.logpdf(y, mu[:, None], np.sqrt(var)).sum(axis=1)
                    + stats.norm.logpdf(mu, mu_prior, mu_scale) + 0.5 * np.log(2 * np.pi / precision))
        mu_var = 1 / precision
    else:
        mu = np.full(len(tau), float(mu_prior))
        log_like = stats.norm.logpdf(y, mu_prior, np.sqrt(var)).sum(axis=1)
        mu_var = np.zeros(len(tau))
    weight = tau[:, None] ** 2 / var  # the share of an estimate's deviation from mu kept
    mean = mu[:, None] + weight * (y[None, :] - mu[:, None])
    variance = weight * se[None, :] ** 2 + (1 - weight) ** 2 * mu_var[:, None]
    return log_like, mu, mean, variance


def shrink(estimates, ses, tau_scale: float, mu_prior: float = 0.0, mu_scale: float = 0.0,
           confidence: float = 0.95) -> pd.DataFrame:
    """Posterior of each effect under the normal hierarchical model (module docstring).

    Parameters
    ----------
    estimates, ses : array-like
        The measured effects on one outcome and their standard errors (all > 0).
    tau_scale : float
        Scale of the half-Cauchy prior on the spread of true effects, in the outcome's units:
        a large effect for this outcome.
    mu_prior, mu_scale : float
        Normal prior on the centre of the true effects; ``mu_scale=0`` fixes the centre at
        ``mu_prior``.

    Returns
    -------
    DataFrame, one row per effect: ``estimate`` and ``se`` (as given), ``shrunk`` (posterior
    mean), ``shrunk_se`` (posterior SD), ``ci_low``/``ci_high`` (equal-tailed posterior
    interval) and ``kept`` (``(shrunk - centre) / (estimate - centre)``, the share of the
    measured effect kept); ``attrs`` hold the posterior means of ``mu`` and ``tau``.

    Examples
    --------
    Rubin's eight schools with mu ~ N(0, 5) and tau ~ half-Cauchy(0, 5), as in posteriordb's
    reference posterior ``eight_schools-eight_schools_noncentered`` (posterior means of the
    schools' effects 6.15, 4.94, 3.91, 4.80, 3.61, 4.05, 6.32, 4.88; mu 4.41; tau 3.60, with
    Monte Carlo errors of 0.03–0.06): a school measured at 28 ± 15 is worth about 6 —

    >>> y = [28, 8, -3, 7, -1, 1, 18, 12]
    >>> se = [15, 10, 16, 11, 9, 11, 10, 18]
    >>> fit = shrink(y, se, tau_scale=5, mu_scale=5)
    >>> fit["shrunk"].round(2).tolist()
    [6.21, 4.94, 3.93, 4.76, 3.62, 4.04, 6.3, 4.85]
    >>> round(fit.attrs["mu"], 2), round(fit.attrs["tau"], 2)
    (4.4, 3.6)

    One pilot on its own, +6.6 NPS points ± 2.1 where a large effect is 12 points, keeps 90%
    of its measured effect; beside a second pilot measured at +2.0 ± 2.1, which says effects
    here are smaller, each keeps 83%:

    >>> round(float(shrink([6.6], [2.1], tau_scale=12)["shrunk"].iloc[0]), 1)
    5.9
    >>> shrink([6.6, 2.0], [2.1, 2.1], tau_scale=12)["shrunk"].round(1).tolist()
    [5.5, 1.7]
    """
    confidence = check_confidence(confidence)
    y, se = np.asarray(estimates, float), np.asarray(ses, float)
    if y.shape != se.shape or y.ndim != 1 or not len(y):
        raise ValueError("estimates and ses must be two lists of the same length (at least one)")
    if not (np.isfinite(y).all() and np.isfinite(se).all() and (se > 0).all()):
        raise ValueError("every estimate needs a finite value and a standard error above 0")
    if not tau_scale > 0:
        raise ValueError(f"tau_scale must be above 0 (got {tau_scale})")
    # tau at the midpoints of GRID equal slices of its prior's probability: the prior is
    # then the same weight on every point, and the posterior weight is the likelihood
    tau = tau_scale * np.tan(np.pi / 2 * (np.arange(GRID) + 0.5) / GRID)
    log_like, centres, mean, variance = _given_tau(y, se, tau, mu_prior, mu_scale)
    weight = np.exp(log_like - log_like.max())
    weight /= weight.sum()
    shrunk = weight @ mean
    spread = np.sqrt(weight @ (variance + mean ** 2) - shrunk ** 2)
    tail = (1 - confidence) / 2
    bounds = np.array([_mixture_quantiles(weight, mean[:, k], np.sqrt(variance[:, k]),
                                          (tail, 1 - tail), shrunk[k], spread[k])
                       for k in range(len(y))])
    centre = float(weight @ centres)
    moved = y - centre
    kept = np.divide(shrunk - centre, moved, out=np.ones_like(y), where=moved != 0)
    fit = pd.DataFrame({"estimate": y, "se": se, "shrunk": shrunk, "shrunk_se": spread,
                        "ci_low": bounds[:, 0], "ci_high": bounds[:, 1], "kept": kept})
    fit.attrs.update(tau=float(weight @ tau), mu=centre)
    return fit



def _mixture_quantiles(weight, means, sds, levels, centre, spread) -> list[float]:
    """Quantiles of a mixture of normals (weights ``weight``), by bisection on its CDF."""
    found = []
    for level in levels:
        low, high = centre - 12 * spread, centre + 12 * spread
        for _ in range(60):
            middle = (low + high) / 2
            if weight @ stats.norm.cdf((middle - means) / sds) < level:
                low = middle
            else:
                high = middle
        found.append((low + high) / 2)
    return found
