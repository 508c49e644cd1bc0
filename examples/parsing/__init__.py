"""Parsing steps of the example pipeline: clean and validate the stored jobs."""
