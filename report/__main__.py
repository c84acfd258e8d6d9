"""`python -m report [MODEL ...] [--budget demo|tiny]`: the comparison report (comparison.py)."""

import sys

from harness import cli
from report import comparison

sys.exit(cli.run(comparison.main))
