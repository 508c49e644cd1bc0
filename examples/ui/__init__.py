"""The example UI service: a static page plus a same-origin proxy to the API."""
