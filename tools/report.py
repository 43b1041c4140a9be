#!/usr/bin/python3
"""The paper's evaluation regenerated on this machine: what `sbe report` runs.

  sbe report [--out DIR] [--quick] [--boards a,b,...] [--summary]

Drives the `sbe` binary (bench, plan, simulate: every number is measured, simulated or
predicted now) and draws the figures with matplotlib. The paper's own figures appear only in
rows marked "published", never mixed into measured ones. Writes DIR/report.md, DIR/report.json
and DIR/*.png; with --summary prints the first table only and writes nothing.
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

# What every number in the report is: its source column holds one of these.
SOURCES = ("measured", "simulated", "predicted", "published")
PAPER_BOARDS = ("vx690t", "z7045")

# The paper's table "CPU, GPU vs FPGA" (LRCN, per sample), and the ratios it quotes.
PUBLISHED_PLATFORMS = [
    {"platform": "Intel Xeon E5-2665 (TensorFlow)", "kind": "CPU", "precision": "fp32", "mhz": 2400,
     "watts": 93, "ms": 14.45, "mj": 1343},
    {"platform": "NVIDIA TITAN X Pascal (TensorFlow)", "kind": "GPU", "precision": "fp32", "mhz": 1620,
     "watts": 159, "ms": 0.78, "mj": 124.02},
    {"platform": "Virtex-7 VX690T (the paper)", "kind": "FPGA", "precision": "int16", "mhz": 125,
     "watts": 26.5, "ms": 0.38, "mj": 10.05},
    {"platform": "Zynq 7Z045 (the paper)", "kind": "FPGA", "precision": "int16", "mhz": 142,
     "watts": 10.6, "ms": 0.61, "mj": 6.47},
]
PUBLISHED_RATIOS = {"speedup_cpu": 23.7, "speedup_gpu": 1.3, "energy_cpu": 1 / 208, "energy_gpu": 1 / 19.2}
# The paper's comparison with other FPGA LSTM designs (weights off-chip).
PUBLISHED_DESIGNS = [
    ("2017 [5]", "Virtex-7 VX485T", "32 float", 1176, 150, 7.26, 0.37, 0.006),
    ("ESE", "Kintex KU060", "12", 1504, 200, 282, 6.87, 0.188),
    ("FP-DNN", "Stratix V GSMD5", "16", 2072, 150, 316, 12.63, 0.153),
    ("the paper", "Virtex-7 VX690T", "16", 2060, 125, 356, 13.48, 0.173),
    ("the paper", "Zynq 7Z045", "16", 2000, 142, 221, 20.84, 0.246),
]
# Without a power counter the CPU's power is an assumption: a hardware thread's share of a
# server CPU's TDP. The paper's Xeon E5-2665 drew 93 W over 16 threads (5.8 W each).
ASSUMED_WATTS_PER_THREAD = 5.0

LRCN_BATCHES = {"quick": [1, 32], "full": [1, 8, 32, 128]}
DEEPBENCH_BATCHES = {"quick": [1], "full": [1, 2, 4]}
SWEEP_BATCHES = {"quick": [1, 4, 16, 64, 256],
                 "full": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]}
SWEEP_BLOCKS = {"quick": [1, 4, 16, 64], "full": [1, 2, 3, 4, 6, 8, 16, 32, 64, 128, 256]}
DEEPBENCH_MODELS = ["deepbench-256", "deepbench-512", "deepbench-1024", "deepbench-1536", "deepbench-2048"]
PARTS_MODELS = {"quick": ["deepbench-256", "deepbench-1024", "deepbench-2048"], "full": DEEPBENCH_MODELS}


class ReportError(Exception):
    pass


class Progress:
    """A bar when the output is a terminal, plain lines otherwise (logs, CI); on stderr, so that
    stdout keeps only the report's own lines."""

    def __init__(self, total, enabled=True):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.enabled = enabled
        self.tty = sys.stdout.isatty() and sys.stderr.isatty()

    def step(self, label):
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        if self.tty:
            width = 30
            filled = width * self.done // max(1, self.total)
            line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                    f"{elapsed:5.0f}s  {label[:60]:<60}")
            sys.stderr.write(line)
            if self.done >= self.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"report: [{self.done}/{self.total}] {elapsed:.0f}s {label}\n")
        sys.stderr.flush()

    def finish(self):
        if self.enabled and self.tty and self.done < self.total:
            sys.stderr.write("\n")


