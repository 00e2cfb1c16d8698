"""Prints bench/cli.sh's table from hyperfine's JSON exports in a folder:
medians with the 25th-75th percentile spread, and the ratios to the floors
measured in the same run (the targets of issue 8 beside them). Beside each
ratio of medians, the same ratio of CPU time (user + system, hyperfine's
means): on a machine shared with other work, wall time swings with the
load and CPU time far less."""
import json
import os
import statistics
import sys

R = sys.argv[1]


def load(name):
    p = os.path.join(R, name + ".json")
    if not os.path.exists(p):
        return None
    return json.load(open(p))["results"]


def fmt(r):
    t = sorted(r["times"])
    q = statistics.quantiles(t, n=4) if len(t) >= 2 else [t[0], t[0], t[0]]
    failed = sum(1 for c in r.get("exit_codes", []) if c)
    note = " [%d of %d failed]" % (failed, len(t)) if failed else ""
    return "%6.1f ms (%.1f-%.1f)%s" % (r["median"] * 1e3, q[0] * 1e3, q[2] * 1e3, note)


def cpu(r):
    return r["user"] + r["system"]


sizes = sorted({int(f.rsplit("-", 1)[1][:-5]) for f in os.listdir(R) if f.startswith("list-json-") and f.endswith(".json")})
print("CLI against its floors (hyperfine median, 25-75th percentile; x = ratio of medians; cpu x = ratio of CPU times)")
print("%-22s %-24s %-24s %-24s %9s %9s %9s %9s %s" % ("case", "keyward", "sqlite3", "floor (cobra+sqlite)", "x sqlite3", "x floor",
      "cpu x sq3", "cpu x fl", "target"))
for n in sizes:
    for case, target in (("list-json", "<=2.5x sqlite3"), ("list-table", "<=2.5x sqlite3"), ("get", "<=2.5x sqlite3"), ("create", "<=2.5x sqlite3")):
        r = load("%s-%d" % (case, n))
        if not r:
            continue
        sq, fl, kw = r
        print("%-22s %-24s %-24s %-24s %8.2fx %8.2fx %8.2fx %8.2fx %s" % ("%s %d" % (case, n), fmt(kw), fmt(sq), fmt(fl),
              kw["median"] / sq["median"], kw["median"] / fl["median"], cpu(kw) / cpu(sq), cpu(kw) / cpu(fl), target))
r = load("version")
if r:
    bare, kw = r
    print("%-22s %-24s %-24s %-24s %9s %8.2fx %9s %8.2fx %s" % ("version", fmt(kw), "", fmt(bare) + " bare", "", kw["median"] / bare["median"],
          "", cpu(kw) / cpu(bare), "<=1.5x bare cobra"))

big = [n for n in sizes if n >= 100000]
if len(big) >= 1:
    print()
    print("Scale: first page (100 keys) on N keys, and the ratio to the 100,000-key case (target <= 2x): of medians, and of CPU times")
    base, base_cpu = {}, {}
    for n in big:
        for name in ("scale-%d" % n, "operator-%d" % n):
            for res in load(name) or []:
                cmd = res["command"]
                short = cmd.split(" keys ", 1)[-1] if " keys " in cmd else cmd.split(" audit ", 1)[-1]
                if "--server" in cmd:
                    short = "operator (/big/loc3 viewer, server): " + ("audit list" if " audit " in cmd else "keys list")
                key = short
                if n == 100000:
                    base[key], base_cpu[key] = res["median"], cpu(res)
                ratio = ""
                if key in base and n != 100000:
                    ratio = "%.2fx  cpu %.2fx" % (res["median"] / base[key], cpu(res) / base_cpu[key])
                print("%-9d %-66s %-24s %6.1f ms cpu  %s" % (n, short, fmt(res), cpu(res) * 1e3, ratio))

print()
print("Streamed listings (/usr/bin/time: peak RSS, elapsed; one run; targets: RSS < 64 MB, table of 100k < 2 s)")
for f in sorted(os.listdir(R)):
    if f.endswith(".rss"):
        kb, secs = open(os.path.join(R, f)).read().split()
        print("%-28s %7.1f MB %7.2f s" % (f[:-4], int(kb) / 1024, float(secs)))
