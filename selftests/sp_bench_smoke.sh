#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A few-second smoke of the benchmark programs (make bench runs them for
# real, on the perf kernel): every test on every backend must exit 0 and
# print its result line with a positive value (a memory figure over the
# smoke's few sockets is noise: it only has to be there).

cd "$(dirname "$0")" || exit 1
out=$(SP_BENCH_SMOKE=1 bench/run.sh 2>/dev/null)
rc=$?
echo "TAP version 13"
n=0 fail=0
check() { # check NAME GREP-PATTERN [MIN]
	n=$((n + 1))
	line=$(echo "$out" | grep -E "^bench test=$2 " | head -n 1)
	val=$(echo "$line" | sed -n 's/.* value=\(-\{0,1\}[0-9.]*\) .*/\1/p')
	if [ -n "$val" ] && awk -v v="$val" -v m="${3:-0}" 'BEGIN { exit !(v > m) }'; then
		echo "ok $n $1 # $val"
	else
		echo "not ok $n $1"
		fail=1
	fi
}
for be in sp nng tcp; do
	check "lat_$be" "lat backend=$be"
	check "rrthr_$be" "rrthr backend=$be"
	check "pubsub_1_$be" "pubsub backend=$be .* subs=1"
	check "pubsub_16_$be" "pubsub backend=$be .* subs=16"
	check "pair_$be" "pair backend=$be"
done
for be in sp tcp; do
	check "mem_socket_$be" "mem_socket backend=$be" -1e12
	check "mem_pipe_$be" "mem_pipe backend=$be" -1e12
done
n=$((n + 1))
if [ "$rc" = 0 ]; then echo "ok $n every_run_exited_0"; else echo "not ok $n every_run_exited_0"; echo "$out" | grep bench-failed | sed 's/^/# /'; fail=1; fi
echo "1..$n"
exit $fail
