"""cxex_analysis: experience analytics (EX -> CX linkage, pilots, return on experience).

Importing the package has no side effects: nothing is printed, no global state changes.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
