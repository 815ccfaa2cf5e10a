"""`python -m kerascope`."""

from kerascope.cli import main_exit

main_exit()
