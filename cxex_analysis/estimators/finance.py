"""The finance assumptions of the value model: read from YAML, checked, and put in the
currency of the pilot registry.

The packaged file (``cxex_analysis/finance_defaults.yaml``) holds illustrative defaults of a
European service business, each a value with a plausible range; an organisation passes its
own file as the ``finance`` parameter of notebook 03. Costs come from the pilot registry and
salaries and margins from these assumptions, so both must be in one currency
(:func:`in_registry_currency`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import overload

import yaml

from cxex_analysis.errors import ParameterError
from cxex_analysis.estimators.value_model import ASSUMPTIONS, PROGRAMME, Quantity, quantity_from

DEFAULT_FINANCE = Path(__file__).parents[1] / "finance_defaults.yaml"

#: Finance assumptions that are amounts of money (the others are shares, rates and months).
AMOUNTS = ("annual_salary", "cost_per_repeat_contact", "one_off_cost", "cost_per_unit_month")


def load_finance(path: Path | str | None = None) -> dict:
    """Read and check a finance-assumptions YAML file (default: the packaged one).

    The result says whether the file was given (``explicit``): the packaged defaults are
    illustrative and may be expressed in the registry's currency (:func:`in_registry_currency`),
    a file of the organisation's own is used as it is.

    Examples
    --------
    >>> finance = load_finance()  # the packaged, illustrative defaults
    >>> finance["currency"], finance["explicit"], finance["horizon_months"]
    ('EUR', False, 24)
    """
    explicit = bool(path)
    path = Path(path) if path else DEFAULT_FINANCE
    label = str(path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"{label}: finance assumptions file not found.") from None
    except yaml.YAMLError as error:
        raise ParameterError(f"{label}: not valid YAML ({error}).") from None
    if not isinstance(content, dict):
        raise ParameterError(f"{label}: expected a mapping of assumptions, got {type(content).__name__}.")
    missing = [k for k in ASSUMPTIONS if k not in content]
    if missing:
        raise ParameterError(f"{label}: missing assumption(s) {missing}; see {DEFAULT_FINANCE.name}.")
    assumptions = {k: quantity_from(content[k], k, label) for k in ASSUMPTIONS}
    for name, low, high in (("gross_margin", 0, 1), ("replacement_cost_fraction", 0, 5),
                            ("discount_rate_annual", 0, 1)):
        q = assumptions[name]
        if not low <= q.value <= high or (q.low is not None and q.high is not None
                                          and (q.low < low or q.high > high)):
            raise ParameterError(f"{label}: `{name}` must lie between {low} and {high}, "
                                 f"but {q.value} (range {q.low} to {q.high}) was given.")
    programme_spec = content.get("programme") or {}
    if not isinstance(programme_spec, dict):
        raise ParameterError(f"{label}: `programme` must be a mapping of {list(PROGRAMME)}.")
    programme = {k: quantity_from(programme_spec.get(k, 0.0), k, label) for k in PROGRAMME}
    if programme["ramp_months"].value < 0:
        raise ParameterError(f"{label}: `ramp_months` must be 0 or more.")
    horizon = content.get("horizon_months", 24)
    if not isinstance(horizon, int) or not 1 <= horizon <= 120:
        raise ParameterError(f"{label}: `horizon_months` must be a whole number from 1 to 120, "
                             f"but {horizon!r} was given.")
    rates = content.get("illustrative_rates_per_eur") or {} if not explicit else {}
    return {"currency": str(content.get("currency", "")).strip().upper(), "horizon_months": horizon,
            "assumptions": assumptions, "programme": programme, "label": label,
            "explicit": explicit, "rates": {str(k).upper(): float(v) for k, v in rates.items()}}


@overload
def _rough(value: float, factor: float) -> float: ...


@overload
def _rough(value: None, factor: float) -> None: ...


def _rough(value: float | None, factor: float) -> float | None:
    """``value × factor`` to two significant figures (an illustrative amount claims no more)."""
    if value is None or value == 0:
        return value
    amount = value * factor
    return round(amount, 1 - math.floor(math.log10(abs(amount))))


def in_registry_currency(finance: dict, currencies: list[str]) -> tuple[dict | None, str]:
    """The finance assumptions in the pilot registry's currency, and a sentence saying what
    they are; ``(None, why)`` when the amounts cannot be put in one currency.

    Costs come from the registry, salaries and margins from the finance assumptions: amounts
    in two currencies cannot be added. A finance file the organisation gave must be in the
    registry's currency. Without one, the packaged defaults are illustrative: they are
    expressed in the registry's currency at rough rates (two significant figures) and the
    report says they are not the organisation's own.

    Examples
    --------
    >>> converted, said = in_registry_currency(load_finance(), ["USD"])  # defaults are in EUR
    >>> converted["currency"], "about 1.16 USD per EUR" in said
    ('USD', True)
    """
    own = finance["currency"]
    name = Path(finance["label"]).name
    if len(currencies) > 1:
        return None, (f"Nothing is valued in money: the pilot registry (pilots.csv) gives costs in "
                      f"{' and '.join(currencies)}, and one valuation needs one currency "
                      "(give every pilot's cost in one currency).")
    wanted = currencies[0] if currencies else own
    if finance["explicit"]:
        if own and wanted != own:
            return None, (f"Nothing is valued in money: pilots.csv gives the pilots' costs in "
                          f"{wanted}, but the finance file {name} is in {own}. Give a finance "
                          f"file in {wanted} (parameter `finance`, key `currency`) so that every "
                          "amount is in one currency.")
        return {**finance, "currency": wanted or own}, ""
    rates = finance["rates"]
    if wanted not in rates or own not in rates:
        return None, (f"Nothing is valued in money: pilots.csv gives the pilots' costs in {wanted}, "
                      "no finance file was given, and the illustrative defaults have no rate for "
                      f"{wanted}. Give a finance file in {wanted} (parameter `finance`; "
                      f"{DEFAULT_FINANCE.name} shows the keys).")
    factor = rates[wanted] / rates[own]
    converted = {**finance, "currency": wanted}
    for group in ("assumptions", "programme"):
        converted[group] = {
            key: (Quantity(_rough(q.value, factor), low=_rough(q.low, factor),
                           high=_rough(q.high, factor), source=q.source) if key in AMOUNTS else q)
            for key, q in finance[group].items()}
    said = ("The money assumptions (salary, margin, costs of a repeat contact and of the programme) "
            "are illustrative defaults, not this organisation's"
            + (f", expressed in {wanted} at about {factor:g} {wanted} per {own}" if factor != 1 else "")
            + ": give a finance file of your own (parameter `finance`) before acting on the amounts.")
    return converted, said
