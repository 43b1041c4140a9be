#!/usr/bin/python3
"""Plots the planner's predicted time of every decomposition against its measured time, from an
`sbe bench --decompositions` report, and prints the prediction error and, per workload and
precision, how far the planner's choice is from the fastest measured decomposition.

Usage: /usr/bin/python3 tools/plot_decompositions.py REPORT.json OUT.png [--summary OUT.txt]
"""
import argparse
import json
import statistics


def points(report):
    """[(workload label, precision, decomposition, predicted s, measured s)] and the choices."""
    rows, choices = [], []
    for w in report["workloads"]:
        name = f"{w['model']} batch {w['batch']}"
        for precision, d in w.get("decompositions", {}).items():
            for p in d["points"]:
                rows.append((name, precision, p["decomposition"], p["predicted_seconds"], p["measured_seconds"]))
            choices.append((name, precision, d["chosen"], d["best_measured"], d["chosen_vs_best"]))
    return rows, choices


def summary(rows, choices):
    errors = [abs(pred / meas - 1) for _, _, _, pred, meas in rows]
    lines = [f"{len(rows)} points (workload, precision, decomposition) on {len(choices)} (workload, precision)",
             f"prediction error |predicted / measured - 1|: median {100 * statistics.median(errors):.0f}%, "
             f"90th percentile {100 * sorted(errors)[int(0.9 * (len(errors) - 1))]:.0f}%, "
             f"max {100 * max(errors):.0f}%",
             f"chosen within 10% of the fastest measured: {sum(c[4] <= 1.10 for c in choices)} of {len(choices)}",
             "",
             f"{'workload':28} {'prec':5} {'chosen':28} {'fastest measured':28} {'chosen/fastest':>14}"]
    for name, precision, chosen, best, ratio in choices:
        lines.append(f"{name:28} {precision:5} {chosen:28} {best:28} {ratio:14.2f}")
    lines += ["", f"{'workload':28} {'prec':5} {'decomposition':28} {'predicted ms':>12} {'measured ms':>12} {'error':>7}"]
    for name, precision, d, pred, meas in rows:
        lines.append(f"{name:28} {precision:5} {d:28} {1e3 * pred:12.3f} {1e3 * meas:12.3f} {100 * (pred / meas - 1):+6.0f}%")
    return "\n".join(lines) + "\n"


def plot(report, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, _ = points(report)
    if not rows:
        raise ValueError("the report has no decompositions: run sbe bench with --decompositions")
    fig, ax = plt.subplots(figsize=(7.5, 7))
    kinds = sorted({d.split(":")[0] for _, _, d, _, _ in rows})
    for k, kind in enumerate(kinds):
        for precision, marker in (("fp32", "o"), ("int16", "s")):
            xs = [1e3 * m for _, p, d, _, m in rows if p == precision and d.split(":")[0] == kind]
            ys = [1e3 * pr for _, p, d, pr, _ in rows if p == precision and d.split(":")[0] == kind]
            if xs:
                ax.scatter(xs, ys, marker=marker, color=f"C{k}", label=f"{kind} {precision}", alpha=0.8)
    lo = min(1e3 * min(m, p) for _, _, _, p, m in rows) / 1.5
    hi = max(1e3 * max(m, p) for _, _, _, p, m in rows) * 1.5
    ax.plot([lo, hi], [lo, hi], "k-", linewidth=0.8, label="predicted = measured")
    ax.fill_between([lo, hi], [lo / 1.25, hi / 1.25], [lo * 1.25, hi * 1.25], color="k", alpha=0.07, label="±25%")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("measured (ms per run, median)")
    ax.set_ylabel("predicted by the planner (ms per run)")
    machine = report["machine"]
    ax.set_title(f"decompositions: {machine['cpu']}, {report['threads']} threads", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("out")
    ap.add_argument("--summary", help="also write the table of points and choices here")
    a = ap.parse_args()
    with open(a.report) as f:
        report = json.load(f)
    plot(report, a.out)
    rows, choices = points(report)
    text = summary(rows, choices)
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
