"""Rules: one module per rule; ``registry.RULES`` lists them in order."""
