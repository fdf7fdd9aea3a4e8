"""Weighting sensitivity of scored results: sampling, uncertainty, attribution (pure:
numpy, SALib, scikit-learn; no I/O, no database)."""
