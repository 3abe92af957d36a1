"""Publishing reels through the platforms' APIs, one adapter per platform.

Each adapter is a :class:`collector.publish.base.Publisher`: it advances a post one step at a
time from its persisted platform state. The services layer (services/publishing.py) commits that
state after every step, so a killed worker resumes where it stopped.
"""
