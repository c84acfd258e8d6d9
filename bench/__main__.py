"""`python -m bench`: see bench/run.py."""

from bench import run
from harness import cli

cli.run(run.main)
