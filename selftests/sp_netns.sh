#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sp across network namespaces, like hosts: two namespaces reach each other
# only over a veth link; a third routes between two links; and deleting a
# namespace with live sp sockets and established pipes is clean (the VM
# runner's KASAN and kmemleak checks judge that part).
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/sp_tool
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n $1"; }
check() { if "${@:2}"; then ok "$1"; else notok "$1"; fi; }
# check_rc NAME WANT CMD...: CMD must exit with status WANT exactly.
check_rc() {
	local name=$1 want=$2 rc
	shift 2
	"$@"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else notok "$name # exit status $rc, want $want"; fi
}

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 4
fi
if [ ! -x "$tool" ]; then
	echo "1..1"
	echo "not ok 1 sp_tool_built # no $tool"
	exit 1
fi
# Network namespaces are in every sp test kernel: failing to make one fails.
if ! ip netns add sp-probe || ! ip netns del sp-probe; then
	echo "1..1"
	echo "not ok 1 ip_netns_works"
	exit 1
fi
echo "1..8"
cleanup() { for ns in spA spB spC; do ip netns del $ns 2>/dev/null; done; }
trap cleanup EXIT

for ns in spA spB spC; do
	ip netns add $ns
	ip -n $ns link set lo up
done
# spA -- spB -- spC, on documentation-range addresses inside the VM only.
ip link add a0 netns spA type veth peer name b0 netns spB
ip link add b1 netns spB type veth peer name c0 netns spC
ip -n spA addr add 192.0.2.1/24 dev a0
ip -n spB addr add 192.0.2.2/24 dev b0
ip -n spB addr add 198.51.100.2/24 dev b1
ip -n spC addr add 198.51.100.3/24 dev c0
for l in "spA a0" "spB b0" "spB b1" "spC c0"; do ip -n ${l% *} link set ${l#* } up; done
ip -n spA route add 198.51.100.0/24 via 192.0.2.2
ip -n spC route add 192.0.2.0/24 via 198.51.100.2
ip netns exec spB sysctl -qw net.ipv4.ip_forward=1

ip netns exec spA "$tool" rep 192.0.2.1 5566 2 > /tmp/sp_rep_a &
rep=$!
for i in $(seq 50); do grep -q ready /tmp/sp_rep_a 2>/dev/null && break; sleep 0.1; done
check "veth_neighbour_reaches_rep" ip netns exec spB "$tool" req 192.0.2.1 5566 5000
check "routed_third_host_reaches_rep" ip netns exec spC "$tool" req 192.0.2.1 5566 5000
wait $rep
check "rep_served_both" test $? = 0

# Loopback is per namespace: spB's 127.0.0.1 is not spA's.
ip netns exec spA "$tool" rep 127.0.0.1 5567 1 > /tmp/sp_rep_lo &
rep=$!
for i in $(seq 50); do grep -q ready /tmp/sp_rep_lo 2>/dev/null && break; sleep 0.1; done
# sp_tool's status 4: no reply within the timeout (nothing listens there).
check_rc "other_namespace_loopback_unreachable" 4 \
	ip netns exec spB "$tool" req 127.0.0.1 5567 1000
check "own_namespace_loopback_reachable" ip netns exec spA "$tool" req 127.0.0.1 5567 5000
wait $rep
check "rep_served_own_namespace" test $? = 0

# Live sockets with an established pipe while the namespace goes away.
ip netns exec spC "$tool" hold 127.0.0.1 5568 > /tmp/sp_hold &
hold=$!
for i in $(seq 50); do grep -q ready /tmp/sp_hold 2>/dev/null && break; sleep 0.1; done
check "pipe_up_before_netns_del" grep -q ready /tmp/sp_hold
del_ok() { ip netns del spC && ! ip netns list | grep -qw spC; }
check "netns_deleted_with_live_pipes" del_ok
kill $hold
wait $hold 2>/dev/null
exit $fail