class Sbe:
    """Runs the sbe binary; every call is one step of the progress."""

    def __init__(self, binary, progress):
        self.binary, self.progress = binary, progress

    def json(self, *args, label=None, allow_fail=False):
        cmd = [self.binary, *map(str, args), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        self.progress.step(label or " ".join(map(str, args)))
        if p.returncode != 0:
            if allow_fail:
                return None
            raise ReportError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else
                              f"{' '.join(cmd)} exited with {p.returncode}")
        return json.loads(p.stdout)

    def bench(self, args, workloads):
        """`sbe bench ... --json FILE`: one progress step per workload, read from bench's lines.
        (A file, not a pipe: a pipe's buffer would fill while bench's progress is being read.)"""
        with tempfile.TemporaryDirectory(prefix="sbe_report_") as tmp:
            path = os.path.join(tmp, "bench.json")
            cmd = [self.binary, "bench", *map(str, args), "--json", path]
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            last, seen, prev = "", 0, ""
            for line in p.stderr:
                line = line.strip()
                if line:
                    last = line
                m = re.match(r"bench: \[(\d+)/(\d+)\] (.*)", line)
                if m:
                    if seen:
                        self.progress.step(f"bench {prev}")
                    seen, prev = seen + 1, m.group(3)
            p.wait()
            if seen:
                self.progress.step(f"bench {prev}")
            for _ in range(seen, workloads):
                self.progress.step("bench")
            if p.returncode != 0:
                raise ReportError(last or f"sbe bench exited with {p.returncode}")
            with open(path) as f:
                return json.load(f)


# ---------------------------------------------------------------------------------------------
# Tables: one class renders Markdown for the report and aligned text for the terminal.

class Table:
    def __init__(self, headers):
        self.headers, self.rows = headers, []

    def add(self, *cells):
        assert len(cells) == len(self.headers), (cells, self.headers)
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def markdown(self):
        lines = ["| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def text(self):
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) for i, h in enumerate(self.headers)]
        out = ["  ".join(h.ljust(w) for h, w in zip(self.headers, widths))]
        out.append("  ".join("-" * w for w in widths))
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in self.rows]
        return "\n".join(out) + "\n"


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, int):
        return str(v)
    if v == 0:
        return "0"
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def ratio(v):
    if v is None:
        return "–"
    return f"{v:.3g}×" if v >= 1 else f"1/{1 / v:.3g}"


# ---------------------------------------------------------------------------------------------
# Data collection.

def bench_results(bench, model):
    """{batch: {label: result}} for one model of an `sbe bench` report."""
    by_batch = {}
    for w in bench["workloads"]:
        if w["model"] != model:
            continue
        d = by_batch.setdefault(w["batch"], {})
        for r in w["results"]:
            key = r["engine"] + " " + r["precision"] + (" " + r["schedule"] if r.get("schedule") else "")
            d[key] = r
    return by_batch


ENGINE_ROWS = [("sbe int16 stall-free", "sbe engine", "int16"),
               ("sbe fp32 stall-free", "sbe engine", "fp32"),
               ("onednn fp32", "oneDNN", "fp32"),
               ("pytorch fp32", "PyTorch", "fp32")]
SIMULATED_CONFIGS = [("vx690t", "planner", ["--timing-only"]),
                     ("vx690t", "batch 1", ["--batch", 1, "--samples", 4, "--check"]),
                     ("z7045", "planner", ["--check"]),
                     ("z7045", "batch 1", ["--batch", 1, "--timing-only"])]
LRCN_OPS = 2 * 2 ** 21 * 32  # operations per sample: 2 per multiply-add


