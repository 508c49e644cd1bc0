"""A local fixture that serves job postings the way the job boards would (no internet needed)."""
