#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# spss (tools/spss.c) against sockets whose shape is known: a REP bound
# to a port with a REQ's pipe up (sp_tool hold), in a network namespace
# of the test's own so that nothing else is listed.
here=$(cd "$(dirname "$0")" && pwd)
spss=$here/../tools/spss
tool=$here/sp_tool
. "$here/ksft/kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 6
if [ ! -x "$spss" ]; then
	ktap_exit_fail_msg "no $spss (make tools)"
fi
if [ "${SP_SPSS_INNER:-}" != 1 ]; then
	exec env SP_SPSS_INNER=1 unshare -n "$0" "$@"
fi
ip link set lo up
port=47123
"$tool" hold 127.0.0.1 $port &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 50); do
	[ "$("$spss" | wc -l)" -ge 3 ] && break
	sleep 0.1
done

out=$("$spss")
rows=$(echo "$out" | tail -n +2)
# A header and two rows: the REP with its listener, the REQ with its dialer.
if [ "$(echo "$out" | head -n 1 | awk '{print $1, $NF}')" = "Type Inode" ] &&
   [ "$(echo "$rows" | wc -l)" = 2 ]; then
	ktap_test_pass "two sockets listed under the header"
else
	ktap_test_fail "two sockets listed under the header: $out"
fi
rep=$(echo "$rows" | awk '$1 == "rep"')
req=$(echo "$rows" | awk '$1 == "req"')
if [ "$(echo "$rep" | awk '{print $2, $3, $4, $5, $8, $9}')" = "cooked 1 1 0 127.0.0.1:$port *" ]; then
	ktap_test_pass "the REP: one pipe, its listener with its port"
else
	ktap_test_fail "the REP: $rep"
fi
if [ "$(echo "$req" | awk '{print $4, $5, $8, $9}')" = "0 1 * 127.0.0.1:$port" ]; then
	ktap_test_pass "the REQ: its dialer"
else
	ktap_test_fail "the REQ: $req"
fi
# -e: the REP's pipe line (a TCP one), and its TCP socket's inode in /proc/net/tcp.
ino=$(echo "$rep" | awk '{print $NF}')
pipe=$("$spss" -e -i "$ino" | grep -E '^\s+pipe ')
tcp_ino=$(echo "$pipe" | sed -n 's/.*tcp_ino:\([0-9]*\).*/\1/p')
if echo "$pipe" | grep -q " up tcp local:127.0.0.1:$port peer:127.0.0.1:" &&
   [ -n "$tcp_ino" ] && awk '{print $10}' /proc/net/tcp | grep -qx "$tcp_ino"; then
	ktap_test_pass "-e -i: the pipe, joined with /proc/net/tcp by inode"
else
	ktap_test_fail "-e -i: $pipe (tcp inode $tcp_ino)"
fi
# -j: valid JSON with the same sockets; -t filters.
if "$spss" -j | python3 -c '
import json, sys
s = json.load(sys.stdin)
t = sorted(x["type"] for x in s)
rep = [x for x in s if x["type"] == "rep"][0]
assert t == ["rep", "req"], t
assert rep["listeners"] == ["127.0.0.1:'$port'"], rep
assert rep["pipe_list"][0]["up"] and "skmem" in rep and "stats" in rep, rep
assert rep["pipe_list"][0]["transport"] == "tcp", rep
' && [ "$("$spss" -t req | tail -n +2 | awk '{print $1}')" = req ]; then
	ktap_test_pass "-j is JSON of the same sockets; -t filters"
else
	ktap_test_fail "-j or -t"
fi
# Misuse: a bad type, a bad inode, an inode of no sp socket.
"$spss" -t nope >/dev/null 2>&1; a=$?
"$spss" -i 0 >/dev/null 2>&1; b=$?
"$spss" -i 1 >/dev/null 2>&1; c=$?
if [ "$a$b$c" = 221 ]; then
	ktap_test_pass "usage errors exit 2, an unknown inode 1"
else
	ktap_test_fail "exit statuses $a $b $c, not 2 2 1"
fi
ktap_finished
