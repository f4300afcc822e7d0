"""Simulated organisations: the demo organisation (files a real one would send) and the
latent world the estimators are calibrated on. Nothing here is used by an analysis.
"""
