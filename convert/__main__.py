"""`python -m convert tf-to-torch | torch-to-tf | inspect | initial`: see convert/checkpoint.py."""

import sys

from convert import checkpoint
from harness import cli

sys.exit(cli.run(checkpoint.main))
