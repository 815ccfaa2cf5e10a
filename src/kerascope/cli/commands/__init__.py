"""One module per command: each adds its arguments (`add_to`) and runs (`run`)."""

from __future__ import annotations

from kerascope.cli.commands import check, demo, diff, inspect, load_check, scan, show

COMMANDS = {module.NAME: module for module in (inspect, show, diff, check, load_check, scan, demo)}
