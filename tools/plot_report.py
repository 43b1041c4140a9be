#!/usr/bin/python3
"""Draws the figures of an `sbe report` document: what `sbe report --out DIR` runs after it has
computed everything. Every number comes from the document; this file only plots.

    /usr/bin/python3 tools/plot_report.py DIR/report.json DIR

Writes the files the document names under "figures": per simulated board the batch-size and
blocking-number figure (the paper's two planning figures, simulated over predicted), the CPU
engine against oneDNN and PyTorch (lrcn, DeepBench; tools/plot_bench.py), and DeepBench on
the FPGA parts.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import plot_bench  # noqa: E402

SCHEMA_VERSION = 3


def plt_module():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def sweep_figure(s, out):
    plt = plt_module()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    colours = {"block-batch, W_x per step": "tab:blue", "block-batch, W_x hoisted": "tab:green",
               "non block-batch": "tab:orange"}
    for name, pts in s["points"].items():
        if not pts:
            continue
        xs = [p["batch"] for p in pts]
        ax1.plot(xs, [p["predicted"] for p in pts], "-", color=colours[name], alpha=0.6,
                 label=f"{name}, predicted (planner)")
        ax1.plot(xs, [p["gops"] for p in pts], "o", color=colours[name], label=f"{name}, simulated")
    r12, r3 = s["roofline_case12"], s["roofline_case3"]
    ax1.plot([p[0] for p in r12], [p[1] for p in r12], "k--", label="roofline, cases 1 & 2 (eqs. 2, 3)")
    ax1.plot([p[0] for p in r3], [p[1] for p in r3], "k:",
             label=f"roofline, case 3 (eqs. 5, 6; α {s['alpha_case3']:.4f})")
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xlabel("batch size (samples)")
    ax1.set_ylabel("throughput (GOPS, log scale)")
    ax1.set_title(f"{s['model']} on {s['board']}: throughput against batch size")
    ax1.grid(alpha=0.3, which="both")
    ax1.legend(fontsize=7)
    for k, (b, pts) in enumerate(sorted(s["by_blocks"].items(), key=lambda item: int(item[0]))):
        colour = f"C{k + 2}"
        xs = [p["blocks"] for p in pts]
        ax2.plot(xs, [p["predicted"] for p in pts], "-", color=colour, alpha=0.6,
                 label=f"batch {b}, predicted")
        ax2.plot(xs, [p["gops"] for p in pts], "o", color=colour, label=f"batch {b}, simulated")
    ax2.axhline(s["peak_gops"], color="k", linestyle="--", linewidth=0.8, label="peak (all PEs busy)")
    ax2.set_xscale("log", base=2)
    ax2.set_xlabel("blocking number (blocks of W_h)")
    ax2.set_ylabel("throughput (GOPS)")
    ax2.set_ylim(bottom=0)
    ax2.set_title(f"{s['model']} on {s['board']}: throughput against blocking number")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7)
    plot_bench.save(fig, out)


def parts_figure(parts, cpu_bench, out):
    plt = plt_module()
    fig, ax = plt.subplots(figsize=(10, 4.8))
    data = [p for p in parts if p["fits"]]
    boards = sorted({d["board"] for d in data}, key=[d["board"] for d in data].index)
    hidden = lambda m: int(m.split("-")[1])
    for k, board in enumerate(boards):
        pts = [(hidden(d["model"]), d["gops"]) for d in data if d["board"] == board]
        ax.plot(*zip(*pts), "o-", color=f"C{k}", label=f"{board}, simulated (planner's batch)")
        peak = next(d["peak"] for d in data if d["board"] == board)
        ax.axhline(peak, color=f"C{k}", linestyle=":", linewidth=0.8)
    if cpu_bench:
        best = {}
        for w in cpu_bench["workloads"]:
            for r in w["results"]:
                if r["engine"] == "sbe" and r["precision"] == "int16" and r.get("schedule") == "stall-free":
                    h = hidden(w["model"])
                    best[h] = max(best.get(h, 0), r["gops"])
        if best:
            ax.plot(sorted(best), [best[h] for h in sorted(best)], "s--", color="k",
                    label="this CPU, sbe int16, measured (best batch measured)")
    sizes = sorted({hidden(p["model"]) for p in parts} | {hidden(w["model"]) for w in cpu_bench["workloads"]})
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(h) for h in sizes])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("DeepBench LSTM hidden size (input = hidden)")
    ax.set_ylabel("throughput (GOPS, log scale)")
    ax.set_title("DeepBench inference LSTMs on FPGA parts (dotted: each board's peak)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    plot_bench.save(fig, out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_report.py REPORT.json OUT_DIR")
    doc = json.loads(pathlib.Path(sys.argv[1]).read_text())
    if doc.get("schema_version") != SCHEMA_VERSION:
        sys.exit(f"{sys.argv[1]}: schema_version {doc.get('schema_version')}, this plotter reads {SCHEMA_VERSION}")
    out = pathlib.Path(sys.argv[2])
    figures = doc["figures"]
    for s in doc["sweeps"]:
        sweep_figure(s, out / figures["batch_blocks_" + s["board"]])
    plot_bench.plot(doc["bench_lrcn"], out / figures["cpu_lrcn"])
    plot_bench.plot(doc["bench_deepbench"], out / figures["cpu_deepbench"])
    plot_bench.plot(doc["bench_practice"], out / figures["cpu_practice"])
    parts_figure(doc["current_parts"], doc["bench_deepbench"], out / figures["fpga_deepbench"])


if __name__ == "__main__":
    main()
