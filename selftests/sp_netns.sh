#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sp across network namespaces, like hosts: two namespaces reach each other
# only over a veth link; a third routes between two links; and deleting a
# namespace with live sp sockets and established pipes is clean (the VM
# runner's KASAN and kmemleak checks judge that part).
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/sp_tool
# The kernel's net/lib.sh (setup_ns) and ktap_helpers.sh: in the kernel tree
# at ../lib.sh, out of it where make selftests copies them (ksft/).
if [ -f "$here/../lib.sh" ]; then net=$here/..; else net=$here/ksft/net; fi
source "$net/lib.sh" || exit 1
source "$net/../kselftest/ktap_helpers.sh" || exit 1

# check_rc NAME WANT CMD...: CMD must exit with status WANT exactly.
check_rc() {
	local name=$1 want=$2 rc
	shift 2
	"$@"
	rc=$?
	if [ "$rc" = "$want" ]; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name # exit status $rc, want $want"
	fi
}

ktap_print_header
if [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root"
	exit "$KSFT_SKIP"
fi
if [ ! -x "$tool" ]; then
	ktap_set_plan 1
	ktap_test_fail "sp_tool_built # no $tool"
	exit "$KSFT_FAIL"
fi
# Network namespaces are in every sp test kernel: failing to make one fails.
trap cleanup_all_ns EXIT
if ! setup_ns A B C; then
	ktap_set_plan 1
	ktap_test_fail "setup_ns"
	exit "$KSFT_FAIL"
fi
ktap_set_plan 10

# A -- B -- C, on documentation-range addresses inside the VM only.
ip link add a0 netns "$A" type veth peer name b0 netns "$B"
ip link add b1 netns "$B" type veth peer name c0 netns "$C"
ip -n "$A" addr add 192.0.2.1/24 dev a0
ip -n "$B" addr add 192.0.2.2/24 dev b0
ip -n "$B" addr add 198.51.100.2/24 dev b1
ip -n "$C" addr add 198.51.100.3/24 dev c0
for l in "$A a0" "$B b0" "$B b1" "$C c0"; do ip -n ${l% *} link set ${l#* } up; done
ip -n "$A" route add 198.51.100.0/24 via 192.0.2.2
ip -n "$C" route add 192.0.2.0/24 via 198.51.100.2
ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=1

ip netns exec "$A" "$tool" rep 192.0.2.1 5566 2 > /tmp/sp_rep_a &
rep=$!
for i in $(seq 50); do grep -q ready /tmp/sp_rep_a 2>/dev/null && break; sleep 0.1; done
ktap_test_result "veth_neighbour_reaches_rep" ip netns exec "$B" "$tool" req 192.0.2.1 5566 5000
ktap_test_result "routed_third_host_reaches_rep" ip netns exec "$C" "$tool" req 192.0.2.1 5566 5000
wait $rep
ktap_test_result "rep_served_both" test $? = 0

# Loopback is per namespace: B's 127.0.0.1 is not A's.
ip netns exec "$A" "$tool" rep 127.0.0.1 5567 1 > /tmp/sp_rep_lo &
rep=$!
for i in $(seq 50); do grep -q ready /tmp/sp_rep_lo 2>/dev/null && break; sleep 0.1; done
# sp_tool's status 4: no reply within the timeout (nothing listens there).
check_rc "other_namespace_loopback_unreachable" 4 \
	ip netns exec "$B" "$tool" req 127.0.0.1 5567 1000
ktap_test_result "own_namespace_loopback_reachable" ip netns exec "$A" "$tool" req 127.0.0.1 5567 5000
wait $rep
ktap_test_result "rep_served_own_namespace" test $? = 0

# Hosts with a broker: the client in A, an in-kernel device in B, the
# worker in C; A and C have no route to each other (no forwarding in B).
ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$C" "$tool" rep 198.51.100.3 5570 1 > /tmp/sp_rep_c &
rep=$!
ip netns exec "$B" "$tool" device 192.0.2.2 5571 198.51.100.3 5570 > /tmp/sp_dev_b &
dev=$!
for i in $(seq 50); do grep -q ready /tmp/sp_dev_b 2>/dev/null && break; sleep 0.1; done
ktap_test_result "device_in_middle_host_serves" ip netns exec "$A" "$tool" req 192.0.2.2 5571 10000
wait $rep
ktap_test_result "worker_behind_device_served" test $? = 0
kill $dev
wait $dev 2>/dev/null

# Live sockets with an established pipe while the namespace goes away.
ip netns exec "$C" "$tool" hold 127.0.0.1 5568 > /tmp/sp_hold &
hold=$!
for i in $(seq 50); do grep -q ready /tmp/sp_hold 2>/dev/null && break; sleep 0.1; done
ktap_test_result "pipe_up_before_netns_del" grep -q ready /tmp/sp_hold
# Not cleanup_ns: it kills the namespace's processes first.
del_ok() { ip netns del "$C" && ! ip netns list | grep -qw "$C"; }
ktap_test_result "netns_deleted_with_live_pipes" del_ok
remove_ns_list "$C"
kill $hold
wait $hold 2>/dev/null
ktap_finished
