#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""report.py - the tables, results.json and plots of `make bench`.

    tests/bench/report.py [--no-plots] OUTDIR

Reads OUTDIR/runs.tsv (written in the guest by tests/bench/bench.sh), prints
the ratio table and the collector figures, and writes OUTDIR/results.json,
OUTDIR/table.txt and, when gnuplot is installed, OUTDIR/faultin.svg,
OUTDIR/ratios.svg, OUTDIR/collector.svg and OUTDIR/snapshot.svg (and .png).

runs.tsv, one measurement a line, tab-separated:
    info   KEY VALUE
    fault  ALIGN MODE ROUND SECONDS FAULTS      (fault-in of SIZE at 4K stride)
    coll   DEVS PROCS LOAD TOOL CPU% RSS_KIB    (LOAD idle|storm, TOOL daxtop|daxcollect)
    snap   DEVS PROCS LOAD NS ROWS CHANGED CPU_NS   (one collector snapshot:
                                                 wall and CPU time)
    storm  DEVS PROCS FAULTS_PER_S
MODE: intree, tdax, fa16, daxtop, daxcollect, both, notrace.

Ratios are the median over rounds of the per-round ratio (both runs of one
round were taken minutes apart in the same guest, so the host's load hits
them alike); "min/min" is the ratio of the fastest runs.  Exit 0, or 1 with
one line when runs.tsv is missing or has no fault-in runs.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

ALIGNS = ["4K", "2M", "1G"]
MODES = ["intree", "tdax", "fa16", "notrace", "daxtop", "daxcollect", "both"]
MODE_NAMES = {
    "intree": "in-tree device_dax",
    "tdax": "tdax (tracepoints off)",
    "fa16": "tdax fault_around 16",
    "notrace": "tdax built without tracepoints",
    "daxtop": "tdax + daxtop",
    "daxcollect": "tdax + daxcollect",
    "both": "tdax + daxtop + daxcollect",
}
# (name, numerator, denominator, aligns, target: align -> limit)
RATIOS = [
    ("tdax / in-tree", "tdax", "intree", ALIGNS, {"4K": 1.00, "2M": 1.00, "1G": 1.00}),
    ("fault-around 16 / in-tree", "fa16", "intree", ["4K"], {"4K": 0.25}),
    ("with / without fault-around", "fa16", "tdax", ["4K"], {}),
    ("traced-disabled / no-trace", "tdax", "notrace", ALIGNS, {"4K": 1.01, "2M": 1.01, "1G": 1.01}),
    ("daxtop / unwatched", "daxtop", "tdax", ALIGNS, {"4K": 1.15, "2M": 1.05, "1G": 1.05}),
    ("daxcollect / unwatched", "daxcollect", "tdax", ALIGNS, {"4K": 1.15, "2M": 1.05, "1G": 1.05}),
    ("both / unwatched", "both", "tdax", ALIGNS, {"4K": 1.15, "2M": 1.05, "1G": 1.05}),
    # one program set per host: the second consumer adds nothing per fault
    ("both / daxtop alone", "both", "daxtop", ALIGNS, {"4K": 1.05, "2M": 1.05, "1G": 1.05}),
]
CPU_TARGET = 1.0  # % of one CPU at a 1 s refresh
RSS_TARGET_MIB = 20.0


def median(v):
    return statistics.median(v) if v else None


def parse(path):
    info, faults, coll, snaps, storms = {}, [], [], [], []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            p = line.rstrip("\n").split("\t")
            if not p or not p[0]:
                continue
            try:
                if p[0] == "info":
                    info[p[1]] = "\t".join(p[2:])
                elif p[0] == "fault":
                    faults.append({"align": p[1], "mode": p[2], "round": int(p[3]),
                                   "seconds": float(p[4]), "faults": int(p[5])})
                elif p[0] == "coll":
                    coll.append({"devs": int(p[1]), "procs": int(p[2]), "load": p[3],
                                 "tool": p[4], "cpu_pct": float(p[5]),
                                 "rss_kib": int(p[6])})
                elif p[0] == "snap":
                    snaps.append({"devs": int(p[1]), "procs": int(p[2]), "load": p[3],
                                  "ns": int(p[4]), "rows": int(p[5]), "changed": int(p[6]),
                                  "cpu_ns": int(p[7]) if len(p) > 7 else None})
                elif p[0] == "storm":
                    storms.append({"devs": int(p[1]), "procs": int(p[2]),
                                   "faults_per_s": float(p[3])})
                else:
                    raise ValueError("unknown record " + p[0])
            except (IndexError, ValueError) as e:
                sys.exit("report.py: %s:%d: bad line (%s): %r" % (path, ln, e, line))
    return info, faults, coll, snaps, storms


