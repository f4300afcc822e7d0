"""Running the suite: parameters checked, the plan, fan-out per pilot and group, the local and
Dask executors, and publishing a run.
"""
