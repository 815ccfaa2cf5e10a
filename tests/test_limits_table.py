"""The limits exist once, as the fields of `Limits`: the command line's flags and their
help come from them, and SECURITY.md's table of limits says the same, row for row."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from kerascope.cli.arguments import limits_of
from kerascope.cli.parser import build_parser
from kerascope.limits import DEFAULT_LIMITS, FLAGS, LimitExceeded, Limits, flag, meaning, unit

SECURITY = Path(__file__).resolve().parents[1] / "SECURITY.md"
GiB, MiB = 1 << 30, 1 << 20


def _default(name: str) -> str:
    value = getattr(DEFAULT_LIMITS, name)
    if unit(name) == "bytes" and value % MiB == 0:
        return f"{value // GiB} GiB" if value % GiB == 0 else f"{value // MiB} MiB"
    if unit(name) and unit(name) != "bytes":
        return f"{value}{unit(name)}"
    return f"{value:,}".replace(",", " ") + (" bytes" if unit(name) else "")


def _row(name: str) -> str:
    where = f"`{flag(name)}`" if name in FLAGS else f"`Limits({name}=...)`"
    return f"| {meaning(name)} | {_default(name)} | {where} |"


def test_security_md_table_has_one_row_per_limit_in_its_order():
    text = SECURITY.read_text("utf-8")
    lines = [line.strip() for line in text[text.index("| limit | default | flag |") :].splitlines()]
    table = lines[2 : lines.index("")]
    expected = [_row(limit.name) for limit in fields(Limits)]
    assert table[: len(expected)] == expected, "SECURITY.md's limits should read:\n" + "\n".join(expected)
    names = {limit.name for limit in fields(Limits)} | {flag(limit.name) for limit in fields(Limits)}
    assert not [row for row in table[len(expected) :] if any(name in row for name in names)], (
        "the rows after the fields' are limits that are not fields (the pickle walk's, the time limit)"
    )


# Each command that reads files, with the arguments it requires.
COMMANDS = {
    "inspect": ["m"],
    "show": ["m", "l"],
    "diff": ["a", "b"],
    "check": ["m"],
    "scan": ["d", "--catalog", "c"],
}


def test_flags_are_the_limits_marked_for_the_command_line():
    parser = build_parser()
    for command, argv in COMMANDS.items():
        given = parser.parse_args([command, *argv, *(f"{flag(name)}=7" for name in FLAGS)])
        assert limits_of(given) == Limits(**dict.fromkeys(FLAGS, 7)), command
        defaults = parser.parse_args([command, *argv])
        assert limits_of(defaults) == DEFAULT_LIMITS, command
    assert FLAGS and set(FLAGS) < {limit.name for limit in fields(Limits)}


def test_a_limit_exceeded_says_how_to_raise_it():
    assert "(to read it anyway: --max-layers, or Limits(max_layers=...))" in str(
        LimitExceeded("too many", "max_layers")
    )
    assert str(LimitExceeded("too deep", "max_h5_depth")).endswith(
        "(to read it anyway: Limits(max_h5_depth=...))"
    )