def fault_stats(faults):
    out = {}
    for a in ALIGNS:
        for m in MODES:
            runs = [r for r in faults if r["align"] == a and r["mode"] == m]
            if runs:
                t = [r["seconds"] for r in runs]
                out[(a, m)] = {"median_s": median(t), "min_s": min(t), "max_s": max(t),
                               "runs": len(t),
                               "faults": int(median([r["faults"] for r in runs])),
                               "by_round": {}}
                for r in runs:  # several runs in a round (INNER): the fastest
                    b = out[(a, m)]["by_round"]
                    b[r["round"]] = min(b.get(r["round"], r["seconds"]), r["seconds"])
    return out


def ratio(st, a, num, den):
    n, d = st.get((a, num)), st.get((a, den))
    if not n or not d:
        return None
    per = [n["by_round"][r] / d["by_round"][r]
           for r in sorted(n["by_round"]) if r in d["by_round"] and d["by_round"][r] > 0]
    return {"paired": median(per), "minmin": n["min_s"] / d["min_s"] if d["min_s"] else None,
            "rounds": len(per)}


def fmt(v, p="%.3f"):
    return "-" if v is None else p % v


def report(out, plots=True):
    path = os.path.join(out, "runs.tsv")
    if not os.path.exists(path):
        sys.exit("report.py: %s missing (run make bench)" % path)
    info, faults, coll, snaps, storms = parse(path)
    if not faults:
        sys.exit("report.py: %s has no fault-in runs" % path)
    st = fault_stats(faults)
    lines = []
    say = lines.append
    say("tdax bench: kernel %s, %s, %s fault-in of %s at 4K stride, %s rounds%s, clocksource %s" % (
        info.get("kernel", "?"), info.get("date", "?"), "TCG guest,", info.get("size", "?"),
        info.get("reps", "?"), " (QUICK)" if info.get("quick") == "1" else "",
        info.get("clocksource", "?")))
    say("")
    say("Fault-in times (s) over the rounds; MAX/MIN: the spread (the host's load)")
    say("%-5s %-32s %8s %9s %9s %7s" % ("ALIGN", "MODE", "FAULTS", "MEDIAN", "MIN", "MAX/MIN"))
    for a in ALIGNS:
        for m in MODES:
            s = st.get((a, m))
            if s:
                say("%-5s %-32s %8d %9.4f %9.4f %7.2f" % (
                    a, MODE_NAMES[m], s["faults"], s["median_s"], s["min_s"],
                    s["max_s"] / s["min_s"] if s["min_s"] else 0))
    say("")
    say("Ratios (median of per-round ratios; min/min: fastest runs)")
    say("%-30s %-5s %7s %7s %7s  %s" % ("RATIO", "ALIGN", "PAIRED", "MIN/MIN", "TARGET", "MET"))
    rat = []
    for name, num, den, aligns, tgt in RATIOS:
        for a in aligns:
            r = ratio(st, a, num, den)
            if not r:
                continue
            t = tgt.get(a)
            met = None if t is None or r["paired"] is None else r["paired"] <= t
            rat.append({"ratio": name, "num": num, "den": den, "align": a,
                        "paired": r["paired"], "minmin": r["minmin"], "rounds": r["rounds"],
                        "target": t, "met": met})
            say("%-30s %-5s %7s %7s %7s  %s" % (name, a, fmt(r["paired"]), fmt(r["minmin"]),
                                               "<=%.2f" % t if t is not None else "",
                                               "" if met is None else ("yes" if met else "NO")))
    coll_rows = []
    if coll:
        say("")
        say("Collector at a 1 s refresh: CPU % of one CPU and RSS (MiB) of daxtop (TOP) and "
            "daxcollect (DC);")
        say("one snapshot of the collector library: median wall and CPU ms, rows, rows changed;")
        say("MET: both tools within CPU <= %.0f %% and RSS <= %.0f MiB"
            % (CPU_TARGET, RSS_TARGET_MIB))
        say("%5s %6s %-5s %8s %7s %8s %7s %8s %8s %6s %7s %9s %s" % (
            "DEVS", "PROCS", "LOAD", "TOP_CPU%", "TOP_MiB", "DC_CPU%", "DC_MiB",
            "SNAP_ms", "SNAPCPU", "ROWS", "CHANGED", "FAULTS/s", "MET"))
        keys = sorted({(c["devs"], c["procs"], c["load"]) for c in coll},
                      key=lambda k: (k[0], k[1], k[2] != "idle"))
        for k in keys:
            row = {"devs": k[0], "procs": k[1], "load": k[2]}
            for tool, pre in (("daxtop", "daxtop"), ("daxcollect", "daxcollect")):
                c = [x for x in coll if (x["devs"], x["procs"], x["load"]) == k and x["tool"] == tool]
                row[pre + "_cpu_pct"] = median([x["cpu_pct"] for x in c])
                row[pre + "_rss_mib"] = median([x["rss_kib"] / 1024 for x in c])
            sn = [x for x in snaps if (x["devs"], x["procs"], x["load"]) == k]
            row["snapshot_ms"] = median([x["ns"] / 1e6 for x in sn])
            row["snapshot_cpu_ms"] = median([x["cpu_ns"] / 1e6 for x in sn
                                             if x["cpu_ns"] is not None])
            row["rows"] = median([x["rows"] for x in sn])
            row["changed"] = median([x["changed"] for x in sn])
            sr = [x["faults_per_s"] for x in storms if (x["devs"], x["procs"]) == k[:2]]
            row["storm_faults_per_s"] = median(sr) if k[2] == "storm" else None
            cpus = [row["daxtop_cpu_pct"], row["daxcollect_cpu_pct"]]
            rss = [row["daxtop_rss_mib"], row["daxcollect_rss_mib"]]
            row["cpu_met"] = all(v is not None and v <= CPU_TARGET for v in cpus)
            row["rss_met"] = all(v is not None and v <= RSS_TARGET_MIB for v in rss)
            coll_rows.append(row)
            say("%5d %6d %-5s %8s %7s %8s %7s %8s %8s %6s %7s %9s %s" % (
                k[0], k[1], k[2], fmt(row["daxtop_cpu_pct"], "%.2f"),
                fmt(row["daxtop_rss_mib"], "%.1f"), fmt(row["daxcollect_cpu_pct"], "%.2f"),
                fmt(row["daxcollect_rss_mib"], "%.1f"), fmt(row["snapshot_ms"], "%.2f"),
                fmt(row["snapshot_cpu_ms"], "%.2f"),
                fmt(row["rows"], "%d"), fmt(row["changed"], "%d"),
                fmt(row["storm_faults_per_s"], "%.0f"),
                "yes" if row["cpu_met"] and row["rss_met"] else
                "NO (%s)" % " ".join(x for x, ok in (("cpu", row["cpu_met"]),
                                                      ("rss", row["rss_met"])) if not ok)))
    try:
        slow = float(info["calib_guest_s"]) / float(info["calib_host_s"])
    except (KeyError, ValueError, ZeroDivisionError):
        slow = None
    if slow:
        say("")
        say("TCG slowdown of plain user code (awk loop, guest / host): %.1fx; CPU %% above "
            "divided by it (an estimate of native CPU %%; kernel paths slow down more):" % slow)
        for row in coll_rows:
            row["tcg_slowdown"] = slow
            say("  %3d devices %5d processes %-5s  daxtop %6.3f %%  daxcollect %6.3f %%" % (
                row["devs"], row["procs"], row["load"],
                (row["daxtop_cpu_pct"] or 0) / slow, (row["daxcollect_cpu_pct"] or 0) / slow))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text)
    res = {"info": info,
           "faultin": [dict(align=a, mode=m, **{k: v for k, v in s.items() if k != "by_round"},
                            rounds={str(r): t for r, t in s["by_round"].items()})
                       for (a, m), s in st.items()],
           "ratios": rat, "collector": coll_rows}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    if plots:
        plot(out, st, rat, coll_rows)


