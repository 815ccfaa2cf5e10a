"""Shape arithmetic several families share: Keras's broadcasting of merged inputs,
concatenation along an axis, and a reshape target's -1 worked out."""

from __future__ import annotations

from kerascope.families import dims
from kerascope.families.dims import Shape, normalize_axis


def broadcast(shapes: list[Shape]) -> Shape:
    """Keras's merge rule: the batch size if the inputs name one, then the other
    dimensions broadcast from the right, unknown wherever one input's is unknown."""
    if not shapes or any(s is None or not s for s in shapes):
        return None
    batches = {s[0] for s in shapes} - {None}  # type: ignore[index]
    batch = batches.pop() if len(batches) == 1 else None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out: list[int | None] = []
    for position in range(1, rank):
        sizes = [s[len(s) - rank + position] for s in shapes if len(s) - rank + position >= 1]  # type: ignore[arg-type,index]
        if any(size is None for size in sizes):
            out.append(None)
            continue
        wide = {size for size in sizes if size != 1}
        if len(wide) > 1:
            return None
        out.append(wide.pop() if wide else 1)
    return (batch, *out)


def concat(shapes: list[Shape], axis: object) -> Shape:
    if not shapes or any(s is None for s in shapes):
        return None
    rank = len(shapes[0])  # type: ignore[arg-type]
    index = normalize_axis(axis, rank)
    if index is None or any(len(s) != rank for s in shapes):  # type: ignore[arg-type]
        return None
    out = list(shapes[0])  # type: ignore[arg-type]
    out[index] = dims.add(*(s[index] for s in shapes))  # type: ignore[index]
    return tuple(out)


def resolve_minus_one(target: list[int | None], source: Shape) -> tuple[int | None, ...]:
    """A reshape target with its -1 worked out from the source, when every size is known."""
    known = dims.elements(source)
    if -1 not in target:
        if any(d is not None and d < 0 for d in target):
            return tuple(None for _ in target)
        product = dims.elements(tuple(target))
        if known is not None and product is not None and known != product:
            return tuple(None for _ in target)
        return tuple(target)
    rest = dims.elements(tuple(d for d in target if d != -1))
    if known is None or not rest or known % rest:
        return tuple(None if d == -1 else d for d in target)
    return tuple(dims.check(known // rest) if d == -1 else d for d in target)
