"""The example API service: serves the jobs collection as JSON."""
