"""`python -m pyshepard.cli`, the same as the `pyshepard` command."""

from pyshepard.cli.main import app

app(prog_name="pyshepard")
