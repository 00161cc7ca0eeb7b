"""`python -m policywatch` is the `policywatch` command."""

from policywatch.cli import app

app(prog_name="policywatch")
