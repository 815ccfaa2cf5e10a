"""The README, run: every command, snippet and query in it, on the files
`scripts/make_readme_examples.py` saves with Keras (what `make examples` writes), and
every output it shows compared with what kerascope prints.

How the README is read:

* a ```` ```text ```` block is a session: each `$ COMMAND` line runs (a trailing `#
  comment` is not part of it), and the lines up to the next `$` line are what it
  prints. In them `…` stands for any text
  within a line (what depends on the machine: a path, a time, bytes fetched), and a
  line that is only `…` for any number of lines. Nothing else is loose: a changed
  number, word or line fails the test. A command's standard error is compared only
  when it prints nothing else (an error).
* a ```` ```sh ```` block is commands without shown output: each `kerascope` line runs
  and must not fail (exit 0, or 1 where the command says "found something");
  `make` and `pip` lines set up a clone and are not run here (`make test` is this).
* a ```` ```python ```` block runs as one script; a ```` ```pycon ```` block is a
  doctest (its `>>>` lines run, and what each prints is compared, `…` as above).
* a ```` ```sql ```` block runs, statement by statement, on the catalog the README's
  `kerascope scan` command makes.

Two things are put in the place of what a test run cannot have: the local server the
README starts (`python tests/support/range_server.py .`, port 8000) is the tests' own
on a free port, and `hf://keras/bert_tiny_en_uncased` (the Hugging Face Hub) is the
same kind of preset served by it.
"""

from __future__ import annotations

import doctest
import io
import re
import shlex
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

import kerascope
from kerascope.cli import main

from support.range_server import range_server

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_SERVER = "http://127.0.0.1:8000"
HUB_PRESET = "hf://keras/bert_tiny_en_uncased"
SET_UP = ("make ", "pip ")


@dataclass(frozen=True)
class Block:
    language: str
    line: int  # where it starts in the README, 1-based
    lines: tuple[str, ...]

    @property
    def name(self) -> str:
        first = next((line for line in self.lines if line.strip()), "")
        return f"README.md:{self.line} {self.language} {first[:48]}"


def readme_blocks() -> list[Block]:
    blocks, fence, start, body = [], None, 0, []
    for number, line in enumerate(README.read_text("utf-8").splitlines(), 1):
        if fence is None and line.startswith("```"):
            fence, start, body = line[3:].strip(), number, []
        elif fence is not None and line.startswith("```"):
            blocks.append(Block(fence, start, tuple(body)))
            fence = None
        elif fence is not None:
            body.append(line)
    return blocks


BLOCKS = readme_blocks()


# -- the files and the server ------------------------------------------------------------
@pytest.fixture(scope="module")
def examples(tmp_path_factory, keras3):
    """The README's files, saved in a fresh process (the names Keras gives count from
    its start, and the README shows a fresh process's)."""
    folder = tmp_path_factory.mktemp("readme") / "examples"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_readme_examples.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return folder


@pytest.fixture(scope="module")
def server(examples):
    with range_server(examples) as (url, _):
        yield url


@pytest.fixture
def in_examples(examples, server, monkeypatch):
    """Commands run as a user runs them from the examples folder (`module:attr`
    targets import from it), with the README's server and hub in place."""
    monkeypatch.chdir(examples)
    monkeypatch.syspath_prepend(str(examples))
    return examples, server


def local(text: str, server: str) -> str:
    return text.replace(README_SERVER, server).replace(HUB_PRESET, f"{server}/hub/keras/bert_tiny_en_uncased")


def as_shown(text: str, server: str) -> str:
    return text.replace(server, README_SERVER)


# -- running commands ---------------------------------------------------------------------
def run_command(command: str, server: str) -> tuple[int, str]:
    """A `kerascope ...` line run in this process: its exit code, and what it printed
    (its standard output; its standard error where it printed nothing else, as an
    error does: a scan's progress lines on standard error are for a terminal)."""
    argv = shlex.split(local(command, server), comments=True)
    assert argv[0] == "kerascope", command
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv[1:])
        except SystemExit as exited:
            code = exited.code
    return code, as_shown(out.getvalue() or err.getvalue(), server)


def sessions(block: Block) -> list[tuple[str, list[str]]]:
    """`(command, shown output lines)` for each `$` line of a text block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            assert found, f"{block.name}: output before any `$` command"
            found[-1][1].append(line)
    for _, shown in found:
        while shown and not shown[-1].strip():
            shown.pop()
    return found


def _pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in line.rstrip().split("…")))


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether printed lines are the shown ones: `…` any text within a line, a line of
    only `…` any number of lines."""
    patterns = [None if line.strip() == "…" else _pattern(line) for line in shown]
    reachable = {0}  # positions in `printed` the patterns so far can end at
    for pattern in patterns:
        if pattern is None:
            reachable = set(range(min(reachable), len(printed) + 1)) if reachable else set()
        else:
            reachable = {
                i + 1 for i in reachable if i < len(printed) and pattern.fullmatch(printed[i].rstrip())
            }
    return len(printed) in reachable


def assert_prints(block: Block, command: str, shown: list[str], server: str) -> None:
    code, printed = run_command(command, server)
    lines = printed.rstrip("\n").splitlines()
    is_error = bool(shown) and shown[0].startswith("kerascope: ")
    assert code == (2 if is_error else code) and code in ((2,) if is_error else (0, 1)), (
        command,
        code,
        printed,
    )
    assert matches(shown, lines), (
        f"{block.name}: `{command}` prints\n"
        + "\n".join(lines)
        + "\nbut the README shows\n"
        + "\n".join(shown)
    )


