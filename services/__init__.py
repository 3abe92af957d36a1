"""Application services: the use-cases that combine store, collector and scoring."""
