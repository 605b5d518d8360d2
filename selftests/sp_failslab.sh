#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures inside sp (issue 13): failslab fails 20% of the slab
# allocations made with sp.ko on the stack (its text range from
# /proc/modules; GFP_KERNEL ones too) while 'sp_tool churn' runs the
# accept, handshake, send, subscribe and close paths for SP_FAULT_SECONDS
# (default 8). Every failed call must fail with an errno that says why;
# connections that arrive while accepting fails are all served or closed
# once it stops (the listener retries on its own); afterwards sp must
# answer a request as before. The runner's KASAN,
# lockdep and kmemleak checks judge the rest. Runs alone: the failures hit
# any sp socket in the machine.
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/sp_tool
secs=${SP_FAULT_SECONDS:-8}
fs=/sys/kernel/debug/failslab
echo "TAP version 13"
if [ "$(id -u)" != 0 ] || [ ! -d $fs ] || ! grep -qw '^sp' /proc/modules; then
	echo "1..0 # SKIP needs root, a loaded sp and CONFIG_FAILSLAB with debugfs"
	exit 4
fi
echo "1..4"
fail=0

echo 0 > /proc/sys/kernel/kptr_restrict
read -r _ size _ _ _ base _ < <(grep -w '^sp' /proc/modules)
if [ -z "$base" ] || [ "$base" = 0x0000000000000000 ]; then
	echo "not ok 1 failslab_armed # no address for sp in /proc/modules"
	exit 1
fi
start=$((base)); end=$((base + size))
stop_faults() { echo 0 > $fs/probability; }
trap stop_faults EXIT
echo N > $fs/ignore-gfp-wait
echo 0 > $fs/verbose
echo -1 > $fs/times
echo 1 > $fs/interval
echo 0 > $fs/space
echo 32 > $fs/stacktrace-depth
printf '%u' $start > $fs/require-start
printf '%u' $end > $fs/require-end
echo 20 > $fs/probability
echo "ok 1 failslab_armed # sp.ko at $base, $size bytes, 20%"

out=$("$tool" churn 127.0.0.1 5580 "$secs" 2>&1)
rc=$?
stop_faults
# The injected failures, from the fault attribute's counters if any.
if [ $rc = 0 ] && grep -q "churn:.*calls" <<<"$out" && ! grep -q ", 0 failed" <<<"$out"; then
	echo "ok 2 errors_have_clear_errnos # $(tail -n 1 <<<"$out")"
else
	echo "not ok 2 errors_have_clear_errnos # rc $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	fail=1
fi

# Connections accepted while accepting fails: the listener retries on its
# own; none waits for a SYN that never comes.
echo 20 > $fs/probability
coproc BL { "$tool" backlog 127.0.0.1 5585 40; }
blpid=$BL_PID
read -r -t 60 line <&"${BL[0]}"
stop_faults
echo go >&"${BL[1]}"
out=$(cat <&"${BL[0]}")
wait "$blpid"
rc=$?
if [ "$line" = ready ] && [ $rc = 0 ] && grep -q "backlog: 0 of 40" <<<"$out"; then
	echo "ok 3 listener_retries_failed_accepts # $out"
else
	echo "not ok 3 listener_retries_failed_accepts # ${line:-no ready}, rc $rc: $out"
	fail=1
fi

# Failures over: sp works as before (the listener may take a moment).
"$tool" rep 127.0.0.1 5590 1 > /tmp/sp_fs_rep &
rep=$!
for i in $(seq 50); do grep -q ready /tmp/sp_fs_rep 2>/dev/null && break; sleep 0.1; done
"$tool" req 127.0.0.1 5590 5000
req=$?
wait $rep
served=$?
if [ "$req" = 0 ] && [ "$served" = 0 ]; then
	echo "ok 4 works_after_faults"
else
	echo "not ok 4 works_after_faults # req $req, rep $served"
	fail=1
fi
exit $fail