def collect_platforms(sbe, bench, cpu_watts):
    """The rows of table 1: this CPU measured, the paper's boards simulated, the paper's rows."""
    rows = []
    lrcn = bench_results(bench, "lrcn")
    cpu = f"this CPU ({bench['machine']['cpu']}, {bench['threads']} threads)"
    for batch, results in sorted(lrcn.items()):
        for key, engine, precision in ENGINE_ROWS:
            r = results.get(key)
            if not r:
                continue
            rows.append({"platform": cpu, "kind": "CPU", "engine": engine, "precision": precision,
                         "batch": batch, "ms": r["ms_per_sample"], "gops": r["gops"], "watts": cpu_watts,
                         "mj": r["ms_per_sample"] * cpu_watts, "source": "measured",
                         "error_vs_fp32": r["max_abs_diff_vs_onednn"] if precision == "int16" else None})
    for board, label, extra in SIMULATED_CONFIGS:
        j = sbe.json("simulate", "--board", board, "--model", "lrcn", *extra,
                     label=f"simulate lrcn on {board}, {label}")
        check = j.get("check_vs_golden")
        rows.append({"platform": f"{board} ({j['board_info']['clock_mhz']:g} MHz, "
                                 f"{j['board_info']['macs_per_cycle']} PEs)",
                     "kind": "FPGA", "engine": f"SBE, {label}", "precision": "int16", "batch": j["batch"],
                     "ms": j["ms_per_sample"], "gops": j["gops"],
                     "watts": j["mj_per_sample"] / j["ms_per_sample"], "mj": j["mj_per_sample"],
                     "source": "simulated", "board": board, "config": label,
                     "bit_exact": check["bit_exact"] if check else None,
                     "predicted_gops": j["plan"]["predicted_gops"]})
    for p in PUBLISHED_PLATFORMS:
        rows.append({"platform": p["platform"], "kind": p["kind"], "engine": "published",
                     "precision": p["precision"], "batch": None, "ms": p["ms"],
                     "gops": LRCN_OPS / (p["ms"] * 1e6), "watts": p["watts"], "mj": p["mj"],
                     "source": "published"})
    return rows


def platform_table(rows):
    """Table 1; the notes under it say what the marks (*, †, ‡) mean."""
    t = Table(["platform", "engine", "precision", "batch", "ms / sample", "GOPS", "power (W)",
               "mJ / sample", "source"])
    for r in rows:
        source = r["source"]
        if source == "measured":
            source += "*"
        elif source == "simulated" and r.get("bit_exact"):
            source += "†"
        elif source == "published":
            source += "‡"
        t.add(r["platform"], r["engine"], r["precision"], r["batch"], r["ms"], r["gops"], r["watts"],
              r["mj"], source)
    return t


def platform_notes(rows, cpu_power_note):
    return [f"\\* time measured; power {cpu_power_note}; mJ = measured ms × that power.",
            "† simulated with the values computed: bit-exact with the golden model.",
            "‡ time, power and energy as published; GOPS = 134.2 M operations ÷ the published time.",
            int16_error_line(rows) + "."]


def recomputed_ratios(rows):
    """The paper's four ratios (Z7045 against CPU and GPU) recomputed: simulated Z7045 against
    each CPU engine measured here at its best per-sample time, and against the published GPU."""
    z = next(r for r in rows if r.get("board") == "z7045" and r["config"] == "planner")
    gpu = next(r for r in rows if r["source"] == "published" and r["kind"] == "GPU")
    t = Table(["ratio", "the paper (published)", "recomputed", "from"])
    xeon, zynq = PUBLISHED_PLATFORMS[0], PUBLISHED_PLATFORMS[3]
    t.add("Z7045 speed-up over the CPU",
          f"{PUBLISHED_RATIOS['speedup_cpu']}× (published; {xeon['ms']} / {zynq['ms']} ms = "
          f"{xeon['ms'] / zynq['ms']:.1f}×)", "", "")
    best = {}
    for r in rows:
        if r["kind"] == "CPU" and r["source"] == "measured":
            k = (r["engine"], r["precision"])
            if k not in best or r["ms"] < best[k]["ms"]:
                best[k] = r
    for (engine, precision), r in best.items():
        t.add(f"  over {engine} {precision} (batch {r['batch']})", "",
              ratio(r["ms"] / z["ms"]), "simulated Z7045 ÷ measured CPU time per sample")
    t.add("Z7045 speed-up over the GPU",
          f"{PUBLISHED_RATIOS['speedup_gpu']}× (published; {gpu['ms']} / {zynq['ms']} ms)",
          ratio(gpu["ms"] / z["ms"]), "simulated Z7045 ÷ published TITAN X time per sample")
    t.add("Z7045 energy per sample against the CPU",
          f"{ratio(PUBLISHED_RATIOS['energy_cpu'])} (published; {zynq['mj']} / {xeon['mj']} mJ)", "", "")
    for (engine, precision), r in best.items():
        t.add(f"  against {engine} {precision} (batch {r['batch']})", "", ratio(z["mj"] / r["mj"]),
              "simulated Z7045 mJ ÷ (measured CPU time × assumed power)")
    t.add("Z7045 energy per sample against the GPU",
          f"{ratio(PUBLISHED_RATIOS['energy_gpu'])} (published; {zynq['mj']} / {gpu['mj']} mJ)",
          ratio(z["mj"] / gpu["mj"]), "simulated Z7045 mJ ÷ published TITAN X mJ")
    return t


