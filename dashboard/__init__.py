"""The reelboard dashboard: a Streamlit multipage app (``reelboard dashboard`` starts it)."""
