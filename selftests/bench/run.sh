#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every benchmark of sp_bench on every backend, in this one boot: prints
# sp_bench's result lines, each tagged with its round (qemu/bench.sh turns
# them into a table of medians). A run that fails prints "bench-failed ..."
# and the others go on.
#
# Under TCG one run can move a ratio by 40%, so every case runs in
# SP_BENCH_ROUNDS rounds, and within a round its backends run back to back
# (their order rotating from round to round), so that each round gives one
# ratio measured under the same conditions: the table takes the median and
# shows the spread of those ratios.
#
#   SP_BENCH_ROUNDS   rounds (default 5)
#   SP_BENCH_SECONDS  duration of each run (default 1)
#   SP_BENCH_SIZES    message sizes (default "64 1024 65536")
#   SP_BENCH_ONLY=hop only sp_hop's cases (one hop, the relays)
#   SP_BENCH_SMOKE=1  a few-second check that every program works: tiny
#                     runs, one round, and exit 1 if any fails

B=$(cd "$(dirname "$0")" && pwd)/sp_bench
H=$(cd "$(dirname "$0")" && pwd)/sp_hop
R=${SP_BENCH_ROUNDS:-5}
D=${SP_BENCH_SECONDS:-1}
SIZES=${SP_BENCH_SIZES:-64 1024 65536}
MEMN=1000
if [ "${SP_BENCH_SMOKE:-0}" = 1 ]; then
	R=1 D=0.3 SIZES=${SP_BENCH_SIZES:-64} MEMN=50
fi
failed=0
out=$(mktemp)

# runp PROG ROUND ARGS...: one run of PROG, its result line tagged with
# ROUND; run is sp_bench's, hop sp_hop's.
runp() {
	prog=$1 round=$2
	shift 2
	if "$prog" "$@" > "$out"; then
		sed "s/^bench /bench round=$round /" "$out"
	else
		cat "$out"
		echo "bench-failed ${prog##*/} $*"
		failed=$((failed + 1))
	fi
}
run() { runp "$B" "$@"; }
hop() { runp "$H" "$@"; }

# each ROUND BACKENDS ARGS...: one case on each backend, back to back.
each() {
	round=$1 bes=$2
	shift 2
	for be in $bes; do
		run "$round" -b "$be" "$@"
	done
}

# Raise what 1000 connections need.
ulimit -n 8192 2>/dev/null

round=1
while [ "$round" -le "$R" ]; do
	# No backend always runs first (or right after another's teardown).
	case $((round % 3)) in
	1) all="tcp nng sp" two="nng sp" nonng="tcp sp" ;;
	2) all="sp tcp nng" two="sp nng" nonng="sp tcp" ;;
	*) all="nng sp tcp" two="nng sp" nonng="tcp sp" ;;
	esac
	[ "${SP_BENCH_ONLY:-all}" = hop ] && SIZES=
	for size in $SIZES; do
		each "$round" "$all" -t lat -s "$size" -d "$D"
		each "$round" "$all" -t rrthr -s "$size" -d "$D" -c 8
		each "$round" "$all" -t pubsub -s "$size" -d "$D" -k 1
		each "$round" "$all" -t pubsub -s "$size" -d "$D" -k 16
		each "$round" "$all" -t pair -s "$size" -d "$D"
		# No tcp: the pair stream above is PUSH/PULL's raw TCP analogue.
		each "$round" "$two" -t push -s "$size" -d "$D" -k 1
		each "$round" "$two" -t push -s "$size" -d "$D" -k 4
		# IPC: sp over Unix sockets, NNG's ipc://, raw AF_UNIX.
		each "$round" "$all" -t lat -s "$size" -d "$D" -x ipc
		each "$round" "$all" -t pubsub -s "$size" -d "$D" -k 1 -x ipc
		# SCTP: sp over SCTP, raw one-to-one SCTP (NNG has no SCTP).
		each "$round" "$nonng" -t lat -s "$size" -d "$D" -x sctp
		each "$round" "$nonng" -t pubsub -s "$size" -d "$D" -k 1 -x sctp
	done
	[ "${SP_BENCH_ONLY:-all}" = hop ] || each "$round" "$all" -t survey -s 64 -d "$D" -k 8
	# One hop: direct and through an intermediary, sp and NNG, rotating.
	case $((round % 2)) in
	1) hops="sp-direct sp-device sp-user nng-direct nng-device" ;;
	*) hops="nng-device nng-direct sp-user sp-device sp-direct" ;;
	esac
	for m in $hops; do
		hop "$round" -m "$m" -s 64 -d "$D"
	done
	case $((round % 2)) in
	1) relays="sp-relay nng-relay" ;;
	*) relays="nng-relay sp-relay" ;;
	esac
	for m in $relays; do
		hop "$round" -m "$m" -s 64 -d "$D"
	done
	echo "bench-round $round done"
	round=$((round + 1))
done
# Memory is counted, not timed: one round.
[ "${SP_BENCH_ONLY:-all}" = hop ] || for be in tcp sp; do
	run 1 -b "$be" -t mem -n "$MEMN"
done
rm -f "$out"
[ "$failed" = 0 ]
