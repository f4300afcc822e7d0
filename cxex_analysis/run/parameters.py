"""The notebooks' parameters: read from each parameters cell, and checked (names and types)
before any kernel starts — papermill itself only warns about unknown names, which would
silently produce a report built on defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import papermill as pm

from cxex_analysis.config import paths
from cxex_analysis.errors import ParameterError

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The suite's notebooks, in run order (by their number prefix)."""
    folder = Path(folder) if folder else paths().notebooks
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters cell of a notebook: name -> {type, default, help}."""
    found = pm.inspect_notebook(str(path))
    return {name: {"type": spec.get("inferred_type_name", "None"),
                   "default": spec.get("default"), "help": spec.get("help", "")}
            for name, spec in found.items()}


def coerce_parameter(name: str, value: Any, type_name: str, notebook: str) -> Any:
    """Convert a command-line text value to the parameter's declared type, or raise."""
    target = _TYPES.get(type_name.split("[")[0].strip().lower())
    if target is None:
        return value
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if target is bool:
                lowered = text.lower()
                if lowered in ("true", "1", "yes"):
                    return True
                if lowered in ("false", "0", "no"):
                    return False
                raise ValueError
            if target is int:
                return int(text)
            if target is float:
                return float(text)
            return text
        except ValueError:
            pass
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ParameterError(
        f"parameter `{name}` of {notebook} must be of type {type_name}, but {value!r} was passed.")


def check_parameters(notebooks: list[Path], parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per notebook, the given parameters it declares, converted to their declared types.

    Raises :class:`ParameterError` for a name no notebook declares, or a value of the wrong type.
    """
    declared = {nb.name: notebook_parameters(nb) for nb in notebooks}
    known = {name for spec in declared.values() for name in spec}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {unknown}; the notebooks accept: {', '.join(sorted(known))}.")
    per_notebook: dict[str, dict[str, Any]] = {}
    for name, spec in declared.items():
        per_notebook[name] = {
            key: coerce_parameter(key, value, spec[key]["type"], name)
            for key, value in parameters.items() if key in spec}
    return per_notebook
