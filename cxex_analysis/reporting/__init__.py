"""Reporting: tables, charts and notes shown in the notebooks, the executive summary of a
run, and exports for spreadsheets.
"""
