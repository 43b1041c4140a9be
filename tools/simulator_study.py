#!/usr/bin/python3
"""Runs the simulator studies recorded in docs/SIMULATOR.md and prints their tables (Markdown).

  /usr/bin/python3 tools/simulator_study.py --sbe build/sbe --figures docs/figures

Sections: the paper's LRCN evaluation, the batch-size and blocking-number figures (PNG), the
stall-free against the baseline architecture, the simulator against the planner on a grid of
boards x models x batch x blocks, and the simulator's own speed. Every number comes from
running `sbe simulate` / `sbe plan` now; nothing is copied from the paper except the paper's
own column in the first table.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

PAPER = {"vx690t": {"gops": 356, "ms": 0.38, "mj": 10.05},
         "z7045": {"gops": 221, "ms": 0.61, "mj": 6.47}}


def sbe_json(sbe, *args):
    p = subprocess.run([sbe, *map(str, args), "--json"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return json.loads(p.stdout), None


def simulate(sbe, *args):
    return sbe_json(sbe, "simulate", *args)


def paper_table(sbe):
    print("## The paper's LRCN evaluation\n")
    print("| board | configuration | batch | blocks | GOPS (paper) | ms/sample (paper) "
          "| mJ/sample (paper) | PE util. | check |")
    print("|---|---|---|---|---|---|---|---|---|")
    configs = [("vx690t", "batch 1 (weights loaded per sample)", ["--batch", "1", "--samples", "4"]),
               ("vx690t", "planner, throughput", ["--timing-only"]),
               ("z7045", "planner, throughput", []),
               ("z7045", "batch 1", ["--batch", "1", "--timing-only"])]
    for board, label, extra in configs:
        check = [] if "--timing-only" in extra else ["--check"]
        j, err = simulate(sbe, "--board", board, "--model", "lrcn", *extra, *check)
        if err:
            print(f"| {board} | {label} | error: {err} |")
            continue
        p = PAPER[board]
        def rel(v, ref):
            return f"{v:.3g} ({ref}, {100 * (v / ref - 1):+.1f}%)"
        exact = "bit-exact" if j.get("check_vs_golden", {}).get("bit_exact") else "timing only"
        print(f"| {board} | {label} | {j['batch']} | {j['blocks']} | {rel(j['gops'], p['gops'])} "
              f"| {rel(j['ms_per_sample'], p['ms'])} | {rel(j['mj_per_sample'], p['mj'])} "
              f"| {100 * j['pe_utilization']:.1f}% | {exact} |")
    print()


def batch_figure(sbe, figures, board, model="lrcn"):
    plan, _ = sbe_json(sbe, "plan", "--board", board, "--model", model)
    n_pe, n_t, clock = plan["n_pe"], plan["n_t"], plan["peak_gops"] / (2 * plan["n_pe"]) * 1e3
    to_gops = 2 * clock * 1e-3
    batches = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]
    curves = {"block-batch (planner's blocks)": [], "non block-batch": []}
    alphas = []
    for b in batches:
        j, _ = simulate(sbe, "--board", board, "--model", model, "--batch", b, "--timing-only")
        if j:
            curves["block-batch (planner's blocks)"].append((b, j["gops"]))
            if j["plan"]["case"] == 3:
                alphas.append(j["plan"]["alpha"])
        j, _ = simulate(sbe, "--board", board, "--model", model, "--batch", b, "--timing-only",
                        "--non-block-batch")
        if j:
            curves["non block-batch"].append((b, j["gops"]))
    # The paper's rooflines: eqs. (2)/(3) for cases 1 & 2, eqs. (5)/(6) for case 3 with the
    # alpha of the simulated case-3 plans (the schedule's share of reused words).
    alpha = min(alphas) if alphas else 0.99
    roof12 = [(b, min(n_pe, b * n_t) * to_gops) for b in batches]
    def case3(b):
        if b >= n_pe / n_t:
            return n_pe * n_t / (alpha * n_t + (1 - alpha) * n_pe)
        return b * n_t / (alpha + (1 - alpha) * b)
    roof3 = [(b, case3(b) * to_gops) for b in batches]

    blocks_rows = []
    for nb in (1, 2, 3, 4, 6, 8, 16, 32, 64, 128, 256):
        row = [nb]
        for b in (1, 8, 32):
            j, _ = simulate(sbe, "--board", board, "--model", model, "--batch", b, "--blocks", nb,
                            "--timing-only")
            row.append(j["gops"] if j else None)
        blocks_rows.append(row)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, pts in curves.items():
        if pts:
            ax1.plot(*zip(*pts), marker="o", label=f"simulated, {label}")
    ax1.plot(*zip(*roof12), "k--", label="roofline, cases 1 & 2 (eqs. 2, 3)")
    ax1.plot(*zip(*roof3), "k:", label=f"roofline, case 3 (eqs. 5, 6; alpha {alpha:.4f})")
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("batch size")
    ax1.set_ylabel("GOPS")
    ax1.set_title(f"{model} on {board}: throughput against batch size")
    ax1.legend(fontsize=7)
    for i, b in enumerate((1, 8, 32)):
        pts = [(r[0], r[i + 1]) for r in blocks_rows if r[i + 1] is not None]
        if pts:
            ax2.plot(*zip(*pts), marker="o", label=f"batch {b}")
    ax2.set_xscale("log", base=2)
    ax2.set_xlabel("blocking number (blocks of W_h)")
    ax2.set_ylabel("GOPS")
    ax2.set_title(f"{model} on {board}: throughput against blocking number")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    out = pathlib.Path(figures) / f"sim_{model}_{board}.png"
    fig.savefig(out, dpi=110)
    print(f"## Batch size and blocking number: {model} on {board}\n")
    print(f"![{board}]({out.relative_to(out.parents[1])})\n")
    print("| batch | block-batch GOPS | non block-batch GOPS | roofline 1&2 | roofline 3 |")
    print("|---|---|---|---|---|")
    bb, nbb = dict(curves["block-batch (planner's blocks)"]), dict(curves["non block-batch"])
    for (b, r12), (_, r3) in zip(roof12, roof3):
        f = lambda d: f"{d[b]:.1f}" if b in d else "does not fit"
        print(f"| {b} | {f(bb)} | {f(nbb)} | {r12:.1f} | {r3:.1f} |")
    print("\n| blocks | GOPS at batch 1 | batch 8 | batch 32 |")
    print("|---|---|---|---|")
    for r in blocks_rows:
        print("| " + " | ".join([str(r[0])] + [f"{v:.1f}" if v is not None else "does not fit"
                                              for v in r[1:]]) + " |")
    print()


def arch_table(sbe):
    print("## Stall-free against the baseline\n")
    print("| board | model | batch | stall-free GOPS | baseline GOPS | speedup | baseline cycles: "
          "busy / accumulator / barrier / weights / other |")
    print("|---|---|---|---|---|---|---|")
    for board, model, batch in (("vx690t", "lrcn", 1), ("vx690t", "lrcn", 32), ("z7045", "lrcn", 32),
                                ("zu9eg", "deepbench-1024", 8), ("u280", "deepbench-2048", 16)):
        common = ["--board", board, "--model", model, "--batch", batch, "--timing-only"]
        s, err = simulate(sbe, *common)
        b, _ = simulate(sbe, *common, "--arch", "baseline")
        if err:
            print(f"| {board} | {model} | {batch} | error: {err} |")
            continue
        st, c = b["stall_cycles"], b["cycles"]
        other = st["input"] + st["recurrence"] + st["fill_drain"]
        pct = lambda v: f"{100 * v / c:.0f}%"
        print(f"| {board} | {model} | {batch} | {s['gops']:.1f} | {b['gops']:.1f} | "
              f"{s['gops'] / b['gops']:.2f}x | {pct(b['busy_cycles'])} / {pct(st['accumulator'])} / "
              f"{pct(st['barrier'])} / {pct(st['weights'])} / {pct(other)} |")
    print()


def planner_table(sbe):
    print("## The simulator against the planner\n")
    rows, within = [], 0
    for board in ("vx690t", "z7045", "zu9eg", "u280"):
        for model in ("lrcn", "deepbench-512", "deepbench-1536"):
            for batch in (1, 4, 16, 64):
                for blocks in ("auto", "4", "16"):
                    j, err = simulate(sbe, "--board", board, "--model", model, "--batch", batch,
                                      "--blocks", blocks, "--timing-only")
                    if err:
                        continue
                    ratio = j["sim_over_plan_gops"]
                    within += abs(ratio - 1) <= 0.10
                    st = j["stall_cycles"]
                    rows.append((board, model, batch, j["blocks"], j["plan"]["case"],
                                 j["plan"]["predicted_gops"], j["gops"], ratio,
                                 100 * st["weights"] / j["cycles"],
                                 100 * (st["recurrence"] + st["input"]) / j["cycles"]))
    print(f"{len(rows)} points; {within} within 10% of the planner's prediction.\n")
    print("| board | model | batch | blocks | case | planner GOPS | simulated GOPS | sim / plan "
          "| PE waits for weights | for x or h |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        flag = " **" if abs(r[7] - 1) > 0.10 else ""
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.1f} | {r[6]:.1f} | "
              f"{r[7]:.3f}{flag} | {r[8]:.1f}% | {r[9]:.1f}% |")
    print()


def speed(sbe):
    print("## Simulator speed\n")
    args = [sbe, "simulate", "--board", "vx690t", "--model", "lrcn", "--batch", "32"]
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"`{' '.join(args[1:])}` (values computed): best of 3 {min(times):.2f} s, "
          f"median {sorted(times)[1]:.2f} s on {cpu}, {os.cpu_count()} cores.\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbe", default="build/sbe")
    ap.add_argument("--figures", default="docs/figures")
    ap.add_argument("--sections", default="paper,figures,arch,planner,speed")
    a = ap.parse_args()
    pathlib.Path(a.figures).mkdir(parents=True, exist_ok=True)
    sections = a.sections.split(",")
    if "paper" in sections:
        paper_table(a.sbe)
    if "figures" in sections:
        for board in ("vx690t", "z7045"):
            batch_figure(a.sbe, a.figures, board)
    if "arch" in sections:
        arch_table(a.sbe)
    if "planner" in sections:
        planner_table(a.sbe)
    if "speed" in sections:
        speed(a.sbe)


if __name__ == "__main__":
    sys.exit(main())
