"""The arguments a checker passes to a learner's function: :class:`Inputs`.

Every exercise builds its own fixed inputs, float64 tensors whose axes all have different
sizes (a bool tensor for a mask, an int64 one for sequence lengths), plus plain ints such as
``num_heads``. A grader running the learner's code in another process sends them there as a
payload (:meth:`Inputs.to_payload`), which :meth:`Inputs.from_payload` checks field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from . import payload as p


@dataclass(frozen=True)
class Inputs:
    """The arguments the checker passes, their names, and the named sizes of their axes."""

    args: tuple
    names: tuple[str, ...]
    sizes: dict[str, int]  # axis name -> size, all sizes distinct, e.g. {"B": 2, "T": 3}

    def fresh(self) -> tuple:
        """Copies of the arguments, so an answer that mutates them cannot spoil later runs."""
        return tuple(a.clone() if isinstance(a, Tensor) else a for a in self.args)

    def to_payload(self) -> dict[str, Any]:
        """The inputs as plain data that ``torch.load(..., weights_only=True)`` reads back."""
        return {
            "args": [a.detach().clone() if isinstance(a, Tensor) else a for a in self.args],
            "names": list(self.names),
            "sizes": dict(self.sizes),
        }

    @classmethod
    def from_payload(cls, payload: Any) -> Inputs:
        """The inputs in ``payload``; raises ``ValueError`` naming anything unexpected."""
        p.fields(payload, "inputs", ("args", "names", "sizes"))
        args = p.sequence(payload["args"], "inputs['args']")
        args = tuple(_argument(a, f"inputs['args'][{i}]") for i, a in enumerate(args))
        names = p.strings(payload["names"], "inputs['names']")
        if len(names) != len(args):
            raise ValueError(f"inputs has {len(args)} args but {len(names)} names")
        if len(set(names)) != len(names):
            raise ValueError(f"inputs['names'] repeats a name: {list(names)}")
        sizes = payload["sizes"]
        if not isinstance(sizes, dict):
            raise ValueError(f"inputs['sizes'] must be a dict, not {type(sizes).__name__}")
        for name, size in sizes.items():
            p.string(name, "a key of inputs['sizes']")
            p.integer(size, f"inputs['sizes'][{name!r}]", minimum=0)
        return cls(args, names, dict(sizes))


def _argument(value: Any, where: str) -> Tensor | int | float:
    """One argument: a plain tensor, an int or a float."""
    if type(value) in (int, float):
        return value
    if isinstance(value, Tensor):
        return p.tensor(value, where)
    what = type(value).__name__
    raise ValueError(f"{where} must be a torch.Tensor, an int or a float, not {what}")
