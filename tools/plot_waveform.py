#!/usr/bin/env python3
"""The RTL's waveform and the simulator's trace of the same run, one above the other on one
cycle axis (docs/HARDWARE.md, "Waveform and trace").

    build/sbe hw cosim ... --vcd run.vcd
    build/sbe simulate ... --input-part per-step --trace sim.json
    /usr/bin/python3 tools/plot_waveform.py --vcd run.vcd --trace sim.json --out fig.png

From the VCD: the DRAM beats (read data accepted, write data accepted) and each unit's busy
signal, cycle 0 being the cycle `running` rises (the CYCLES register counts from there); from
the trace: the simulator's DRAM, PE array and tail intervals (their begin_cycle, end_cycle).
"""

import argparse
import json
import sys

# Signals read from the waveform: (label, full name in the VCD's scopes).
UNIT_SIGNALS = [
    ("load engine busy", "TOP.sbe_top.load.busy"),
    ("PE array: a group issuing", "TOP.sbe_top.pe.g_busy"),
    ("tail busy", "TOP.sbe_top.tail.busy"),
    ("store engine busy", "TOP.sbe_top.store.busy"),
]
BEAT_SIGNALS = {
    "rvalid": "TOP.sbe_top.m_axi_rvalid", "rready": "TOP.sbe_top.m_axi_rready",
    "wvalid": "TOP.sbe_top.m_axi_wvalid", "wready": "TOP.sbe_top.m_axi_wready",
}
RUNNING = "TOP.sbe_top.running"


def read_vcd(path, wanted):
    """{name: [(time, value)]} for the 1-bit signals in `wanted`, from a VCD file."""
    ids, scope, changes = {}, [], {name: [] for name in wanted}
    with open(path) as f:
        lines = iter(f)
        for line in lines:
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                scope.append(words[2])
            elif words[0] == "$upscope":
                scope.pop()
            elif words[0] == "$var":
                name = ".".join(scope + [words[4]])
                if name in wanted:
                    ids.setdefault(words[3], []).append(name)
            elif words[0] == "$enddefinitions":
                break
        missing = [n for n in wanted if not any(n in names for names in ids.values())]
        if missing:
            sys.exit(f"plot_waveform: {path}: no signal {missing[0]} (a trace of sbe_top?)")
        time = 0
        for line in lines:
            c = line[:1]
            if c == "#":
                time = int(line[1:])
            elif c in "01xz" and len(line) > 1:
                for name in ids.get(line[1:].strip(), ()):
                    changes[name].append((time, 1 if c == "1" else 0))
    return changes


def intervals(change_list, t0, t1):
    """[(begin, end)] where the signal is 1, clipped to [t0, t1)."""
    out, start, value = [], None, 0
    for t, v in change_list + [(t1, 0)]:
        if v and not value:
            start = t
        elif value and not v:
            b, e = max(start, t0), min(t, t1)
            if e > b:
                out.append((b, e))
        value = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vcd", required=True, help="the co-simulation's VCD (sbe hw cosim --vcd)")
    ap.add_argument("--trace", required=True, help="the simulator's trace of the same run (sbe simulate --trace)")
    ap.add_argument("--out", required=True, help="the figure (.png or .svg)")
    ap.add_argument("--title", default="", help="the figure's title")
    a = ap.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wanted = [s for _, s in UNIT_SIGNALS] + list(BEAT_SIGNALS.values()) + [RUNNING]
    ch = read_vcd(a.vcd, wanted)
    # Time is 2 x cycle + 1 (hw/cosim/harness.cpp dumps after each rising edge); cycle 0 is
    # the first with `running`.
    rises = [t for t, v in ch[RUNNING] if v]
    if not rises:
        sys.exit(f"plot_waveform: {a.vcd}: `running` never rises")
    t0 = rises[0]
    falls = [t for t, v in ch[RUNNING] if not v and t > t0]
    t1 = falls[0] if falls else max(t for c in ch.values() for t, _ in c)
    cyc = lambda t: (t - t0) / 2.0

    # Beats: the cycles in which valid and ready are both high (the harness dumps once a cycle,
    # after the clock edge, so a dump's values hold until the next edge).
    def beats(valid, ready):
        both = []
        for b0, e0 in intervals(ch[BEAT_SIGNALS[valid]], t0, t1):
            for b1, e1 in intervals(ch[BEAT_SIGNALS[ready]], b0, e0):
                both.append((cyc(b1), cyc(e1) - cyc(b1)))
        return both

    with open(a.trace) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    tracks = {e["tid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"}
    sim = {}
    for e in events:
        if e.get("ph") == "X" and "begin_cycle" in e.get("args", {}):
            sim.setdefault(tracks.get(e["tid"], str(e["tid"])), []).append(
                (e["args"]["begin_cycle"], e["args"]["end_cycle"], e["name"]))
    sim_end = max((b for v in sim.values() for _, b, _ in v), default=0)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 5.5), sharex=True,
                                      gridspec_kw={"height_ratios": [6, 3]})
    label_beats = {}
    rows = [("DRAM read beats", None), ("DRAM write beats", None)] + UNIT_SIGNALS
    for i, (label, name) in enumerate(rows):
        y = len(rows) - 1 - i
        if name is None:
            spans = beats("rvalid", "rready") if "read" in label else beats("wvalid", "wready")
            top.broken_barh(spans, (y - 0.35, 0.7), color="tab:blue" if "read" in label else "tab:red")
            label_beats[label] = sum(w for _, w in spans)
        else:
            spans = [(cyc(b), cyc(e) - cyc(b)) for b, e in intervals(ch[name], t0, t1)]
            top.broken_barh(spans, (y - 0.35, 0.7), color="tab:green")
    top.set_yticks(range(len(rows)))
    top.set_yticklabels([f"{r} ({label_beats[r]:.0f})" if r in label_beats else r for r, _ in reversed(rows)])
    top.set_title(f"RTL (Verilator): {cyc(t1):.0f} cycles from start to done", fontsize=10, loc="left")

    names = [n for n in ("DRAM channel", "PE array", "tail") if n in sim] + [n for n in sim if n not in
                                                                          ("DRAM channel", "PE array", "tail")]
    colors = {"DRAM channel": "tab:blue", "PE array": "tab:green", "tail": "tab:purple"}
    for i, n in enumerate(names):
        y = len(names) - 1 - i
        bottom.broken_barh([(b, e - b) for b, e, _ in sim[n]], (y - 0.35, 0.7), color=colors.get(n, "tab:gray"),
                           edgecolor="white", linewidth=0.3)
    bottom.set_yticks(range(len(names)))
    bottom.set_yticklabels(list(reversed(names)))
    bottom.set_title(f"simulator (sbe simulate --trace): {sim_end} cycles", fontsize=10, loc="left")
    bottom.set_xlabel("cycle")
    if a.title:
        fig.suptitle(a.title, fontsize=11)
    fig.tight_layout()
    fig.savefig(a.out, dpi=130)
    print(f"plot_waveform: wrote {a.out} (RTL {cyc(t1):.0f} cycles, simulator {sim_end})")


if __name__ == "__main__":
    main()
