"""`kerascope demo`: the main job on the built-in example models."""

from __future__ import annotations

from kerascope.errors import KerascopeError
from kerascope.report import ModelReport


def demo_reports() -> list[ModelReport]:
    """Reports of the example models, built live with Keras."""
    try:
        import keras
    except ImportError:
        raise KerascopeError("the demo needs Keras: pip install 'kerascope[keras]'") from None
    from kerascope.examples import build_examples
    from kerascope.live.walk import inspect_live

    return [inspect_live(model, source=f"example:{name}") for name, model in build_examples(keras).items()]
