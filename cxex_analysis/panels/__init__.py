"""Unit × period panels and scores, read from the warehouse: the only place an analysis's
data come from, and the only SQL above the store.
"""
