"""sbe behind PyTorch's nn.LSTM interface, for inference (docs/PYTHON.md).

``sbe.torch.LSTM(module)`` takes a trained ``nn.LSTM`` and answers its forward call with sbe's
CPU engine: the same arguments (tensors batch-first or not, unbatched, ``PackedSequence``), the
same results ``(output, (h_n, c_n))``, without autograd.
"""
import torch as _torch
from torch import nn as _nn
from torch.nn.utils.rnn import PackedSequence as _PackedSequence
from torch.nn.utils.rnn import pad_packed_sequence as _pad_packed_sequence

from ._sbe import Error, Model

__all__ = ["LSTM", "model_from_torch"]


def model_from_torch(module, name="torch nn.LSTM"):
    """An sbe.Model holding a copy of ``module``'s weights. Only ``nn.LSTM`` without
    projections (``proj_size=0``) is an LSTM sbe runs; anything else raises sbe.Error."""
    if not isinstance(module, _nn.LSTM):
        raise Error(f"{type(module).__name__}: not an nn.LSTM (sbe runs LSTMs; "
                    f"GRU, RNN and other modules are not supported)")
    if getattr(module, "proj_size", 0) > 0:
        raise Error(f"nn.LSTM with proj_size={module.proj_size}: LSTMs with projections are not supported")
    directions = 2 if module.bidirectional else 1
    cells = []
    for layer in range(module.num_layers):
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d == 1 else "")

            def weight(kind):
                return getattr(module, kind + suffix).detach().to("cpu", _torch.float32).numpy()

            cells.append((weight("weight_ih"), weight("weight_hh"),
                          weight("bias_ih") if module.bias else None,
                          weight("bias_hh") if module.bias else None))
    return Model._from_weights(module.input_size, module.hidden_size, module.num_layers,
                               module.bidirectional, module.bias, cells, name, module.batch_first)


def _as_float32(t, what):
    if not isinstance(t, _torch.Tensor):
        raise Error(f"{what}: expected a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise Error(f"{what}: on {t.device}; sbe runs on the CPU (move it with .cpu())")
    if t.is_complex():
        raise Error(f"{what}: dtype {t.dtype} is not real")
    return t.detach().to(_torch.float32).contiguous()


class LSTM(_nn.Module):
    """nn.LSTM's forward, run by sbe.

    Args:
        module: the trained ``nn.LSTM`` (its weights are copied and packed once).
        precision: "fp32", or "int16" (the accelerator's fixed point, bit-exact with sbe's
            golden model).
        threads: the engine's threads (None: every core).
        input_range: int16: the (lo, hi) the inputs are calibrated for; None: the first
            call's input.
    """

    def __init__(self, module, precision="fp32", threads=None, input_range=None):
        super().__init__()
        self.model = model_from_torch(module)
        self.batch_first = module.batch_first
        self.hidden_size = module.hidden_size
        self.num_layers = module.num_layers
        self.bidirectional = module.bidirectional
        self.engine = self.model.compile(precision=precision, threads=threads, input_range=input_range,
                                         batch_first=module.batch_first)

    def extra_repr(self):
        return (f"{self.model.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}, batch_first={self.batch_first}, "
                f"precision={self.engine.precision!r}")

    def _state(self, hx, batch, unbatched):
        if hx is None:
            return None
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise Error("hx: expected a tuple (h_0, c_0)")
        h0, c0 = (_as_float32(t, name) for t, name in zip(hx, ("h_0", "c_0")))
        if unbatched:
            h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        return h0.numpy(), c0.numpy()

    @_torch.no_grad()
    def forward(self, input, hx=None):
        if isinstance(input, _PackedSequence):
            return self._forward_packed(input, hx)
        x = _as_float32(input, "input")
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(0 if self.batch_first else 1)
        elif x.dim() != 3:
            raise Error(f"input: {x.dim()} dimensions, expected 2 (unbatched) or 3")
        batch = x.shape[0 if self.batch_first else 1]
        y, (h, c) = self.engine(x.numpy(), self._state(hx, batch, unbatched))
        y, h, c = (_torch.from_numpy(a) for a in (y, h, c))
        if unbatched:
            y, h, c = y.squeeze(0 if self.batch_first else 1), h.squeeze(1), c.squeeze(1)
        return y, (h, c)

    def _forward_packed(self, packed, hx):
        # The padded batch in the caller's order with its lengths: sbe runs each sample for its
        # own length, so padding never reaches an output.
        padded, lengths = _pad_packed_sequence(packed, batch_first=self.batch_first)
        x = _as_float32(padded, "input")
        y, (h, c) = self.engine(x.numpy(), self._state(hx, x.shape[0 if self.batch_first else 1], False),
                                lengths=lengths.numpy())
        y = _torch.from_numpy(y)
        if self.batch_first:
            y = y.transpose(0, 1)
        # Packed again with the input's own order and batch sizes, as nn.LSTM returns it.
        order = packed.sorted_indices
        rows = [y[t, order[:n]] if order is not None else y[t, :n]
                for t, n in enumerate(packed.batch_sizes.tolist())]
        data = _torch.cat(rows) if rows else y.new_zeros((0, y.shape[-1]))
        out = _PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, (_torch.from_numpy(h), _torch.from_numpy(c))
