"""Offline scorers of one response: toxicity, groundedness, PII. Pure functions, no network."""
