#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns sp_bench result lines (stdin) into the benchmark table.

Latencies (us) are better lower, throughputs (msg/s) higher; the ratio
columns are sp divided by the other backend either way, and each target of
the benchmark issue is marked met or MISSED.

Every case ran in several rounds (selftests/bench/run.sh), its backends
back to back within a round. The value columns are medians over the
rounds; a ratio is the median of the rounds' own ratios, shown with their
spread (min-max). A ratio whose spread is wider than the gap between it
and 1.00 is marked "~": the run does not establish that gap. A target
whose bound lies inside the spread is "met?" or "MISSED?".

Rows marked "(IPC)" ran over Unix stream sockets: sp's IPC transport,
NNG's ipc://, and in the tcp column raw AF_UNIX with the same framing.
Rows marked "(SCTP)" ran over SCTP on 127.0.0.1: sp's SCTP transport, and
in the tcp column raw one-to-one SCTP sockets with the same framing and
SCTP_NODELAY; NNG has no SCTP.

PUSH->PULL rows come in msg/s and in MB/s.  PUSH->PULL has no tcp run of its
own: with one puller its tcp column is the PAIR stream's tcp figure (one
lossless TCP stream), noted in the last column.
"""
import statistics
import sys

rows = {}  # (name, size): {"unit": u, backend: {round: value}}
mb = {}  # (name, size, backend): {round: MB/s} from extra=, for PUSH->PULL
mem = {}
hops = {}  # sp_hop mode: {round: us per round trip}
relays = {}  # sp_hop relay mode: {round: msg/s delivered}
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
    if test in ("hop", "relay"):
        (hops if test == "hop" else relays).setdefault(be, {})[int(kv.get("round", "1"))] = \
            float(kv["value"])
        continue
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
    if kv.get("transport") == "ipc":
        name += " (IPC)"
    elif kv.get("transport") == "sctp":
        name += " (SCTP)"
    key = (name, int(kv["size"]))
    rnd = int(kv.get("round", "1"))
    rows.setdefault(key, {"unit": kv["unit"]}).setdefault(be, {})[rnd] = float(kv["value"])
    if test in ("push", "pair"):
        ex = dict(e.split(":", 1) for e in kv.get("extra", "").split(",") if ":" in e)
        if "MB_per_s" in ex:
            mb.setdefault((name, int(kv["size"]), be), {})[rnd] = float(ex["MB_per_s"])

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
    ("REQ/REP round trip, 1 client (IPC)", 64): [("tcp", "<=", 1.15), ("nng", "<=", 0.5)],
}
order = ["REQ/REP round trip, 1 client", "REQ/REP, 8 clients", "PUB->SUB, 1 sub",
         "PUB->SUB, 16 subs", "PAIR stream", "PUSH->PULL, 1 puller",
         "PUSH->PULL, 1 puller MB/s", "PUSH->PULL, 4 pullers", "PUSH->PULL, 4 pullers MB/s",
         "SURVEY, 8 respondents", "REQ/REP round trip, 1 client (IPC)", "PUB->SUB, 1 sub (IPC)",
         "REQ/REP round trip, 1 client (SCTP)", "PUB->SUB, 1 sub (SCTP)"]


def fmt(v):
    return "-" if v is None else ("%.1f" % v if v < 100 else "%.0f" % v)


def median(by_round):
    return statistics.median(by_round.values()) if by_round else None


def ratio(sp, other):
    """The median, min and max of sp/other over the rounds both ran."""
    rs = [sp[k] / other[k] for k in sp if k in other and other[k]]
    if not rs:
        return None
    return statistics.median(rs), min(rs), max(rs), len(rs)


def show(q):
    """A ratio column: the median, "~" when the spread is wider than the
    median's distance from 1.00; and the spread."""
    if q is None:
        return "-", "-"
    med, lo, hi, n = q
    if n < 2:
        return "%.2f" % med, "-"
    mark = "~" if hi - lo > abs(med - 1.0) else ""
    return "%.2f%s" % (med, mark), "%.2f-%.2f" % (lo, hi)


rounds = max((len(v) for r in rows.values() for k, v in r.items() if k != "unit"), default=0)
hdr = "%-36s %6s %5s %8s %8s %8s %7s %11s %7s %11s  %s" % (
    "benchmark", "size", "unit", "sp", "tcp", "nng", "sp/tcp", "spread", "sp/nng", "spread",
    "targets")
