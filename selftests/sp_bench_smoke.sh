#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark programs work: every benchmark of sp_bench runs briefly on
# the PF_SP backend (over TCP, and the IPC and SCTP rows' over theirs), exits 0
# and prints its result line, and so does each
# mode of sp_hop (direct, in-kernel device, user-space forwarder, NNG's
# direct and nng_device(), and the two PUB/SUB relays). Two results,
# whatever the figures: numbers are for 'make bench' on the perf kernel,
# where sp is compared with NNG and raw TCP in one run.

cd "$(dirname "$0")" || exit 1
B=./bench/sp_bench
echo "TAP version 13"
echo "1..2"
fail=0
# run TEST MIN ARGS...: one sp_bench run, which must exit 0 and print the
# result line of TEST with a value above MIN (with MIN "-", any value).
run() {
	local test=$1 min=$2 out val
	shift 2
	if ! out=$("$B" -b sp "$@" 2>&1); then
		echo "# sp_bench -b sp $* failed:"; echo "$out" | sed 's/^/#   /'
		fail=1
		return
	fi
	val=$(echo "$out" | sed -n "s/^bench test=$test backend=sp .* value=\(-\{0,1\}[0-9.]*\) .*/\1/p")
	if [ -z "$val" ] || { [ "$min" != - ] &&
			! awk -v v="$val" -v m="$min" 'BEGIN { exit !(v > m) }'; }; then
		echo "# sp_bench -b sp $*: no $test result (above $min):"; echo "$out" | sed 's/^/#   /'
		fail=1
	fi
}
run lat 0 -t lat -s 64 -n 50
run rrthr 0 -t rrthr -s 64 -d 0.3 -c 4
run pubsub 0 -t pubsub -s 64 -d 0.3 -k 1
run pubsub 0 -t pubsub -s 64 -d 0.3 -k 16
run pair 0 -t pair -s 1024 -d 0.3
run push 0 -t push -s 64 -d 0.3 -k 1
run push 0 -t push -s 64 -d 0.3 -k 4
run survey 0 -t survey -s 64 -n 20 -k 8
# Over IPC (Unix sockets), the rows make bench adds.
run lat 0 -t lat -s 64 -n 50 -x ipc
run pubsub 0 -t pubsub -s 64 -d 0.3 -k 1 -x ipc
# Over SCTP, likewise.
run lat 0 -t lat -s 64 -n 50 -x sctp
run pubsub 0 -t pubsub -s 64 -d 0.3 -k 1 -x sctp
# Memory over a few sockets is noise of either sign: only the line counts.
run mem_pipe - -t mem -n 20
if [ "$fail" = 0 ]; then
	echo "ok 1 sp_bench_sp_backend_runs"
else
	echo "not ok 1 sp_bench_sp_backend_runs"
fi
hfail=0
for m in sp-direct sp-device sp-user nng-direct nng-device sp-relay nng-relay; do
	out=$(./bench/sp_hop -m "$m" -d 0.3 2>&1)
	if ! echo "$out" | grep -q "^bench test=[a-z]* backend=$m .* value=[0-9.]* "; then
		echo "# sp_hop -m $m: no result:"; echo "$out" | sed 's/^/#   /'
		hfail=1
	fi
done
if [ "$hfail" = 0 ]; then
	echo "ok 2 sp_hop_modes_run"
else
	echo "not ok 2 sp_hop_modes_run"
	fail=1
fi
exit $fail
