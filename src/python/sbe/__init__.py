"""sbe: fast inference of large LSTMs, after Que et al., "Efficient Weight Reuse for Large LSTMs".

The engine, the planner and the accelerator's model from Python (docs/PYTHON.md):

    import sbe
    model = sbe.load("lrcn")                      # a preset, .safetensors or .onnx
    y, (h_n, c_n) = model.run(x)                  # x: (steps, batch, input) float32
    engine = model.compile(precision="int16", input_range=(-1, 1))
    y, state = engine(x_chunk, state)             # streaming: carry the state
    sbe.plan(model, "z7045", batch=8)             # the document `sbe plan --json` prints

and a drop-in for torch.nn.LSTM at inference: ``sbe.torch.LSTM(module)``. Importing sbe does
not import PyTorch; ``sbe.torch`` and ``Model.from_torch`` do.
"""
from ._sbe import (Engine, Error, Model, Warning, __version__, boards, load, plan, presets,
                   simulate)

__all__ = ["Engine", "Error", "Model", "Warning", "boards", "load", "plan", "presets", "simulate",
           "torch"]


def _model_from_torch(module, name="torch nn.LSTM"):
    """An sbe.Model with the weights of an ``nn.LSTM`` (copied)."""
    from .torch import model_from_torch
    return model_from_torch(module, name=name)


Model.from_torch = staticmethod(_model_from_torch)


def __getattr__(name):
    # sbe.torch on first use, so that `import sbe` needs no PyTorch.
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'sbe' has no attribute '{name}'")
