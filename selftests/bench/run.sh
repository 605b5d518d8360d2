#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every benchmark of sp_bench on every backend, in this one boot: prints
# sp_bench's result lines (qemu/bench.sh turns them into a table). A run
# that fails prints "bench-failed ..." and the others go on.
#
#   SP_BENCH_SECONDS  duration of each run (default 2)
#   SP_BENCH_SIZES    message sizes (default "64 1024 65536")
#   SP_BENCH_SMOKE=1  a few-second check that every program works: tiny
#                     runs, and exit 1 if any fails

B=$(cd "$(dirname "$0")" && pwd)/sp_bench
D=${SP_BENCH_SECONDS:-2}
SIZES=${SP_BENCH_SIZES:-64 1024 65536}
MEMN=1000
if [ "${SP_BENCH_SMOKE:-0}" = 1 ]; then
	D=0.3 SIZES=${SP_BENCH_SIZES:-64} MEMN=50
fi
failed=0

run() {
	if ! "$B" "$@"; then
		echo "bench-failed $*"
		failed=$((failed + 1))
	fi
}

# Raise what 1000 connections need.
ulimit -n 8192 2>/dev/null

for size in $SIZES; do
	for be in tcp nng sp; do
		run -b "$be" -t lat -s "$size" -d "$D"
		run -b "$be" -t rrthr -s "$size" -d "$D" -c 8
		run -b "$be" -t pubsub -s "$size" -d "$D" -k 1
		run -b "$be" -t pubsub -s "$size" -d "$D" -k 16
		run -b "$be" -t pair -s "$size" -d "$D"
	done
	# No tcp: the pair stream above is PUSH/PULL's raw TCP analogue.
	for be in nng sp; do
		run -b "$be" -t push -s "$size" -d "$D" -k 1
		run -b "$be" -t push -s "$size" -d "$D" -k 4
	done
done
for be in tcp nng sp; do
	run -b "$be" -t survey -s 64 -d "$D" -k 8
done
for be in tcp sp; do
	run -b "$be" -t mem -n "$MEMN"
done
[ "$failed" = 0 ]
