"""hw.synth: `sbe hw synth` of the smallest configuration (tests/data/hw/micro.json) with Yosys:
every PE in a DSP48E1, the design fits the XC7A100T, and the report adds up.
usage: synth_check.py SBE REPO"""
import json
import subprocess
import sys

sbe, repo = sys.argv[1], sys.argv[2]
out = subprocess.run([sbe, "hw", "synth", "--board", f"{repo}/tests/data/hw/micro.json", "--model",
                      f"{repo}/tests/data/golden/reverse_lengths/model.safetensors", "--steps", "2", "--batch", "2",
                      "--json"], capture_output=True, text=True, timeout=900)
if out.returncode != 0:
    sys.exit(f"sbe hw synth failed: {out.stderr.strip()}")
j = json.loads(out.stdout)
checks = [
    (j["pe_array_macs"] == 4, "the micro board's array is 4 PEs"),
    # The PEs' multiply-accumulates, and the tail's nine multiplies, each in one DSP48E1.
    (j["dsp48e1"] >= j["pe_array_macs"] + 9, f"dsp48e1 {j['dsp48e1']} < {j['pe_array_macs']} PEs + 9 in the tail"),
    (j["fits"] is True and j["part"] == "xc7a100t", "fits the XC7A100T"),
    (j["ramb36"] + j["ramb18"] > 0, "memories in block RAM"),
    (j["lut"] > 0 and j["ff"] > 0 and j["lutram"] > 0, "logic, registers and the accumulators' LUTRAM"),
    (0 < j["logic_levels"] < 100, f"logic depth {j['logic_levels']}"),
    (j["capacity"]["dsp48e1"] == 240, "XC7A100T capacity"),
]
failed = [what for ok, what in checks if not ok]
print(json.dumps({k: j[k] for k in ("dsp48e1", "ramb36", "ramb18", "lut", "lutram", "ff", "logic_levels", "seconds")}))
if failed:
    sys.exit("hw.synth: " + "; ".join(failed))
