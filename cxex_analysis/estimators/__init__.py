"""Pure statistics on frames: no warehouse, no SQL, no sentences.

Each estimator takes a DataFrame (or arrays) and returns the tidy schema of
:mod:`cxex_analysis.results` or a small typed result; each is pinned to a published number
or a planted truth in ``tests/``.
"""