print(hdr)
print("-" * len(hdr))
for key in sorted(rows, key=lambda k: (order.index(k[0]) if k[0] in order else len(order),
                                      k[0], k[1])):
    r = rows[key]
    sp = r.get("sp", {})
    q = {b: ratio(sp, r[b]) if b in r else None for b in ("tcp", "nng")}
    marks = []
    for b, op, bound in targets.get(key, []):
        v = q[b]
        if v is None:
            marks.append("sp/%s %s %.2f MISSED" % (b, op, bound))
            continue
        med, lo, hi, _ = v
        ok = med <= bound if op == "<=" else med >= bound
        sure = (hi <= bound or lo > bound) if op == "<=" else (lo >= bound or hi < bound)
        marks.append("sp/%s %s %.2f %s%s" % (b, op, bound, "met" if ok else "MISSED",
                                             "" if sure else "?"))
    if key in notes:
        marks.append(notes[key])
    if key[0].endswith("(IPC)"):
        marks.append("tcp: raw AF_UNIX")
    if key[0].endswith("(SCTP)"):
        marks.append("tcp: raw SCTP")
    (rt, st), (rn, sn) = show(q["tcp"]), show(q["nng"])
    print("%-36s %6d %5s %8s %8s %8s %7s %11s %7s %11s  %s" % (
        key[0], key[1], r["unit"], fmt(median(sp)), fmt(median(r.get("tcp", {}))),
        fmt(median(r.get("nng", {}))), rt, st, rn, sn, "; ".join(marks)))
print()
print("Medians over %d rounds; a ratio is the median of the rounds' ratios, its" % rounds)
print("spread their min-max. \"~\": the spread is wider than the gap between the")
print("median and 1.00, so the run does not establish that gap; \"?\": the target's")
print("bound lies within the spread.")
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
if hops:
    def per_round(f):
        """f(round) over the rounds every mode ran, as (median, min, max)."""
        rs = set.intersection(*(set(v) for v in hops.values()))
        vs = [f(r) for r in sorted(rs)]
        return (statistics.median(vs), min(vs), max(vs)) if vs else None

    def us(mode):
        v = hops.get(mode)
        return "%.0f" % statistics.median(v.values()) if v else "-"

    def hop(via, direct):
        return per_round(lambda r: hops[via][r] - hops[direct][r])

    print()
    print("One hop (sp_hop, REQ/REP round trip, 64 B, us; medians over the rounds):")
    print("  sp direct %s; via the in-kernel device %s; via a user-space forwarder"
          " over sp raw sockets %s" % (us("sp-direct"), us("sp-device"), us("sp-user")))
    print("  nng direct %s; via nng_device() %s" % (us("nng-direct"), us("nng-device")))
    need = ("sp-direct", "sp-device", "sp-user", "nng-direct", "nng-device")
    if all(m in hops for m in need):
        for what, q in [("in-kernel hop", hop("sp-device", "sp-direct")),
                        ("user-space hop over sp", hop("sp-user", "sp-direct")),
                        ("nng_device() hop", hop("nng-device", "nng-direct"))]:
            print("  %-24s +%.0f us (%.0f to %.0f)" % (what, q[0], q[1], q[2]))
        a = per_round(lambda r: (hops["sp-device"][r] - hops["sp-direct"][r]) / hops["sp-direct"][r])
        b = per_round(lambda r: (hops["nng-device"][r] - hops["nng-direct"][r]) /
                      max(hops["sp-device"][r] - hops["sp-direct"][r], 1e-9))
        print("  target: in-kernel hop <= 0.5 x direct sp round trip: %.2f (%.2f-%.2f) %s" %
              (a[0], a[1], a[2], "met" if a[0] <= 0.5 else "MISSED"))
        print("  target: nng_device() hop >= 4 x in-kernel hop: %.1f (%.1f-%.1f) %s" %
              (b[0], b[1], b[2], "met" if b[0] >= 4 else "MISSED"))
if "sp-relay" in relays and "nng-relay" in relays:
    sp, ng = relays["sp-relay"], relays["nng-relay"]
    rs = [sp[r] / ng[r] for r in sp if r in ng and ng[r]]
    print()
    print("PUB -> relay -> 16 SUBs, 64 B, messages delivered/s: sp (in-kernel relay) %.0f,"
          " nng (nng_device()) %.0f" % (statistics.median(sp.values()), statistics.median(ng.values())))
    if rs:
        med = statistics.median(rs)
        print("  target: sp/nng >= 2: %.2f (%.2f-%.2f) %s" % (med, min(rs), max(rs),
                                                           "met" if med >= 2 else "MISSED"))
for f in failed:
    print("FAILED: " + f)
