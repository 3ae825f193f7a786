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


def dtype_of_weights(name: str, x: Tensor, weight: Tensor) -> None:
    """Check that the input ``x`` has the dtype of the layer's ``weight``: matmul needs one."""
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the layer's weights have dtype {weight.dtype}; "
            f"convert the input ({name}.to({weight.dtype})) or the layer (layer.to({x.dtype}))"
        )


def flag(name: str, value: object) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (a truthy string is a mistake, not a yes)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def device(name: str, value: object) -> torch.device | None:
    """Check ``value``: None, a ``torch.device`` or a name such as ``"cpu"``."""
    if value is None or isinstance(value, torch.device):
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a torch.device, a name such as 'cpu', or None, "
            f"got {type(value).__name__}"
        )
    try:
        return torch.device(value)
    except RuntimeError:
        raise ValueError(
            f"{name} must name a device such as 'cpu' or 'cuda:0', got {value!r}"
        ) from None


def float_dtype(name: str, value: object) -> torch.dtype | None:
    """Check ``value``: None or a floating-point ``torch.dtype``."""
    if value is not None and (not isinstance(value, torch.dtype) or not value.is_floating_point):
        raise TypeError(
            f"{name} must be a floating-point torch.dtype such as torch.float32, or None, "
            f"got {value!r}"
        )
    return value


def axis(name: str, x: Tensor, dim: object) -> int:
    """Check that ``dim`` is an ``int`` naming an axis of ``x`` (negative counts from the end)."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    if not -x.dim() <= dim < x.dim():
        raise ValueError(
            f"{name} = {dim} is not an axis of a tensor with {x.dim()} dimensions "
            f"(shape {shape_of(x)}): use {-x.dim()} to {x.dim() - 1}"
        )
    return dim


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

    The common case (three tensors of one floating dtype with equal leading dimensions, a mask
    of shape ``(T, S)`` or the full ``(..., T, S)``) is recognised from attribute reads alone;
    anything else goes through :func:`_attention_inputs_in_full`, which names the problem.
    """
    if isinstance(query, Tensor) and isinstance(key, Tensor) and isinstance(value, Tensor):
        q, k, v = query.shape, key.shape, value.shape
        if (
            len(q) >= 2
            and len(k) >= 2
            and len(v) >= 2
            and q[-1] == k[-1]
            and k[-2] == v[-2]
            and q[:-2] == k[:-2] == v[:-2]
            and query.dtype == key.dtype == value.dtype
            and query.is_floating_point()
            and (scale is None or type(scale) is float)
            and type(is_causal) is bool
            and (attn_mask is None or (not is_causal and _plain_mask(attn_mask, q, k)))
        ):
            return
    _attention_inputs_in_full(query, key, value, attn_mask, is_causal, scale)


def _plain_mask(attn_mask: object, q: torch.Size, k: torch.Size) -> bool:
    """Whether ``attn_mask`` is a bool or float tensor of shape ``(T, S)`` or ``(..., T, S)``."""
    if not isinstance(attn_mask, Tensor):
        return False
    if attn_mask.dtype != torch.bool and not attn_mask.is_floating_point():
        return False
    shape = attn_mask.shape
    return shape == (q[-2], k[-2]) or shape == (*q[:-2], q[-2], k[-2])


def _attention_inputs_in_full(
    query: object,
    key: object,
    value: object,
    attn_mask: object,
    is_causal: object,
    scale: object,
) -> None:
    """Every check of :func:`attention_inputs`, one by one; raises on the first that fails."""
    query = tensor("query", query, min_ndim=2)
    key = tensor("key", key, min_ndim=2)
    value = tensor("value", value, min_ndim=2)
    same_dtype(query=query, key=key, value=value)
    if query.size(-1) != key.size(-1):
        raise ValueError(
            f"query and key must have the same last dimension d_k to be compared, "
            f"got query {shape_of(query)} and key {shape_of(key)}"
        )
    if key.size(-2) != value.size(-2):
        raise ValueError(
            f"key and value must have the same number of positions S (dimension -2), "
            f"got key {shape_of(key)} and value {shape_of(value)}"
        )
    try:
        batch = torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch) dimensions of query {shape_of(query)}, key {shape_of(key)} "
            f"and value {shape_of(value)} do not broadcast together"
        ) from None
    if flag("is_causal", is_causal) and attn_mask is not None:
        raise ValueError("give either attn_mask or is_causal=True, not both")
    if attn_mask is not None:
        T, S = query.size(-2), key.size(-2)
        mask("attn_mask", attn_mask, (*batch, T, S), describe="(..., T, S)")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise TypeError(f"scale must be a number or None, got {type(scale).__name__}")


