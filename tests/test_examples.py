"""Every public estimator shows how it is called: a numpydoc ``Examples`` section whose
numbers are pinned to a closed form or another library (named beside it), run here as
doctests (issue 35)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import cxex_analysis.estimators as estimators

MODULES = [importlib.import_module(f"cxex_analysis.estimators.{m.name}")
           for m in pkgutil.iter_modules(estimators.__path__)]

#: public estimators still without an example: the list only shrinks (a new estimator comes
#: with its example, and one that gets its example leaves the list)
WITHOUT_EXAMPLES: set[str] = set()


def public_functions():
    for module in MODULES:
        for name, value in vars(module).items():
            if (inspect.isfunction(value) and value.__module__ == module.__name__
                    and not name.startswith("_")):
                yield f"{module.__name__.rsplit('.', 1)[1]}.{name}", value


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_the_examples_run_and_give_the_numbers_shown(module):
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    before = np.get_printoptions()
    np.set_printoptions(legacy="1.25")  # numbers read as people write them: 1.794, not np.float64(1.794)
    try:
        for test in doctest.DocTestFinder().find(module):
            runner.run(test)
    finally:
        np.set_printoptions(**before)
    assert runner.failures == 0, f"{runner.failures} example(s) in {module.__name__} failed"


def test_every_public_estimator_has_an_example():
    without = {name for name, function in public_functions()
               if "Examples\n" not in (function.__doc__ or "")}
    assert without <= WITHOUT_EXAMPLES, f"give these an Examples section: {sorted(without - WITHOUT_EXAMPLES)}"
    assert not WITHOUT_EXAMPLES - without, f"these have examples now: {sorted(WITHOUT_EXAMPLES - without)}"
    assert not WITHOUT_EXAMPLES  # every public estimator (101) has its example