def int16_error_line(rows):
    errs = [(r["batch"], r["error_vs_fp32"]) for r in rows if r.get("error_vs_fp32") is not None]
    if not errs:
        return ""
    worst = max(e for _, e in errs)
    return (f"int16 against fp32 (measured): max |y_int16 − y_fp32| = {worst:.3g} over "
            f"{len(errs)} batch size{'s' if len(errs) > 1 else ''} (y in (−1, 1); the int16 "
            "engine is bit-exact with the golden model, and so is the simulator)")


def fpga_designs(sbe, boards):
    t = Table(["design", "FPGA", "bits", "DSPs used", "MHz", "GOPS", "GOPS/W", "GOPS/DSP", "source"])
    for row in PUBLISHED_DESIGNS:
        t.add(*row[:3], *row[3:], "published")
    data = []
    for board in boards:
        j = sbe.json("simulate", "--board", board, "--model", "lrcn", "--timing-only",
                     label=f"simulate lrcn on {board}")
        info = j["board_info"]
        watts = j["mj_per_sample"] / j["ms_per_sample"]
        dsps = info["macs_per_cycle"]
        t.add(f"sbe, batch {j['batch']}", f"{info['name']}: {info['description'].split(':')[0]}",
              str(info["word_bits"]), dsps, info["clock_mhz"], j["gops"], j["gops"] / watts,
              j["gops"] / dsps, "simulated (DSPs: the PE array, one DSP per PE)")
        data.append({"board": info["name"], "gops": j["gops"], "watts": watts, "dsps": dsps,
                     "batch": j["batch"]})
    return t, data


def sweep(sbe, board, mode, model="lrcn"):
    """Simulated and predicted GOPS against batch (block-batch with the planner's blocks, and
    non block-batch) and against the blocking number, with the paper's rooflines."""
    plan = sbe.json("plan", "--board", board, "--model", model, "--curves",
                    label=f"plan {model} on {board}")
    points = {"block-batch": [], "non block-batch": []}
    for b in SWEEP_BATCHES[mode]:
        for name, extra in (("block-batch", []), ("non block-batch", ["--non-block-batch"])):
            j = sbe.json("simulate", "--board", board, "--model", model, "--batch", b, "--timing-only",
                         *extra, label=f"simulate {model} on {board}, batch {b}, {name}", allow_fail=True)
            if j:
                points[name].append({"batch": b, "gops": j["gops"], "predicted": j["plan"]["predicted_gops"],
                                     "blocks": j["blocks"]})
    by_blocks = {}
    for nb in SWEEP_BLOCKS[mode]:
        for b in (1, 8, 32):
            j = sbe.json("simulate", "--board", board, "--model", model, "--batch", b, "--blocks", nb,
                         "--timing-only", label=f"simulate {model} on {board}, batch {b}, {nb} blocks",
                         allow_fail=True)
            if j:
                by_blocks.setdefault(b, []).append({"blocks": nb, "gops": j["gops"],
                                                    "predicted": j["plan"]["predicted_gops"]})
    curves = plan["curves"]
    return {"board": plan["board"], "model": model, "peak_gops": plan["peak_gops"], "points": points,
            "by_blocks": by_blocks, "roofline_case12": curves["roofline_case12"],
            "roofline_case3": curves["roofline_case3"], "alpha_case3": curves["alpha_case3"]}


