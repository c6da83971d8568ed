"""`python -m axc`: the `axc-opt` command line."""

from __future__ import annotations

import sys

from axc.cli import main

if __name__ == "__main__":
    sys.exit(main())
