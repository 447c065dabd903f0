"""Pair stacks and resources of the two sides; describe how each function changes."""
