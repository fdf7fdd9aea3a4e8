"""Pure consequences of results: working-day calendar, findings, recommendations, tranches."""
