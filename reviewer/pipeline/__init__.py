"""The analysis, once: stacks of both sides in, a ``Report`` out (``analysis.analyze``), with
the collector tuning that makes it fast (``collector``). Every command calls it; nothing below
it (sources, model, diff, rules, fixes) tunes the collector itself."""
