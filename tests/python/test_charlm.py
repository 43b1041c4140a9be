"""The trained character-level LSTM (tests/data/charlm) in int16 against fp32: top-1 agreement
and bits per character on held-out text (GPL-2, never seen in training)."""

import json
import math
import unittest

import numpy as np

from sbe_test_util import SBE_REPO, assert_ok, run_sbe, temp_dir, write_npy, read_npy

DATA = SBE_REPO / "tests" / "data" / "charlm"
# Characters of held-out text run as one sequence: long enough for a stable metric, short
# enough for the sanitizer run.
STEPS = 2000


def next_char_metrics(y, decoder_w, decoder_b, targets):
    logits = y.reshape(-1, y.shape[-1]).astype(np.float64) @ decoder_w.T + decoder_b
    logits -= logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    bpc = -log_probs[np.arange(len(targets)), targets].mean() / math.log(2)
    return logits.argmax(axis=1), bpc


class CharLmTest(unittest.TestCase):
    def test_int16_agrees_with_fp32_on_held_out_text(self):
        chars = np.load(DATA / "held_out.npy").astype(np.int64)[: STEPS + 1]
        embedding = np.load(DATA / "embedding.npy")
        decoder_w, decoder_b = np.load(DATA / "decoder_weight.npy"), np.load(DATA / "decoder_bias.npy")
        tmp = temp_dir(self)
        x = embedding[chars[:-1]][:, None, :].astype(np.float32)  # (T, 1, embed)
        write_npy(tmp / "x.npy", x)
        results = {}
        for precision in ("fp32", "int16"):
            r = run_sbe("run", "--model", str(DATA / "lstm.safetensors"), "--input", str(tmp / "x.npy"),
                        "--precision", precision, "--output", str(tmp / f"y_{precision}.npy"), "--json")
            assert_ok(self, r)
            predictions, bpc = next_char_metrics(read_npy(tmp / f"y_{precision}.npy"), decoder_w,
                                                 decoder_b, chars[1:])
            results[precision] = (predictions, bpc, json.loads(r.stdout))
        agreement = (results["fp32"][0] == results["int16"][0]).mean()
        accuracy = {p: (results[p][0] == chars[1:]).mean() for p in results}
        print(f"\ncharlm held-out {STEPS} chars: top-1 agreement int16/fp32 {agreement:.4f}; "
              f"accuracy fp32 {accuracy['fp32']:.4f}, int16 {accuracy['int16']:.4f}; "
              f"bits/char fp32 {results['fp32'][1]:.4f}, int16 {results['int16'][1]:.4f}; "
              f"int16 formats {results['int16'][2]['formats']['layers']}")
        self.assertGreaterEqual(agreement, 0.99)
        self.assertLess(results["fp32"][1], 3.0, "the shipped model is trained (uniform: 6.6 bits)")
        self.assertLess(abs(results["int16"][1] - results["fp32"][1]), 0.02)


if __name__ == "__main__":
    unittest.main()
