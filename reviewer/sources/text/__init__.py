"""Text formats read with source positions: YAML through a loader that keeps the line of every
key (``yaml_loader``), the lines of keys in JSON computed on demand (``json_lines``), and
template files parsed from either into a ``StackTemplate`` with those lines (``files``), which
every other family of sources reads its templates through.
"""