def mha_inputs(query: object, key: object, value: object, weight: Tensor) -> bool:
    """Check the inputs of :class:`qkv_lib.MultiHeadAttention`; return whether they are batched.

    ``query``, ``key`` and ``value`` must be tensors of one floating dtype, that of the layer's
    ``weight``, and all 2-D (unbatched) or all 3-D (batched).
    """
    if not (
        isinstance(query, Tensor)
        and isinstance(key, Tensor)
        and isinstance(value, Tensor)
        and query.ndim == key.ndim == value.ndim
        and query.ndim in (2, 3)
        and query.dtype == key.dtype == value.dtype
        and query.is_floating_point()
    ):
        query = tensor("query", query, ndim=(2, 3))
        key = tensor("key", key, ndim=(2, 3))
        value = tensor("value", value, ndim=(2, 3))
        if key.dim() != query.dim() or value.dim() != query.dim():
            raise ValueError(
                "query, key and value must all be batched (3-D) or all unbatched (2-D), got "
                f"query {shape_of(query)}, key {shape_of(key)}, value {shape_of(value)}"
            )
        same_dtype(query=query, key=key, value=value)
    dtype_of_weights("query", query, weight)
    return query.ndim == 3


def mha_sizes(
    query: Tensor, key: Tensor, value: Tensor, embed_dim: int, kdim: int, vdim: int
) -> None:
    """Check batch-first ``query (B, T, embed_dim)``, ``key (B, S, kdim)``, ``value (B, S, vdim)``.

    The common case costs a few attribute reads; the messages are built only to raise.
    """
    q, k, v = query.shape, key.shape, value.shape
    if (q[2], k[2], v[2]) == (embed_dim, kdim, vdim) and q[0] == k[0] == v[0] and k[1] == v[1]:
        return
    shapes = {"query": shape_of(query), "key": shape_of(key), "value": shape_of(value)}
    for name, size, expected, what in (
        ("query", q[2], embed_dim, "embed_dim"),
        ("key", k[2], kdim, "kdim"),
        ("value", v[2], vdim, "vdim"),
    ):
        if size != expected:
            raise ValueError(
                f"{name} has last dimension {size} (batch-first shape {shapes[name]}), "
                f"but this layer expects {what} = {expected}"
            )
    if not q[0] == k[0] == v[0]:
        raise ValueError(
            "query, key and value must have the same batch size B, got batch-first shapes "
            f"query {shapes['query']}, key {shapes['key']}, value {shapes['value']}"
        )
    raise ValueError(
        "key and value must have the same length S, got batch-first shapes "
        f"key {shapes['key']} and value {shapes['value']}"
    )


def mha_masks(key_padding_mask: object, attn_mask: object, B: int, H: int, T: int, S: int) -> None:
    """Check the masks of :class:`qkv_lib.MultiHeadAttention` against their shapes.

    ``key_padding_mask`` is ``(B, S)``; ``attn_mask`` is ``(T, S)`` or ``(B*H, T, S)``.
    """
    if attn_mask is not None:
        tensor("attn_mask", attn_mask, ndim=(2, 3), floating=False)
        if attn_mask.dim() == 2:
            mask("attn_mask", attn_mask, (T, S), describe="(T, S)", allow_broadcast=False)
        else:
            mask(
                "attn_mask", attn_mask, (B * H, T, S), describe="(B*H, T, S)", allow_broadcast=False
            )
    if key_padding_mask is not None:
        mask("key_padding_mask", key_padding_mask, (B, S), describe="(B, S)", allow_broadcast=False)
