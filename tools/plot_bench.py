#!/usr/bin/python3
"""Plots an `sbe bench` report: throughput of every engine per workload, and the speed-up of
the CPU engine over oneDNN.

Usage: /usr/bin/python3 tools/plot_bench.py REPORT.json OUT.png   (what `sbe bench --plot` runs;
`sbe report` imports plot())
"""
import json
import sys


def label(r):
    name = {"sbe": "sbe", "onednn": "oneDNN", "pytorch": "PyTorch"}[r["engine"]]
    text = f"{name} {r['precision']}"
    if r.get("schedule"):
        text += f" ({r['schedule']})"
    return text


def plot(report, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # The decompositions forced by --decompositions are plot_decompositions.py's; here each
    # engine is the planner's choice.
    workloads = [dict(w, results=[r for r in w["results"] if "forced_decomposition" not in r])
                 for w in report["workloads"]]
    if not workloads:
        raise ValueError("the report has no workloads")
    names = [f"{w['model']}\nbatch {w['batch']}" for w in workloads]
    engines = []
    for w in workloads:
        for r in w["results"]:
            if label(r) not in engines:
                engines.append(label(r))
    # One colour per engine in both panels.
    colour = {e: f"C{k}" for k, e in enumerate(engines)}

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 1.1 * len(workloads) + 3), 8.5),
                                      gridspec_kw={"height_ratios": [3, 2]})
    width = 0.8 / len(engines)
    for k, engine in enumerate(engines):
        xs, ys = [], []
        for i, w in enumerate(workloads):
            for r in w["results"]:
                if label(r) == engine:
                    xs.append(i + (k - (len(engines) - 1) / 2) * width)
                    ys.append(r["gops"])
        top.bar(xs, ys, width, label=engine, color=colour[engine])
    roof = [max(r["roofline_gops"] for r in w["results"] if r["precision"] == "int16") for w in workloads]
    top.plot(range(len(workloads)), roof, "k_", markersize=30, label="roofline (int16)")
    top.set_yscale("log")
    # Headroom on the log axis, so that the legend sits above the bars and roofline marks.
    highest = max(max(roof), max(r["gops"] for w in workloads for r in w["results"]))
    top.set_ylim(top=highest * 6)
    top.set_ylabel("throughput (GOPS, log scale)")
    top.set_xticks(range(len(workloads)))
    top.set_xticklabels(names, fontsize=8)
    top.legend(fontsize=8, ncol=3)
    machine = report["machine"]
    top.set_title(f"sbe bench: {machine['cpu']}, {report['threads']} threads "
                  f"(median of {report['repeat']} runs)")
    top.grid(axis="y", alpha=0.3)

    for engine in (e for e in engines if e.startswith("sbe")):
        xs, ys = [], []
        for i, w in enumerate(workloads):
            for r in w["results"]:
                if label(r) == engine and "vs_onednn" in r:
                    xs.append(i)
                    ys.append(r["vs_onednn"])
        bottom.plot(xs, ys, "o-", label=engine, color=colour[engine])
    bottom.axhline(1.0, color="k", linewidth=0.8)
    bottom.set_ylabel("speed-up over oneDNN fp32 (×)")
    bottom.set_xticks(range(len(workloads)))
    bottom.set_xticklabels(names, fontsize=8)
    bottom.legend(fontsize=8, ncol=2)
    bottom.grid(alpha=0.3)
    save(fig, out)


def save(fig, out):
    """Every figure of sbe: laid out tight, 110 dpi, closed (the plotters draw many in a row)."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_bench.py REPORT.json OUT.png")
    with open(sys.argv[1]) as f:
        report = json.load(f)
    try:
        plot(report, sys.argv[2])
    except ValueError as e:
        sys.exit(str(e))


if __name__ == "__main__":
    main()
