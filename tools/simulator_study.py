#!/usr/bin/python3
"""Runs the simulator studies recorded in docs/SIMULATOR.md and prints their tables (Markdown).

  /usr/bin/python3 tools/simulator_study.py --sbe build/sbe

Sections: the simulator against the planner on a grid of boards x models x batch x blocks, and
the simulator's own speed. (The paper's evaluation, its batch and blocking figures and the
stall-free study are `sbe report`'s: tools/report.py.) Every number comes from running
`sbe simulate` now.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def sbe_json(sbe, *args):
    p = subprocess.run([sbe, *map(str, args), "--json"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return json.loads(p.stdout), None


def simulate(sbe, *args):
    return sbe_json(sbe, "simulate", *args)


def planner_table(sbe):
    print("## The simulator against the planner\n")
    rows, within, refused = [], 0, {}
    for board in ("vx690t", "z7045", "zu9eg", "u280", "arty-a7-100t"):
        for model in ("lrcn", "deepbench-512", "deepbench-1536"):
            for batch in (1, 4, 16, 64):
                for blocks in ("auto", "4", "16"):
                    j, err = simulate(sbe, "--board", board, "--model", model, "--batch", batch,
                                      "--blocks", blocks, "--timing-only")
                    if err:
                        why = err.splitlines()[0].split("(", 1)[-1].split(";", 1)[-1].strip(" )")
                        refused.setdefault((board, model, batch, why), []).append(blocks)
                        continue
                    ratio = j["sim_over_plan_gops"]
                    within += abs(ratio - 1) <= 0.10
                    st, pe = j["stall_cycles"], j["pe_cycles"]["shares"]
                    plan = j["plan"]
                    rows.append((board, model, batch, j["blocks"], plan["case"], plan["input"],
                                 plan["predicted_gops"], j["gops"], ratio,
                                 100 * st["weights"] / j["cycles"],
                                 100 * (st["recurrence"] + st["input"]) / j["cycles"],
                                 100 * st["accumulator"] / j["cycles"],
                                 100 * (pe["idle_lanes"] + pe["idle_rows"])))
    print(f"{len(rows)} points; {within} within 10% of the planner's prediction.\n")
    if refused:
        print("Refused by the planner, with the reason it gives:\n")
        for (board, model, batch, why), blocks in refused.items():
            print(f"- {board}, {model}, batch {batch}, blocks {', '.join(blocks)}: {why}")
        print()
    print("| board | model | batch | blocks | case | W_x | planner GOPS | simulated GOPS | sim / plan "
          "| PE waits for weights | for x or h | for its partial sums | PE-cycles idle in issuing cycles |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        flag = " **" if abs(r[8] - 1) > 0.10 else ""
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]:.1f} | {r[7]:.1f} | "
              f"{r[8]:.3f}{flag} | {r[9]:.1f}% | {r[10]:.1f}% | {r[11]:.1f}% | {r[12]:.1f}% |")
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
    ap.add_argument("--sections", default="planner,speed")
    a = ap.parse_args()
    sections = a.sections.split(",")
    if "planner" in sections:
        planner_table(a.sbe)
    if "speed" in sections:
        speed(a.sbe)


if __name__ == "__main__":
    sys.exit(main())
