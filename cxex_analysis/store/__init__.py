"""The warehouse: where validated data live (an embedded DuckDB file or a shared PostgreSQL
schema), how they get there, and what they hold.
"""