def sweep_table(s):
    t = Table(["batch", "block-batch GOPS (simulated)", "(predicted)", "non block-batch GOPS (simulated)",
               "(predicted)", "blocks chosen"])
    nbb = {p["batch"]: p for p in s["points"]["non block-batch"]}
    bb = {p["batch"]: p for p in s["points"]["block-batch"]}
    for b in sorted(set(bb) | set(nbb)):
        x, y = bb.get(b), nbb.get(b)
        t.add(b, x["gops"] if x else "does not fit", x["predicted"] if x else "–",
              y["gops"] if y else "does not fit", y["predicted"] if y else "–",
              x["blocks"] if x else "–")
    return t


def arch_rows(sbe, boards):
    t = Table(["board", "model", "batch", "stall-free GOPS (simulated)", "baseline GOPS (simulated)",
               "speed-up (simulated)", "baseline cycles: busy / accumulator / barrier / weights / other (simulated)"])
    data = []
    configs = [(b, "lrcn", batch) for b in boards for batch in (1, 32)]
    for board, model, batch in configs:
        common = ["--board", board, "--model", model, "--batch", batch, "--timing-only"]
        s = sbe.json("simulate", *common, label=f"simulate {model} on {board}, batch {batch}, stall-free",
                     allow_fail=True)
        b = sbe.json("simulate", *common, "--arch", "baseline",
                     label=f"simulate {model} on {board}, batch {batch}, baseline", allow_fail=True)
        if not s or not b:
            continue
        st, c = b["stall_cycles"], b["cycles"]
        other = st["input"] + st["recurrence"] + st["fill_drain"]
        pct = lambda v: f"{100 * v / c:.0f}%"
        board = s["board_info"]["name"]
        t.add(board, model, batch, s["gops"], b["gops"], f"{s['gops'] / b['gops']:.2f}×",
              f"{pct(b['busy_cycles'])} / {pct(st['accumulator'])} / {pct(st['barrier'])} / "
              f"{pct(st['weights'])} / {pct(other)}")
        data.append({"board": board, "model": model, "batch": batch, "stall_free_gops": s["gops"],
                     "baseline_gops": b["gops"]})
    return t, data


def cpu_schedule_table(benches):
    t = Table(["model", "batch", "precision", "stall-free ms (measured)", "barrier ms (measured)",
               "stall-free speed-up (measured)"])
    for bench in benches:
        for w in bench["workloads"]:
            for precision in ("int16", "fp32"):
                r = {x.get("schedule"): x for x in w["results"]
                     if x["engine"] == "sbe" and x["precision"] == precision}
                if "stall-free" in r and "barrier" in r:
                    sf, ba = r["stall-free"]["seconds"], r["barrier"]["seconds"]
                    t.add(w["model"], w["batch"], precision, sf * 1e3, ba * 1e3, f"{ba / sf:.2f}×")
    return t


def deepbench_table(bench):
    t = Table(["model", "batch", "steps", "sbe int16 GOPS (measured)", "sbe fp32 (measured)",
               "oneDNN fp32 (measured)", "PyTorch fp32 (measured)", "int16 ÷ oneDNN (measured)",
               "int16 ÷ PyTorch (measured)", "int16 roofline fraction (measured ÷ predicted)"])
    for w in bench["workloads"]:
        r = {x["engine"] + " " + x["precision"] + (" " + x["schedule"] if x.get("schedule") else ""): x
             for x in w["results"]}
        i16 = r.get("sbe int16 stall-free")
        g = lambda k: r[k]["gops"] if k in r else None
        t.add(w["model"], w["batch"], w["steps"], g("sbe int16 stall-free"), g("sbe fp32 stall-free"),
              g("onednn fp32"), g("pytorch fp32"),
              f"{i16['vs_onednn']:.2f}×" if i16 and "vs_onednn" in i16 else "–",
              f"{i16['vs_torch']:.2f}×" if i16 and "vs_torch" in i16 else "–",
              f"{100 * i16['roofline_fraction']:.0f}%" if i16 else "–")
    return t


