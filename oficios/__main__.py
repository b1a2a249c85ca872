"""`python -m oficios` runs the command line."""

from oficios.cli import main

main()
