"""reelboard: the front door (settings and the `reelboard` command)."""
