"""Standalone checks over the jobs collection."""