def current_parts(sbe, boards, mode):
    models = PARTS_MODELS[mode]
    t = Table(["board", "model", "batch", "blocks", "GOPS (simulated)", "GOPS (predicted)",
               "ms / sample (simulated)", "mJ / sample (simulated)", "PE utilisation (simulated)"])
    data = []
    for board in boards:
        for model in models:
            j = sbe.json("simulate", "--board", board, "--model", model, "--timing-only",
                         label=f"simulate {model} on {board}", allow_fail=True)
            if not j:
                t.add(board, model, "–", "–", "does not fit", "–", "–", "–", "–")
                continue
            name = j["board_info"]["name"]
            t.add(name, model, j["batch"], j["blocks"], j["gops"], j["plan"]["predicted_gops"],
                  j["ms_per_sample"], j["mj_per_sample"], f"{100 * j['pe_utilization']:.0f}%")
            data.append({"board": name, "model": model, "gops": j["gops"], "batch": j["batch"],
                         "peak": j["board_info"]["peak_gops"]})
    return t, data


# ---------------------------------------------------------------------------------------------
# Figures.

def plt_module():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def sweep_figure(s, out):
    plt = plt_module()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    colours = {"block-batch": "tab:blue", "non block-batch": "tab:orange"}
    for name, pts in s["points"].items():
        if not pts:
            continue
        xs = [p["batch"] for p in pts]
        ax1.plot(xs, [p["predicted"] for p in pts], "-", color=colours[name], alpha=0.6,
                 label=f"{name}, predicted (planner)")
        ax1.plot(xs, [p["gops"] for p in pts], "o", color=colours[name], label=f"{name}, simulated")
    r12, r3 = s["roofline_case12"], s["roofline_case3"]
    ax1.plot([p[0] for p in r12], [p[1] for p in r12], "k--", label="roofline, cases 1 & 2 (eq. 2)")
    ax1.plot([p[0] for p in r3], [p[1] for p in r3], "k:",
             label=f"roofline, case 3 (eqs. 5, 6; α {s['alpha_case3']:.4f})")
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xlabel("batch size (samples)")
    ax1.set_ylabel("throughput (GOPS, log scale)")
    ax1.set_title(f"{s['model']} on {s['board']}: throughput against batch size")
    ax1.grid(alpha=0.3, which="both")
    ax1.legend(fontsize=7)
    for k, (b, pts) in enumerate(sorted(s["by_blocks"].items())):
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
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def parts_figure(data, cpu_bench, out):
    plt = plt_module()
    fig, ax = plt.subplots(figsize=(10, 4.8))
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
    sizes = sorted(hidden(m) for m in DEEPBENCH_MODELS)
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
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def bench_figure(bench, out):
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import plot_bench
    plot_bench.plot(bench, out)


# ---------------------------------------------------------------------------------------------

def machine_line(bench):
    m, v = bench["machine"], bench.get("versions", {})
    return (f"{m['cpu']}, {m['cores']} logical cores, {m['simd']}; {bench['threads']} threads; "
            f"sbe {v.get('sbe', '?')} ({v.get('kernels', '?')} kernels, {v.get('compiler', '?')}), "
            f"oneDNN {v.get('onednn', '?')}")


def torch_note(bench):
    for w in bench["workloads"]:
        for r in w["results"]:
            if r["engine"] == "pytorch":
                return r.get("note", "")
    notes = bench.get("notes", [])
    return notes[0] if notes else "PyTorch not run (--no-torch)"


def cpu_power(args, threads):
    if args.cpu_watts:
        return args.cpu_watts, f"{args.cpu_watts:g} W, given with --cpu-watts"
    w = ASSUMED_WATTS_PER_THREAD * threads
    return w, (f"assumed {w:g} W = {ASSUMED_WATTS_PER_THREAD:g} W × {threads} threads; this machine "
               "exposes no power counter")


def lrcn_bench_args(args, mode, repeat):
    a = ["--model", "lrcn", "--batch", ",".join(map(str, LRCN_BATCHES[mode])), "--repeat", repeat,
         "--threads", args.threads, "--seed", args.seed]
    return a + (["--no-torch"] if args.no_torch else [])


def summary(args):
    mode = "quick"
    steps = len(LRCN_BATCHES[mode]) + 4
    progress = Progress(steps)
    sbe = Sbe(args.sbe, progress)
    bench = sbe.bench(lrcn_bench_args(argparse.Namespace(**{**vars(args), "no_torch": True}), mode, 3),
                      len(LRCN_BATCHES[mode]))
    watts, note = cpu_power(args, bench["threads"])
    rows = collect_platforms(sbe, bench, watts)
    progress.finish()
    print("lrcn (input 1792, hidden 256, 32 steps; 134.2 M operations per sample): the paper's first "
          "table beside this machine")
    print(platform_table(rows).text())
    for line in platform_notes(rows, note):
        print(line.replace("\\*", "*"))
    print(f"machine: {machine_line(bench)}")
    print("every section of the paper's evaluation: sbe report --out DIR (see docs/report/report.md)")


