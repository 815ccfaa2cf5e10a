"""One call of one layer, as a family's rules see it.

A shape rule takes the layer's registry key and config (in Keras 2/3 spelling,
see `spelling`), the shapes of the tensors fed to the call in order, and the
call's own keyword arguments where the file stores them; it returns the shapes
of the call's outputs, or None when Keras's own rule would need something the
file does not say. A cost rule takes the same call and its output shapes. Rules
loop only over ranks and input counts, never over a dimension's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kerascope.families.dims import Shape

Outputs = list[Shape]
# What a rule raises on a config whose values have the wrong types or sizes.
MALFORMED = (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, OverflowError, AttributeError)


@dataclass
class Call:
    class_name: str  # the registry key: `Dense`, `op:Add`, `app:LayerScale`
    config: dict[str, Any]
    inputs: list[Shape]
    kwargs: dict[str, Any] = field(default_factory=dict)
    keras3: bool = True  # whose rules: Keras 3's, or Keras 1/2's where they differ

    @property
    def x(self) -> Shape:
        """The first input, the one most layers have."""
        return self.inputs[0] if self.inputs else None

    def get(self, key: str, default: Any = None) -> Any:
        value = self.config.get(key, default)
        return default if value is None else value

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean argument: from the call's own kwargs first, then the config."""
        value = self.kwargs.get(key, self.config.get(key, default))
        return value if isinstance(value, bool) else default

    def channels_first(self) -> bool:
        return self.config.get("data_format") == "channels_first"
