"""The composite action's entry point: run ``reviewer.commands.action`` from the action's folder.

The interpreter is the one of the virtual environment that holds the locked dependencies, run
with ``-P`` so that the checked-out repository (the working directory) is never on the import
path. The package is imported from the folder above this file: the code that runs is exactly
the commit the workflow pinned, with no build or install step.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewer.commands.action import main

if __name__ == "__main__":
    sys.exit(main())