def full_report(args):
    mode = "quick" if args.quick else "full"
    repeat = 2 if args.quick else 5
    out = pathlib.Path(args.out)
    boards = args.boards.split(",")
    db_batches = DEEPBENCH_BATCHES[mode]
    # Section 2 compares every board preset (and any other board given) with the published designs.
    presets = sorted(p.stem for p in (pathlib.Path(__file__).resolve().parents[1] / "boards").glob("*.json"))
    design_boards = presets + [b for b in boards if b not in presets]
    n_sweep = 1 + 2 * len(SWEEP_BATCHES[mode]) + 3 * len(SWEEP_BLOCKS[mode])
    n_parts = len(PARTS_MODELS[mode])
    total = (len(LRCN_BATCHES[mode]) + len(DEEPBENCH_MODELS) * len(db_batches) + 4 + len(design_boards)
             + len(boards) * n_sweep + 4 * len(boards) + len(boards) * n_parts)
    progress = Progress(total)
    sbe = Sbe(args.sbe, progress)
    started = time.monotonic()

    lrcn = sbe.bench(lrcn_bench_args(args, mode, repeat), len(LRCN_BATCHES[mode]))
    db_args = ["--suite", "deepbench", "--batch", ",".join(map(str, db_batches)), "--repeat", repeat,
               "--threads", args.threads, "--seed", args.seed] + (["--no-torch"] if args.no_torch else [])
    deepbench = sbe.bench(db_args, len(DEEPBENCH_MODELS) * len(db_batches))
    watts, power_note = cpu_power(args, lrcn["threads"])
    platforms = collect_platforms(sbe, lrcn, watts)
    designs, designs_data = fpga_designs(sbe, design_boards)
    sweeps = [sweep(sbe, b, mode) for b in boards]
    arch, arch_data = arch_rows(sbe, boards)
    parts, parts_data = current_parts(sbe, boards, mode)
    progress.finish()

    figures = {}
    for s in sweeps:
        # Board names come from their files: keep them to characters safe in a file name.
        figures[f"batch_blocks_{s['board']}"] = "batch_blocks_" + re.sub(r"[^A-Za-z0-9_.-]", "_", s["board"]) + ".png"
        sweep_figure(s, out / figures[f"batch_blocks_{s['board']}"])
    figures["cpu_lrcn"] = "cpu_lrcn.png"
    bench_figure(lrcn, out / figures["cpu_lrcn"])
    figures["cpu_deepbench"] = "cpu_deepbench.png"
    bench_figure(deepbench, out / figures["cpu_deepbench"])
    figures["fpga_deepbench"] = "fpga_deepbench.png"
    parts_figure(parts_data, deepbench, out / figures["fpga_deepbench"])
    elapsed = time.monotonic() - started

    command = "sbe report" + (" --quick" if args.quick else "") + f" --out {args.out}"
    if args.boards != "vx690t,z7045,u280":
        command += f" --boards {args.boards}"
    md = []
    md.append("# The paper's evaluation, regenerated\n")
    md.append(f"Que et al., *Efficient Weight Reuse for Large LSTMs* (ASAP 2019), checked on this machine "
              f"by `{command}` ({'quick: fewer repetitions and points; ' if args.quick else ''}"
              f"{elapsed / 60:.1f} minutes, {datetime.date.today().isoformat()}).\n")
    md.append(f"- **Machine:** {machine_line(lrcn)}. {torch_note(lrcn)}.")
    md.append(f"- **CPU power:** {power_note}.")
    md.append(f"- **Boards simulated:** {', '.join(boards)} (`boards/*.json`; every figure's source is "
              "listed there; docs/BOARDS.md).")
    md.append("- **Every number says what it is:** *measured* (timed on this machine now, median of "
              f"{repeat} runs, the engines taking turns in rounds of up to three runs, each turn opened "
              "by 20 ms of warm-up runs), *simulated* (`sbe simulate`, the cycle-level model of the accelerator), *predicted* (`sbe plan`, the paper's performance model), or *published* "
              "(copied from the paper, never mixed with the others).\n")

    md.append("## 1. CPU, GPU vs FPGA\n")
    md.append("The LRCN workload of the paper: input 1792, hidden 256, 32 steps, 134.2 M operations per "
              "sample (2 per multiply-add). CPU rows are per-sample times at each batch; FPGA rows are "
              "simulated on the paper's two boards.\n")
    md.append(platform_table(platforms).markdown())
    md.append("\n".join(f"- {line}" for line in platform_notes(platforms, power_note)) + "\n")
    md.append("The paper's ratios compare its Zynq 7Z045 with the CPU and GPU. Recomputed for our rows "
              "(the simulated Z7045 at the planner's throughput batch; there is no GPU on this machine, "
              "so the GPU ratios use the published GPU row):\n")
    md.append(recomputed_ratios(platforms).markdown())

    md.append("## 2. Comparison with other FPGA designs\n")
    md.append("lrcn at the planner's throughput batch on every board preset. GOPS/W uses the simulated energy "
              "(static power plus the dynamic part in proportion to PE utilisation).\n")
    md.append(designs.markdown())

    md.append("## 3. Batch size and blocking number\n")
    md.append("Simulated points over the planner's predictions for the same plans, with the paper's "
              "rooflines (eqs. 2, 5, 6). Block-batch uses the planner's blocking number for each batch; "
              "non block-batch fetches streamed weights once per sample. On the right, throughput "
              "against the blocking number at batch 1, 8 and 32.\n")
    for s in sweeps:
        md.append(f"### lrcn on {s['board']}\n")
        md.append(f"![lrcn on {s['board']}]({figures['batch_blocks_' + s['board']]})\n")
        md.append(sweep_table(s).markdown())

    md.append("## 4. Stall-free against baseline\n")
    md.append("On the accelerator (simulated): the column-wise, stall-free PE array against the "
              "row-wise baseline, whose accumulator waits for its adder and whose time steps wait at a "
              "barrier.\n")
    md.append(arch.markdown())
    md.append("On this CPU (measured): the engine's stall-free schedule (per-chunk ready flags, a thread "
              "runs at most one step ahead) against a barrier between time steps.\n")
    md.append(cpu_schedule_table([lrcn, deepbench]).markdown())

    md.append("## 5. Beyond the paper\n")
    md.append("### The CPU engine against oneDNN and PyTorch\n")
    md.append(f"![lrcn on this CPU]({figures['cpu_lrcn']})\n")
    md.append(f"![DeepBench on this CPU]({figures['cpu_deepbench']})\n")
    md.append("DeepBench's inference LSTMs (input = hidden), on the same weights and inputs:\n")
    md.append(deepbench_table(deepbench).markdown())
    md.append("lrcn:\n")
    md.append(deepbench_table(lrcn).markdown())
    md.append("### Current FPGA parts\n")
    md.append(f"![DeepBench on FPGA parts]({figures['fpga_deepbench']})\n")
    md.append(parts.markdown())

    (out / "report.md").write_text("\n".join(md))
    data = {"command": command, "seconds": elapsed, "mode": mode, "boards": boards,
            "cpu_watts": watts, "cpu_power_note": power_note, "platforms": platforms,
            "fpga_designs": designs_data, "sweeps": sweeps, "stall_free_vs_baseline": arch_data,
            "current_parts": parts_data, "bench_lrcn": lrcn, "bench_deepbench": deepbench,
            "figures": figures}
    (out / "report.json").write_text(json.dumps(data, indent=1))
    print(f"wrote {out / 'report.md'} with {len(figures)} figures ({elapsed / 60:.1f} minutes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sbe", required=True)
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--boards", default="vx690t,z7045,u280")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--cpu-watts", type=float)
    args = ap.parse_args()
    try:
        if args.summary:
            summary(args)
        else:
            full_report(args)
    except ReportError as e:
        sys.stderr.write(f"\nsbe: error: report: {e}\n")
        return 1
    except ImportError as e:
        sys.stderr.write(f"\nsbe: error: report: figures need python3-matplotlib ({e})\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
