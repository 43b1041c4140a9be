"""docs/PYTHON.md's complete example runs as written: the documentation stays true."""
import pathlib
import re

import pytest


def test_the_complete_example_runs(capsys):
    pytest.importorskip("torch")
    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "PYTHON.md").read_text()
    section = doc.split("## A complete example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/PYTHON.md", "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "fp32 vs nn.LSTM" in out and "bit-exact with the golden model: True" in out
