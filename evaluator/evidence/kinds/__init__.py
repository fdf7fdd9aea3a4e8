"""The six register kinds, one module each; :mod:`evaluator.evidence.registers` lists them."""
