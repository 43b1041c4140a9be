#!/usr/bin/python3
"""Draws the paper's two planning figures from the data `sbe plan --plot` writes.

    /usr/bin/python3 tools/plot_plan.py DATA.json OUT.png

Left: predicted GOPS against batch size for several blocking numbers and for the non
block-batch schedule, with the rooflines of cases 1&2 (eqs. 2, 3) and case 3 (eqs. 5, 6).
Right: predicted GOPS against the blocking number at a few batch sizes.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def decorate(axes, xlabel, title, legend_size):
    axes.set_xscale("log", base=2)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("predicted throughput (GOPS)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=legend_size)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: plot_plan.py DATA.json OUT.png")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for curve in data["curves"]:
        if not curve["points"]:
            continue
        xs, ys = zip(*curve["points"])
        style = "--" if curve["label"].startswith("non") else "-"
        left.plot(xs, ys, style, marker=".", label=curve["label"])
    for key, label, style in (("roofline_case12", "roofline, cases 1 & 2 (eqs. 2, 3)", "k-"),
                              ("roofline_case3", f"roofline, case 3 (eqs. 5-6, alpha = {data['alpha_case3']:.3f})", "k:")):
        xs, ys = zip(*data[key])
        left.plot(xs, ys, style, linewidth=1.5, label=label)
    decorate(left, "batch size (samples)", "Performance against batch size", 7)

    by_batch = {}
    for blocks, batch, gops in data["by_blocks"]:
        by_batch.setdefault(batch, []).append((blocks, gops))
    for batch, pts in sorted(by_batch.items()):
        xs, ys = zip(*pts)
        right.plot(xs, ys, marker="o", label=f"batch {batch}")
    decorate(right, "blocking number (blocks of each hidden matrix)", "Performance against blocking number", 8)
    fig.suptitle(data["title"] + " (planner predictions)", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
