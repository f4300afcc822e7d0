"""Analyses: each assembles panels, calls estimators and returns tidy frames for one
notebook. No SQL, and no analysis imports another: what two analyses share lives below.
"""
