"""Collector room: everything that speaks to a platform API over HTTP."""
