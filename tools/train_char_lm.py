#!/usr/bin/python3
"""Trains the small character-level LSTM language model shipped in tests/data/charlm.

The corpus is the licence texts every Debian system has (/usr/share/common-licenses, package
base-files); GPL-2 is held out for evaluation. The LSTM itself is saved as safetensors (what
sbe runs); the embedding in front of it and the decoder behind it are saved as .npy, so a test
can turn characters into sbe's input and sbe's output into next-character predictions.

    /usr/bin/python3 tools/train_char_lm.py --out tests/data/charlm          # ~3 minutes
    /usr/bin/python3 tools/train_char_lm.py --out /tmp/charlm --epochs 1     # a quick look
"""

import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import export_torch  # noqa: E402  (tools/ is not a package)

CORPUS_DIR = pathlib.Path("/usr/share/common-licenses")
HELD_OUT = "GPL-2"
# Printable ASCII plus newline; anything else maps to the last symbol.
VOCAB = "\n" + "".join(chr(c) for c in range(32, 127)) + "\x00"


def encode(text):
    index = {ch: i for i, ch in enumerate(VOCAB)}
    return np.array([index.get(ch, len(VOCAB) - 1) for ch in text], dtype=np.int64)


def load_corpus():
    train, held_out = [], None
    for path in sorted(CORPUS_DIR.iterdir()):
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name == HELD_OUT:
            held_out = text
        else:
            train.append(text)
    if held_out is None:
        raise SystemExit(f"error: {CORPUS_DIR / HELD_OUT} not found (package base-files)")
    return encode("\n".join(train)), encode(held_out)


class CharLM(torch.nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, layers)
        self.decoder = torch.nn.Linear(hidden, vocab)

    def forward(self, chars):  # chars (T, B)
        y, _ = self.lstm(self.embed(chars))
        return self.decoder(y)


def bits_per_char(model, data, steps):
    """Mean next-character cross-entropy in bits over `data`, run as one long sequence."""
    with torch.no_grad():
        chars = torch.from_numpy(data[: steps + 1]).unsqueeze(1)
        logits = model(chars[:-1])
        loss = torch.nn.functional.cross_entropy(logits.squeeze(1), chars[1:].squeeze(1))
    return loss.item() / math.log(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--embed", type=int, default=48)
    parser.add_argument("--hidden", type=int, default=160)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seq", type=int, default=128, help="training sequence length")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--eval-steps", type=int, default=4000,
                        help="held-out characters saved for evaluation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, held_out = load_corpus()
    model = CharLM(len(VOCAB), args.embed, args.hidden, args.layers)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    n_seq = (len(train) - 1) // args.seq
    start = time.time()
    for epoch in range(args.epochs):
        order = torch.randperm(n_seq)
        total = 0.0
        for first in range(0, n_seq - args.batch + 1, args.batch):
            idx = order[first:first + args.batch] * args.seq
            chunk = torch.stack([torch.from_numpy(train[i:i + args.seq + 1]) for i in idx.tolist()], 1)
            logits = model(chunk[:-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(VOCAB)),
                                                     chunk[1:].reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            total += loss.item()
        for group in optimiser.param_groups:
            group["lr"] *= 0.8
        bpc = bits_per_char(model, held_out, args.eval_steps)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / (n_seq // args.batch):.3f}, "
              f"held-out {bpc:.3f} bits/char ({time.time() - start:.0f} s)", flush=True)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    export_torch.save_lstm(model.lstm, out / "lstm.safetensors")
    np.save(out / "embedding.npy", model.embed.weight.detach().numpy().astype(np.float32))
    np.save(out / "decoder_weight.npy", model.decoder.weight.detach().numpy().astype(np.float32))
    np.save(out / "decoder_bias.npy", model.decoder.bias.detach().numpy().astype(np.float32))
    np.save(out / "held_out.npy", held_out[: args.eval_steps + 1].astype(np.int32))
    meta = {"corpus": str(CORPUS_DIR), "held_out": HELD_OUT, "vocab": VOCAB,
            "embed": args.embed, "hidden": args.hidden, "layers": args.layers,
            "epochs": args.epochs, "seed": args.seed,
            "torch_bits_per_char": bits_per_char(model, held_out, args.eval_steps)}
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {out}: held-out {meta['torch_bits_per_char']:.3f} bits/char")


if __name__ == "__main__":
    main()
