"""The internal model: templates, resources, source positions and the reference graph."""
