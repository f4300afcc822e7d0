"""The demo organisation's settings: its regions, engagement items, comment themes, and
every parameter of the world :mod:`cxex_analysis.simulation.demo_world` draws."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxex_analysis.errors import ParameterError

REGIONS = ("North", "South", "East", "West", "Central", "Coastal")


ITEMS = ("recognition", "tools", "manager", "voice", "growth", "purpose", "customer_focus")


CUSTOMER_THEMES = ("wait_times", "resolution", "staff_attitude", "tools_systems", "price")


EMPLOYEE_THEMES = ("tools_systems", "staffing", "recognition", "manager", "growth")


#: the demo's random streams beside the world's own (drawn from ``seed`` alone), each from
#: the pair (seed, stream): organisations with neighbouring seeds share no draws
STREAMS = {"local_events": 1, "assignments": 2, "customer_answers": 3, "employee_answers": 4,
           "bad_rows": 5, "action_plans": 6, "comments": 7, "customers": 8, "unit_metrics": 9,
           "sensitive_comments": 10}


@dataclass
class DemoParameters:
    """Every planted effect and size of the demo organisation (all may be changed)."""

    seed: int = 20241
    start: str = "2024-01-01"
    n_quarters: int = 8
    units_by_type: dict[str, int] = field(default_factory=lambda: {
        "store": 70, "branch": 45, "call_centre": 25, "team": 10})
    #: teams this small fall below the confidentiality threshold (min_group_size 5)
    n_tiny_teams: int = 3
    staff_by_type: dict[str, int] = field(default_factory=lambda: {
        "store": 16, "branch": 12, "call_centre": 40, "team": 8})
    monthly_responses_by_type: dict[str, float] = field(default_factory=lambda: {
        "store": 25.0, "branch": 20.0, "call_centre": 60.0, "team": 5.0})
    employee_response_rate: float = 0.8
    #: quarters from one employee survey to the next (1 quarterly, 2 half-yearly, 4 annual;
    #: the first quarter has one); customers answer every month whatever it is
    ex_every: int = 1
    # employee experience (engagement-index points)
    ex_mean: float = 66.0
    ex_between_sd: float = 7.0
    ex_shock_sd: float = 4.0
    ex_shock_rho: float = 0.5  # engagement shocks persist: a bad quarter lingers
    employee_sd: float = 9.0
    item_profile_sd: float = 6.0
    item_noise_sd: float = 0.55
    item_missing_share: float = 0.02
    # customer experience (NPS points)
    cx_mean: float = 25.0
    cx_between_sd: float = 18.0
    cx_month_noise_sd: float = 3.0
    cx_shock_sd: float = 6.0  # lingering local events (NPS points, stationary SD)
    cx_shock_rho: float = 0.8  # their month-to-month persistence
    csat_intercept: float = 64.0
    csat_per_nps: float = 0.55
    ces_intercept: float = 4.3
    ces_per_nps: float = 0.02
    # linkage (the planted truths)
    ex_to_cx: float = 0.6
    cx_to_ex: float = 0.04
    #: how much more (or less) favourably each item is rated everywhere (index points)
    item_levels: dict[str, float] = field(default_factory=lambda: {
        "recognition": -4.0, "tools": -7.0, "manager": 2.0, "voice": -2.0, "growth": -5.0,
        "purpose": 7.0, "customer_focus": 3.0})
    driver_weights: dict[str, float] = field(default_factory=lambda: {
        "tools": 0.9, "customer_focus": 0.7, "manager": 0.4, "recognition": 0.25,
        "voice": 0.1, "growth": 0.0, "purpose": 0.0})
    # money
    churn_base: float = 0.025
    churn_per_nps: float = -0.0002
    revenue_per_customer_base: float = 40.0
    revenue_per_customer_per_nps: float = 0.15
    # customers followed in the CRM (demo_customers): who gave the keyed answers, and their
    # spend and leaving month by month, following their own experience
    customer_keyed_share: float = 0.5  # answers that carry the customer's key
    customer_answers_each: float = 2.5  # keyed answers a unit's pool of customers gives each
    customer_lasting_share: float = 0.5  # of a customer's view of a month, the lasting part
    customer_spend_confound: float = 4.0  # spend a month per SD of lasting satisfaction (not caused)
    customer_spend_sd: float = 6.0
    customer_revenue_noise_sd: float = 5.0  # small enough that revenue is never near 0 (clipped)
    exit_rate_base: float = 0.015
    exit_rate_per_ei: float = -0.00025
    # pilots
    p1_start: str = "2025-01-01"
    p1_ex_effect: float = 3.0
    p1_cx_effect: float = 4.0
    p1_repeat_contact_reduction: float = 0.12
    p2_starts: dict[str, str] = field(default_factory=lambda: {
        "North": "2024-07-01", "South": "2024-07-01", "East": "2024-10-01",
        "West": "2025-01-01", "Central": "2025-04-01"})
    p2_cx_effect_start: float = 1.0
    p2_cx_effect_per_month: float = 0.4
    p2_cx_effect_max: float = 6.0
    p2_ex_effect_start: float = 1.0
    p2_ex_effect_per_quarter: float = 0.75
    p2_ex_effect_max: float = 4.0
    # action plans (see demo_actions): groups act on their top issues after a survey
    #: waves (0-based) whose results plans are made from; the last, after the last wave, makes
    #: the plans still open when the data end
    action_cycles: tuple[int, ...] = (2, 4, 7)
    action_unit_share: tuple[float, ...] = (0.4, 0.3, 0.5)  # share of units that plan, per cycle
    action_item_effect: float = 10.0  # a completed action on its focus item (index points)
    action_done_share: float = 0.6
    action_dropped_share: float = 0.25
    comment_share_customer: float = 0.3
    comment_share_employee: float = 0.25
    #: write the planted bad rows (see ``truth.json`` ``planted_invalid_rows``)
    messy: bool = True

    def stream(self, name: str) -> np.random.Generator:
        """The random numbers of one part of the demo (:data:`STREAMS`), independent of the
        world's and of every other organisation's."""
        return np.random.default_rng([self.seed, STREAMS[name]])

    def survey_quarters(self) -> range:
        """The quarters (0-based) with an employee survey: every ``ex_every``-th, from the first."""
        return range(0, self.n_quarters, self.ex_every)

    def validate(self) -> None:
        if len(self.action_cycles) != len(self.action_unit_share):
            raise ParameterError("`action_cycles` and `action_unit_share` must have the same "
                                 "length (one share of planning units per cycle).")
        if self.ex_every < 1 or any(c % self.ex_every for c in self.action_cycles[:-1]):
            raise ParameterError(f"`action_cycles` {self.action_cycles} must be waves with a "
                                 f"survey (every {self.ex_every} quarters).")
        if self.n_quarters < 3:
            raise ParameterError(f"`n_quarters` must be at least 3, but {self.n_quarters} was passed.")
        if not 0 < self.customer_lasting_share < 1 or self.customer_answers_each <= 0:
            raise ParameterError("`customer_lasting_share` must be between 0 and 1 (exclusive) "
                                 "and `customer_answers_each` positive.")
        for name in ("employee_response_rate", "comment_share_customer", "comment_share_employee",
                     "customer_keyed_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ParameterError(f"`{name}` must be between 0 and 1, but {value!r} was passed.")
        unknown = (set(self.driver_weights) | set(self.item_levels)) - set(ITEMS)
        if unknown:
            raise ParameterError(f"`driver_weights` or `item_levels` name unknown items {sorted(unknown)}; "
                                 f"allowed: {', '.join(ITEMS)}.")
