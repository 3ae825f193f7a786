"""Multi-head attention as a readable module that matches ``torch.nn.MultiheadAttention``.

Taught in chapter 5 (multi-head attention); the mask conventions in chapters 4 and 6.

The layer keeps four separate projections (``q_proj``, ``k_proj`` and ``v_proj`` in its
:class:`~qkv_lib.QKVProjection`, and ``out_proj``) where PyTorch stacks the first three
weights into ``in_proj_weight``; :meth:`MultiHeadAttention.from_torch` and
:meth:`MultiHeadAttention.to_torch` convert between the two layouts. Differences from
PyTorch, on purpose:

* ``is_causal=True`` without an ``attn_mask`` builds the causal mask (PyTorch requires
  the mask as well and treats ``is_causal`` as a hint).
* A query whose keys are all masked gets zero weights, so its output is ``out_proj.bias``.
  PyTorch's module returns NaN for it when it computes the weights (``need_weights=True``,
  and on its fast inference path); without weights it returns ``out_proj.bias`` as we do.
* No dropout, ``add_bias_kv`` or ``add_zero_attn``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import _validate
from .attention import scaled_dot_product_attention
from .heads import merge_heads, split_heads
from .masks import additive_mask, causal_mask
from .projections import QKVProjection

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(nn.Module):
    """Multi-head attention with the interface of ``torch.nn.MultiheadAttention``.

    With ``batch_first=True``: ``query (B, T, E)``, ``key (B, S, kdim)``,
    ``value (B, S, vdim)`` give ``out (B, T, E)`` and ``weights (B, T, S)`` (averaged over
    heads) or ``(B, H, T, S)``. With ``batch_first=False`` the first two axes of inputs and
    output are swapped; unbatched inputs ``(T, E)`` are accepted as well. Each head dots
    vectors of width Dh = E / H, so the scores are scaled by ``1 / √Dh``.

    ``key_padding_mask`` is ``(B, S)``; ``attn_mask`` is ``(T, S)`` or ``(B*H, T, S)``. In
    both, as in PyTorch's module, a boolean ``True`` means *may not attend* (the opposite
    of :func:`~qkv_lib.scaled_dot_product_attention`). A float mask is added to the scores:
    ``0`` keeps a key, ``-inf`` hides it.

    With ``need_weights=True`` the heads attend through
    :func:`~qkv_lib.scaled_dot_product_attention`, which returns the weights. With
    ``need_weights=False`` they use PyTorch's fused
    ``torch.nn.functional.scaled_dot_product_attention``: the same maths, faster, without
    storing the ``(B, H, T, S)`` weights; a query whose keys are all masked still gets a zero
    attention output there.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        *,
        kdim: int | None = None,
        vdim: int | None = None,
        bias: bool = True,
        batch_first: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.embed_dim = _validate.positive_int("embed_dim", embed_dim)
        self.num_heads = _validate.positive_int("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim = {embed_dim} must be divisible by num_heads = {num_heads}, "
                f"so that every head gets Dh = embed_dim / num_heads dimensions"
            )
        self.head_dim = embed_dim // num_heads
        self.batch_first = _validate.flag("batch_first", batch_first)
        factory = {"device": device, "dtype": dtype}
        self.in_proj = QKVProjection(
            embed_dim, embed_dim, kdim=kdim, vdim=vdim, bias=bias, **factory
        )
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **factory)  # weight = W_oᵀ
        self.kdim, self.vdim = self.in_proj.kdim, self.in_proj.vdim

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        *,
        key_padding_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
        need_weights: bool = True,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        key = query if key is None else key
        value = key if value is None else value
        _validate.flag("need_weights", need_weights)
        _validate.flag("average_attn_weights", average_attn_weights)
        _validate.flag("is_causal", is_causal)
        batched = _validate.mha_inputs(query, key, value, self.out_proj.weight)
        if not batched:
            query, key, value = query[None], key[None], value[None]  # (1, T, E) ...
            if isinstance(key_padding_mask, Tensor):
                key_padding_mask = key_padding_mask[None]  # (1, S)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))  # (B, T, E) ...
        _validate.mha_sizes(query, key, value, self.embed_dim, self.kdim, self.vdim)
        B, T, S = query.size(0), query.size(1), key.size(1)

        causal = is_causal and attn_mask is None  # is_causal alone: build no mask at all
        mask = self._combined_mask(key_padding_mask, attn_mask, B, T, S, query.dtype)
        if causal and mask is not None:  # padding as well: add the causal mask to it
            mask = mask + additive_mask(causal_mask(T, S, device=query.device), query.dtype)
            causal = False
        q, k, v = self.in_proj(query, key, value)  # (B, T, E), (B, S, E), (B, S, E)
        q = split_heads(q, self.num_heads)  # (B, H, T, Dh)
        k = split_heads(k, self.num_heads)  # (B, H, S, Dh)
        v = split_heads(v, self.num_heads)  # (B, H, S, Dh)
        # Default scale 1/√Dh: the width of q and k in each head.
        if need_weights:
            heads, weights = scaled_dot_product_attention(q, k, v, mask, causal)  # (B, H, T, Dh)
        else:
            heads, weights = self._fused_attention(q, k, v, mask, causal), None
        out = self.out_proj(merge_heads(heads))  # (B, T, E)

        if not batched:
            out = out[0]  # (T, E)
        elif not self.batch_first:
            out = out.transpose(0, 1)  # (T, B, E)
        if not need_weights:
            return out, None
        if not batched:
            weights = weights[0]  # (H, T, S)
        if average_attn_weights:
            weights = weights.mean(dim=-3)  # (B, T, S)
        return out, weights

    @staticmethod
    def _fused_attention(
        q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, causal: bool
    ) -> Tensor:
        """Each head's attention ``(B, H, T, Dh)`` by PyTorch's fused kernel (``mask`` additive).

        A query whose keys are all masked gets a zero output, as in our function; some fused
        kernels give NaN there, so such rows, when there are any, are set to zero.
        """
        heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        if mask is not None:
            blocked = torch.isneginf(mask).all(dim=-1, keepdim=True)  # (B|1, H|1, T|1, 1)
            if blocked.any():
                heads = heads.masked_fill(blocked, 0.0)
        return heads

    def _combined_mask(
        self,
        key_padding_mask: Tensor | None,
        attn_mask: Tensor | None,
        B: int,
        T: int,
        S: int,
        dtype: torch.dtype,
    ) -> Tensor | None:
        """Merge the module's masks into one additive mask broadcasting to ``(B, H, T, S)``."""
        H = self.num_heads
        _validate.mha_masks(key_padding_mask, attn_mask, B, H, T, S)
        mask = None
        if attn_mask is not None:
            mask = self._additive(attn_mask, dtype)  # (T, S) or (B*H, T, S)
            if attn_mask.dim() == 3:
                mask = mask.view(B, H, T, S)
        if key_padding_mask is not None:
            padding = self._additive(key_padding_mask, dtype)[:, None, None, :]  # (B, 1, 1, S)
            mask = padding if mask is None else mask + padding
        return mask

    @staticmethod
    def _additive(mask: Tensor, dtype: torch.dtype) -> Tensor:
        """A module-convention mask (bool ``True`` = may not attend) as ``0``/``-inf`` scores."""
        return additive_mask(~mask if mask.dtype == torch.bool else mask, dtype)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadAttention:
        """A copy of ``module`` with the same weights, so it computes the same numbers.

        ``in_proj_weight`` stacks the three stored weights ``[W_qᵀ; W_kᵀ; W_vᵀ]`` (each
        ``(E, E)`` in nn.Linear's ``(out, in)`` layout), so its first E rows are
        ``q_proj.weight``; when ``kdim`` or ``vdim`` differ from ``embed_dim`` PyTorch keeps
        ``q_proj_weight``, ``k_proj_weight`` and ``v_proj_weight`` instead.
        """
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(
                f"module must be a torch.nn.MultiheadAttention, got {type(module).__name__}"
            )
        unsupported = []
        if module.dropout > 0:
            unsupported.append(f"dropout={module.dropout} (this layer has no dropout)")
        if module.bias_k is not None:
            unsupported.append("add_bias_kv=True")
        if module.add_zero_attn:
            unsupported.append("add_zero_attn=True")
        if unsupported:
            raise ValueError("cannot copy a MultiheadAttention with " + ", ".join(unsupported))
        reference = module.out_proj.weight
        ours = cls(
            module.embed_dim,
            module.num_heads,
            kdim=module.kdim,
            vdim=module.vdim,
            bias=module.in_proj_bias is not None,
            batch_first=module.batch_first,
            device=reference.device,
            dtype=reference.dtype,
        )
        if module._qkv_same_embed_dim:
            q_weight, k_weight, v_weight = module.in_proj_weight.chunk(3)  # each (E, E)
        else:
            q_weight, k_weight, v_weight = (
                module.q_proj_weight,
                module.k_proj_weight,
                module.v_proj_weight,
            )
        with torch.no_grad():
            for linear, weight in (
                (ours.in_proj.q_proj, q_weight),
                (ours.in_proj.k_proj, k_weight),
                (ours.in_proj.v_proj, v_weight),
                (ours.out_proj, reference),
            ):
                linear.weight.copy_(weight)
            if module.in_proj_bias is not None:
                for linear, b in zip(
                    (ours.in_proj.q_proj, ours.in_proj.k_proj, ours.in_proj.v_proj),
                    module.in_proj_bias.chunk(3),
                    strict=True,
                ):
                    linear.bias.copy_(b)
                ours.out_proj.bias.copy_(module.out_proj.bias)
        return ours

    def to_torch(self) -> nn.MultiheadAttention:
        """A ``torch.nn.MultiheadAttention`` with this layer's weights (undoes ``from_torch``)."""
        reference = self.out_proj.weight
        bias = self.out_proj.bias is not None
        module = nn.MultiheadAttention(
            self.embed_dim,
            self.num_heads,
            bias=bias,
            kdim=self.kdim,
            vdim=self.vdim,
            batch_first=self.batch_first,
            device=reference.device,
            dtype=reference.dtype,
        )
        projections = (self.in_proj.q_proj, self.in_proj.k_proj, self.in_proj.v_proj)
        with torch.no_grad():
            if module._qkv_same_embed_dim:
                module.in_proj_weight.copy_(torch.cat([p.weight for p in projections]))  # (3E, E)
            else:
                for target, p in zip(
                    (module.q_proj_weight, module.k_proj_weight, module.v_proj_weight),
                    projections,
                    strict=True,
                ):
                    target.copy_(p.weight)
            module.out_proj.weight.copy_(reference)
            if bias:
                module.in_proj_bias.copy_(torch.cat([p.bias for p in projections]))  # (3E,)
                module.out_proj.bias.copy_(self.out_proj.bias)
        return module

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
            f"head_dim={self.head_dim}, batch_first={self.batch_first}"
        )
