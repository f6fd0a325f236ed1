"""`python -m pipeline` runs the xenowatch CLI."""

from pipeline.cli import main

main()
