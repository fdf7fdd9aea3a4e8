"""The synthetic demo county, at the edge: only the command line and the tests import it."""
