"""An explorer's controls: a ``Slider`` or a ``Dropdown`` over a fixed tuple of values.

The values are fixed so that every frame can be precomputed for the kernel-free twin; the
live widget offers exactly the same values. First used in chapter 1, Q, K and V as retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Control", "Dropdown", "Slider"]


@dataclass(frozen=True)
class Control:
    """What every control has: a ``name`` (the ``draw`` argument it sets), a ``label``, its
    ``choices``, a ``default`` (None: the first choice) and ``fmt`` to show a value."""

    name: str
    label: str
    choices: tuple = ()
    default: Any = None
    fmt: str | Callable[[Any], str] = "{}"

    def __post_init__(self) -> None:
        kind = type(self).__name__
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"{kind} name must be a Python identifier; got {self.name!r}")
        choices = tuple(self.choices)
        if not choices:
            raise ValueError(f"{kind} {self.name!r} needs at least one value; got none")
        if len(set(map(repr, choices))) != len(choices):
            raise ValueError(f"{kind} {self.name!r} has repeated values: {choices}")
        object.__setattr__(self, "choices", choices)
        if self.default is None:
            object.__setattr__(self, "default", choices[0])
        elif self.default not in choices:
            raise ValueError(
                f"{kind} {self.name!r}: default {self.default!r} is not one of its values {choices}"
            )
        if not (isinstance(self.fmt, str) or callable(self.fmt)):
            raise TypeError(f"{kind} {self.name!r}: fmt must be a format string or a callable")

    def text(self, value: Any) -> str:
        """How ``value`` is shown next to the control."""
        return self.fmt.format(value) if isinstance(self.fmt, str) else str(self.fmt(value))


class Slider(Control):
    """A slider over a fixed tuple of values: ``Slider(name, label, values, default=None)``.

    ``default`` None means the first value; ``fmt`` is a format string ("{}°") or a callable.
    """

    def __init__(
        self,
        name: str,
        label: str,
        values: Sequence[Any],
        default: Any = None,
        fmt: str | Callable[[Any], str] = "{}",
    ) -> None:
        super().__init__(name, label, tuple(values), default, fmt)

    @property
    def values(self) -> tuple:
        return self.choices

    def __repr__(self) -> str:
        n = len(self.values)
        return f"Slider({self.name!r}, {self.label!r}, {n} values, default={self.default!r})"


class Dropdown(Control):
    """A drop-down menu over fixed options: ``Dropdown(name, label, options, default=None)``."""

    def __init__(
        self,
        name: str,
        label: str,
        options: Sequence[Any],
        default: Any = None,
        fmt: str | Callable[[Any], str] = "{}",
    ) -> None:
        super().__init__(name, label, tuple(options), default, fmt)

    @property
    def options(self) -> tuple:
        return self.choices

    def __repr__(self) -> str:
        n = len(self.options)
        return f"Dropdown({self.name!r}, {self.label!r}, {n} options, default={self.default!r})"
