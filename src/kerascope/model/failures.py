"""Where a stage of the pipeline failed, layer by layer.

A stage that works layer by layer (the shape engine's graph pass, weight naming,
pricing, each static check) catches what one layer's work raises, hands it here,
and goes on with the next layer: that layer's fact stays unknown. The pipeline
turns each failure into a finding naming the stage and the layer. Called on its
own, without a collector, a stage raises as it always did (`RAISE`), so a direct
caller, a benchmark or a test sees the bug itself.

Never collected, always raised on: `TimeLimitExceeded` and `KeyboardInterrupt`
(BaseExceptions, which no stage catches), a `KerascopeError` (a verdict on the
input, such as a limit, which ends the read in one line as it always did) and
`MemoryError` (the process is out of memory; a scan's fence reports it).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerascope.errors import KerascopeError
from kerascope.model.vocabulary import Stage


@dataclass(frozen=True)
class StageFailure:
    """What one layer's work in one stage raised; `part` names the check, for the checks stage."""

    stage: Stage
    path: str
    error: Exception
    part: str | None = None


class Failures:
    """The failures of one report's stages, one per stage, layer and part (the
    shape engine makes several passes; a layer that fails in each is one failure)."""

    def __init__(self) -> None:
        self._found: dict[tuple[Stage, str, str | None], StageFailure] = {}

    def add(self, stage: Stage, path: str, error: Exception, part: str | None = None) -> None:
        if isinstance(error, (KerascopeError, MemoryError)):
            raise error
        self._found.setdefault((stage, path, part), StageFailure(stage, path, error, part))

    def take(self) -> list[StageFailure]:
        """The failures so far, in the order they happened; the collector starts empty again."""
        found = list(self._found.values())
        self._found.clear()
        return found


class _Raising(Failures):
    def add(self, stage: Stage, path: str, error: Exception, part: str | None = None) -> None:
        raise error


# The collector of a stage called on its own: every failure raises.
RAISE: Failures = _Raising()
