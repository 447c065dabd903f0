"""A side from a git revision: the room of a baseline revision (``revision``: work tree, base
synth, base configuration, naming, the side it hands out), a temporary work tree of the
repository at a ref (``baseline``), the merge base a pull request is compared with, fetched
when a shallow checkout lacks it (``history``), and one file as it is at a revision (``blob``).
"""
