#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns sp_bench result lines (stdin) into the benchmark table.

Latencies (us) are better lower, throughputs (msg/s) higher; the ratio
columns are sp divided by the other backend either way, and each target of
the benchmark issue is marked met or MISSED.

PUSH->PULL rows come in msg/s and in MB/s.  PUSH->PULL has no tcp run of its
own: with one puller its tcp column is the PAIR stream's tcp figure (one
lossless TCP stream), noted in the last column.
"""
import sys

rows = {}
mb = {}  # (test, subs, size, backend): MB/s from extra=, for PUSH->PULL
mem = {}
failed = []
for line in sys.stdin:
    line = line.strip()
    if line.startswith("bench-failed"):
        failed.append(line)
        continue
    if not line.startswith("bench "):
        continue
    kv = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
    test, be = kv["test"], kv["backend"]
    if test.startswith("mem_"):
        ex = dict(e.split(":", 1) for e in kv.get("extra", "").split(",") if ":" in e)
        mem[(test, be)] = (int(float(kv["value"])), int(float(ex.get("meminfo_slab_per", "0"))))
        continue
    plural = "" if kv["subs"] == "1" else "s"
    name = {
        "lat": "REQ/REP round trip, 1 client",
        "rrthr": "REQ/REP, %s clients" % kv["clients"],
        "pubsub": "PUB->SUB, %s sub%s" % (kv["subs"], plural),
        "pair": "PAIR stream",
        "push": "PUSH->PULL, %s puller%s" % (kv["subs"], plural),
        "survey": "SURVEY, %s respondent%s" % (kv["subs"], plural),
    }[test]
    key = (name, int(kv["size"]))
    rows.setdefault(key, {"unit": kv["unit"]})[be] = float(kv["value"])
    if test in ("push", "pair"):
        ex = dict(e.split(":", 1) for e in kv.get("extra", "").split(",") if ":" in e)
        if "MB_per_s" in ex:
            mb[(name, int(kv["size"]), be)] = float(ex["MB_per_s"])

# PUSH->PULL in MB/s too; one puller's tcp column is the PAIR stream's.
notes = {}
for (name, size, be), v in list(mb.items()):
    if name.startswith("PUSH->PULL"):
        rows.setdefault((name + " MB/s", size), {"unit": "MB/s"})[be] = v
for (name, size) in list(rows):
    if name != "PUSH->PULL, 1 puller":
        continue
    pair = rows.get(("PAIR stream", size), {})
    if "tcp" in pair:
        rows[(name, size)]["tcp"] = pair["tcp"]
        notes[(name, size)] = "tcp: PAIR stream"
        if ("PAIR stream", size, "tcp") in mb and (name + " MB/s", size) in rows:
            rows[(name + " MB/s", size)]["tcp"] = mb[("PAIR stream", size, "tcp")]
            notes[(name + " MB/s", size)] = "tcp: PAIR stream"

# (row name, size): (ratio column, comparison, bound)
targets = {
    ("REQ/REP round trip, 1 client", 64): [("tcp", "<=", 1.15), ("nng", "<=", 0.5)],
    ("PUB->SUB, 1 sub", 64): [("nng", ">=", 2.0), ("tcp", ">=", 0.7)],
    ("PUB->SUB, 16 subs", 64): [("nng", ">=", 2.0)],
}
order = ["REQ/REP round trip, 1 client", "REQ/REP, 8 clients", "PUB->SUB, 1 sub",
         "PUB->SUB, 16 subs", "PAIR stream", "PUSH->PULL, 1 puller",
         "PUSH->PULL, 1 puller MB/s", "PUSH->PULL, 4 pullers", "PUSH->PULL, 4 pullers MB/s",
         "SURVEY, 8 respondents"]


def fmt(v):
    return "-" if v is None else ("%.1f" % v if v < 100 else "%.0f" % v)


hdr = "%-30s %6s %7s %10s %10s %10s %7s %7s  %s" % (
    "benchmark", "size", "unit", "sp", "tcp", "nng", "sp/tcp", "sp/nng", "targets")
print(hdr)
print("-" * len(hdr))
for key in sorted(rows, key=lambda k: (order.index(k[0]) if k[0] in order else len(order),
                                      k[0], k[1])):
    r = rows[key]
    sp, tcp, nng = r.get("sp"), r.get("tcp"), r.get("nng")
    ratio = {b: (sp / r[b] if sp is not None and r.get(b) else None) for b in ("tcp", "nng")}
    marks = []
    for b, op, bound in targets.get(key, []):
        v = ratio[b]
        ok = v is not None and (v <= bound if op == "<=" else v >= bound)
        marks.append("sp/%s %s %.2f %s" % (b, op, bound, "met" if ok else "MISSED"))
    if key in notes:
        marks.append(notes[key])
    print("%-30s %6d %7s %10s %10s %10s %7s %7s  %s" % (
        key[0], key[1], r["unit"], fmt(sp), fmt(tcp), fmt(nng),
        "-" if ratio["tcp"] is None else "%.2f" % ratio["tcp"],
        "-" if ratio["nng"] is None else "%.2f" % ratio["nng"], "; ".join(marks)))
print()
print("Latency in us per round trip (lower is better); throughput in messages/s")
print("delivered (higher is better; PUB->SUB sums all subscribers, PUSH->PULL all")
print("pullers, also in MB/s). SURVEY: median us from a survey's send to its 8th")
print("answer (lower is better).")
if mem:
    print()
    print("Kernel memory per item, over 1000 of them: live slab objects (/proc/slabinfo),")
    print("and meminfo Slab, which also counts kmalloc()s of a page or more:")
    for (test, be), (objs, slab) in sorted(mem.items()):
        what = {"mem_socket": "idle socket", "mem_pipe": "established connection (both ends)"}[test]
        print("  %-4s %-36s %8d B objects %8d B Slab" % (be, what, objs, slab))
for f in failed:
    print("FAILED: " + f)
