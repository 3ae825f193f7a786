"""Argument checks shared by the public functions.

Every public entry point validates its inputs here first, so that a mistake is reported
as a ``TypeError`` or ``ValueError`` that names the argument and the shapes involved,
instead of surfacing later as a deep PyTorch traceback.
"""

from __future__ import annotations

import torch
from torch import Tensor


def shape_of(x: Tensor) -> str:
    """Format a shape as ``(2, 3, 4)`` for error messages (a 0-d tensor is ``()``)."""
    return "(" + ", ".join(str(d) for d in x.shape) + ("," if x.dim() == 1 else "") + ")"


def tensor(
    name: str,
    x: object,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_ndim: int | None = None,
    floating: bool = True,
) -> Tensor:
    """Check that ``x`` is a tensor (floating point by default) of an allowed rank."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if floating and not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {x.dtype} with shape "
            f"{shape_of(x)}; convert it with {name}.float()"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.dim() not in allowed:
            wanted = " or ".join(str(n) for n in allowed)
            raise ValueError(
                f"{name} must have {wanted} dimensions, got {x.dim()} with shape {shape_of(x)}"
            )
    if min_ndim is not None and x.dim() < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions, got {x.dim()} "
            f"with shape {shape_of(x)}"
        )
    return x


def last_dim(name: str, x: object, expected: int, what: str) -> Tensor:
    """Check that ``x`` is a floating tensor whose last dimension, ``what``, is ``expected``."""
    x = tensor(name, x, min_ndim=1)
    if x.size(-1) != expected:
        raise ValueError(
            f"{name} has last dimension {x.size(-1)} (shape {shape_of(x)}), "
            f"but this layer expects {what} = {expected}"
        )
    return x


def same_dtype(**tensors: Tensor) -> None:
    """Check that the named tensors share one dtype."""
    dtypes = {t.dtype for t in tensors.values()}
    if len(dtypes) > 1:
        listing = ", ".join(f"{n} {t.dtype}" for n, t in tensors.items())
        raise TypeError(f"expected one dtype, got {listing}")


def positive_int(name: str, value: object) -> int:
    """Check that ``value`` is a positive ``int`` (``bool`` is refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def mask(
    name: str, m: object, expected: tuple[int, ...], *, describe: str, allow_broadcast: bool = True
) -> Tensor:
    """Check a boolean or floating-point mask against the shape it must fit.

    ``expected`` is the full shape the mask is applied to; with ``allow_broadcast`` a
    mask that broadcasts to it (e.g. ``(T, S)`` for ``(B, H, T, S)``) is accepted.
    ``describe`` names the axes of ``expected`` for the message, e.g. ``"(T, S)"``.
    """
    if not isinstance(m, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(m).__name__}")
    if m.dtype != torch.bool and not m.is_floating_point():
        raise TypeError(
            f"{name} must be a bool or floating-point tensor, got dtype {m.dtype}; "
            f"use a bool mask, or a float mask of 0 and -inf"
        )
    wanted = "(" + ", ".join(str(d) for d in expected) + ")"
    if allow_broadcast:
        try:
            fits = torch.broadcast_shapes(m.shape, expected) == torch.Size(expected)
        except RuntimeError:
            fits = False
    else:
        fits = tuple(m.shape) == tuple(expected)
    if not fits:
        how = "broadcast to" if allow_broadcast else "have shape"
        raise ValueError(f"{name} must {how} {describe} = {wanted}, got shape {shape_of(m)}")
    return m


def attention_inputs(
    query: object,
    key: object,
    value: object,
    attn_mask: object,
    is_causal: object,
    scale: object,
) -> None:
    """Check the arguments of :func:`qkv_lib.scaled_dot_product_attention` (see its docstring).

    ``query (..., T, Dk)``, ``key (..., S, Dk)`` and ``value (..., S, Dv)`` of one floating
    dtype whose leading dimensions broadcast; ``attn_mask`` broadcastable to ``(..., T, S)``,
    not together with ``is_causal``; ``scale`` a number or None.
    """
    query = tensor("query", query, min_ndim=2)
    key = tensor("key", key, min_ndim=2)
    value = tensor("value", value, min_ndim=2)
    same_dtype(query=query, key=key, value=value)
    q_shape, k_shape, v_shape = shape_of(query), shape_of(key), shape_of(value)
    if query.size(-1) != key.size(-1):
        raise ValueError(
            f"query and key must have the same last dimension d_k to be compared, "
            f"got query {q_shape} and key {k_shape}"
        )
    if key.size(-2) != value.size(-2):
        raise ValueError(
            f"key and value must have the same number of positions S (dimension -2), "
            f"got key {k_shape} and value {v_shape}"
        )
    try:
        batch = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch) dimensions of query {q_shape}, key {k_shape} and "
            f"value {v_shape} do not broadcast together"
        ) from None
    if is_causal and attn_mask is not None:
        raise ValueError("give either attn_mask or is_causal=True, not both")
    if attn_mask is not None:
        T, S = query.size(-2), key.size(-2)
        mask("attn_mask", attn_mask, (*batch, T, S), describe="(..., T, S)")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise TypeError(f"scale must be a number or None, got {type(scale).__name__}")