# -- the tests ----------------------------------------------------------------------------
def _blocks(language: str) -> list[Block]:
    return [block for block in BLOCKS if block.language == language]


def test_every_block_is_of_a_kind_this_test_runs():
    assert {block.language for block in BLOCKS} <= {"text", "sh", "python", "pycon", "sql"}
    assert _blocks("text") and _blocks("sh") and _blocks("python") and _blocks("pycon") and _blocks("sql")


@pytest.mark.parametrize("block", _blocks("text"), ids=lambda block: block.name)
def test_shown_output_is_what_kerascope_prints(block, in_examples):
    _, server = in_examples
    found = sessions(block)
    assert found, f"{block.name}: a text block with no `$` command"
    for command, shown in found:
        assert_prints(block, command, shown, server)


@pytest.mark.parametrize("block", _blocks("sh"), ids=lambda block: block.name)
def test_every_command_runs(block, in_examples):
    _, server = in_examples
    ran = 0
    for line in block.lines:
        command = line.split(" #")[0].strip()
        if not command or command.startswith(SET_UP):
            continue
        code, printed = run_command(command, server)
        assert code in (0, 1), (command, printed)
        ran += 1
    assert ran or all(line.startswith(SET_UP) or not line.strip() for line in block.lines)


@pytest.mark.parametrize("block", _blocks("python"), ids=lambda block: block.name)
def test_every_snippet_runs(block, in_examples):
    _, server = in_examples
    namespace: dict[str, object] = {"__name__": "readme"}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(local("\n".join(block.lines), server), block.name, "exec"), namespace)
    assert "kerascope" in namespace and namespace["kerascope"] is kerascope


class _Ellipsis(doctest.OutputChecker):
    """doctest's comparison with the README's `…`."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return matches(want.rstrip("\n").splitlines(), got.rstrip("\n").splitlines())


@pytest.mark.parametrize("block", _blocks("pycon"), ids=lambda block: block.name)
def test_every_session_prints_what_it_shows(block, in_examples):
    _, server = in_examples
    test = doctest.DocTestParser().get_doctest(
        local("\n".join(block.lines), server), {}, block.name, None, block.line
    )
    assert test.examples
    runner = doctest.DocTestRunner(checker=_Ellipsis(), optionflags=doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


@pytest.mark.parametrize("block", _blocks("sql"), ids=lambda block: block.name)
def test_every_query_runs_on_the_catalog(block, in_examples, tmp_path):
    _, server = in_examples
    scans = [line for b in _blocks("text") for line in b.lines if line.startswith("$ kerascope scan ")]
    assert scans, "the README shows no scan"
    catalog = tmp_path / "catalog.duckdb"
    argv = shlex.split(scans[0][2:], comments=True)
    argv[argv.index("--catalog") + 1] = str(catalog)
    code, printed = run_command(shlex.join(argv), server)
    assert code in (0, 1), printed
    statements = [
        part.strip()
        for part in "\n".join(line for line in block.lines if not line.lstrip().startswith("--")).split(";")
        if part.strip()
    ]
    assert statements
    with duckdb.connect(str(catalog), read_only=True) as db:
        for statement in statements:
            assert db.execute(statement).fetchall(), statement


def test_the_doc_test_fails_when_an_example_changes(examples, server, monkeypatch):
    """The comparison is strict: one number changed in a shown output, or one line
    added, no longer matches what kerascope prints."""
    monkeypatch.chdir(examples)
    block = next(
        block
        for block in _blocks("text")
        if any("recurrent.keras -f markdown" in line for line in block.lines)
    )
    ((command, shown),) = sessions(block)
    _, printed = run_command(command, server)
    lines = printed.rstrip("\n").splitlines()
    assert matches(shown, lines)
    changed = [line.replace("| 18 |", "| 19 |") for line in shown]
    assert changed != shown and not matches(changed, lines)
    assert not matches([*shown, "| `extra` | Dense | layer |  | 1 |  |"], lines)
    assert not matches(shown[:-1], lines)
    assert matches([*shown[:3], "…"], lines) and not matches([shown[0], "…x"], lines)


def test_the_load_check_example_is_what_keras_does(examples, keras3):
    """The README's "why won't this load" example, against Keras itself: the encoder's
    weights into the same encoder with four attention heads raise the error the README
    shows, word for word, and leave the layers it says load holding the saved values."""
    block = next(
        block for block in _blocks("text") if any("kerascope load-check" in line for line in block.lines)
    )
    ((command, shown),) = sessions(block)
    argv = shlex.split(command, comments=True)
    weights, into = examples / argv[2], examples / argv[argv.index("--into") + 1]
    check = kerascope.load_check(weights, into)
    model = keras3.saving.load_model(into)
    saved = keras3.saving.load_model(examples / "model.keras")
    with pytest.raises(ValueError) as raised:
        model.load_weights(weights)
    assert str(raised.value) == check.keras_message and not check.loads
    assert all(f"  {line}".rstrip() in shown for line in check.keras_message.splitlines())
    for path in check.matched:
        mine, theirs = model.get_layer(path.split("/")[0]), saved.get_layer(path.split("/")[0])
        for name in path.split("/")[1:]:
            mine, theirs = mine.get_layer(name), theirs.get_layer(name)
        assert all((a.numpy() == b.numpy()).all() for a, b in zip(mine.weights, theirs.weights, strict=True))
    assert check.matched == ["block/norm", "classifier"]
    assert set(check.shape_mismatch) == {
        f"block/attention/{name}" for name in ("query", "key", "value", "attention_output")
    }