def gnuplot(out, name, script):
    if not shutil.which("gnuplot"):
        return False
    for term, ext in (("svg size 800,480 dynamic font 'sans,11'", "svg"),
                      ("pngcairo size 800,480 font 'sans,10'", "png")):
        full = "set terminal %s\nset output '%s'\n%s" % (term, os.path.join(out, name + "." + ext),
                                                        script)
        r = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True)
        if r.returncode:
            sys.stderr.write("report.py: gnuplot %s.%s: %s" % (name, ext, r.stderr))
            return False
    return True


def plot(out, st, rat, coll_rows):
    # fault-in time per alignment and mode (one cluster per alignment)
    dat = os.path.join(out, "faultin.dat")
    with open(dat, "w") as f:
        f.write("align " + " ".join(MODES) + "\n")
        for a in ALIGNS:
            f.write(a + " " + " ".join(
                "%.5f" % st[(a, m)]["median_s"] if (a, m) in st else "NaN" for m in MODES) + "\n")
    cols = " ".join("'%s' using %d:xtic(1) title '%s'," % (dat, i + 2, MODE_NAMES[m])
                    for i, m in enumerate(MODES))
    ok = gnuplot(out, "faultin", """set title 'Fault-in (median s, log scale)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds'
set key outside right
set grid ytics
plot %s
""" % cols.rstrip(","))
    # the ratios with their targets
    dat = os.path.join(out, "ratios.dat")
    with open(dat, "w") as f:
        for i, r in enumerate(rat):
            short = "%s/%s %s" % (r["num"], r["den"], r["align"])
            f.write('%d "%s" %.4f %s %.4f\n' % (
                i, short, r["paired"] if r["paired"] is not None else float("nan"),
                "%.2f" % r["target"] if r["target"] is not None else "NaN",
                r["minmin"] if r["minmin"] is not None else float("nan")))
    ok = gnuplot(out, "ratios", """set title 'Ratios: median of per-round ratios (bars), fastest runs (dots), target (x)'
set style fill solid 0.7 border -1
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -45 font ',9'
set bmargin 7
set grid ytics
set key top left
plot '%s' using 1:3:xtic(2) with boxes title 'paired (median)', '' using 1:5 with points pt 7 ps 1.2 title 'min/min', '' using 1:4 with points pt 2 ps 2 title 'target', 1 with lines dt 2 notitle
""" % dat) and ok
    if coll_rows:
        dat = os.path.join(out, "collector.dat")
        with open(dat, "w") as f:
            f.write("# rows load devs procs top_cpu dc_cpu top_rss dc_rss snap_ms snap_cpu_ms\n")
            for load in ("idle", "storm"):
                for r in sorted([r for r in coll_rows if r["load"] == load],
                                key=lambda r: r["rows"] or 0):
                    f.write("%s %s %d %d %s %s %s %s %s %s\n" % (
                        r["rows"] if r["rows"] is not None else "NaN", load, r["devs"], r["procs"],
                        *["%.4f" % r[k] if r[k] is not None else "NaN" for k in (
                            "daxtop_cpu_pct", "daxcollect_cpu_pct", "daxtop_rss_mib",
                            "daxcollect_rss_mib", "snapshot_ms", "snapshot_cpu_ms")]))
                f.write("\n\n")
        ok = gnuplot(out, "collector", """set title 'Collector CPU at a 1 s refresh vs rows'
set xlabel 'rows in the snapshot (devices + processes + fault counts)'
set ylabel '%% of one CPU'
set logscale x
set grid
set key top left
plot '%s' index 0 using 1:5 with points pt 7 title 'daxtop idle', \\
     '' index 1 using 1:5 with points pt 5 title 'daxtop storm', \\
     '' index 0 using 1:6 with points pt 9 title 'daxcollect idle', \\
     '' index 1 using 1:6 with points pt 11 title 'daxcollect storm', \\
     1 with lines dt 2 title 'target 1 %%'
""" % dat) and ok
        ok = gnuplot(out, "snapshot", """set title 'Snapshot time of the collector library vs rows'
set xlabel 'rows in the snapshot'
set ylabel 'ms (median)'
set logscale xy
set grid
set key top left
plot '%s' index 0 using 1:9 with linespoints title 'wall, idle', '' index 1 using 1:9 with linespoints title 'wall, storm', \
     '' index 0 using 1:10 with linespoints title 'CPU, idle', '' index 1 using 1:10 with linespoints title 'CPU, storm'
""" % dat) and ok
    if not shutil.which("gnuplot"):
        print("(no plots: gnuplot not installed; make deps installs gnuplot-nox)")
    else:
        print("plots: " + " ".join(os.path.join(out, n + ".svg")
                                   for n in ("faultin", "ratios", "collector", "snapshot")
                                   if os.path.exists(os.path.join(out, n + ".svg"))))


if __name__ == "__main__":
    args = sys.argv[1:]
    plots = True
    if args and args[0] == "--no-plots":
        plots = False
        args = args[1:]
    if len(args) != 1 or args[0].startswith("-"):
        sys.exit("usage: report.py [--no-plots] OUTDIR")
    report(args[0], plots)
