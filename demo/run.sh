#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see 'make demo'): the seed's examples as plain C,
# REQ/REP over IPC with NNG's nngcat at the other end, then one exchange of
# each further pattern: PUSH/PULL, SURVEYOR/RESPONDENT
# and BUS; then the same programs through in-kernel devices: a REQ/REP
# broker and a PUB/SUB relay.
set -e
cd "$(dirname "$0")"
echo "== sp demo on $(uname -sr)"
grep -w '^sp' /proc/modules
./sp_sockets
echo "== REQ/REP on port 5566"
./rep 1 &
rep=$!
./req
wait $rep
echo "== REQ/REP over IPC: an sp REQ, NNG's nngcat as the REP on ipc:///tmp/sp-demo.sock"
rm -f /tmp/sp-demo.sock
nngcat --rep --listen ipc:///tmp/sp-demo.sock --data World --count 1 --ascii &
cat=$!
./req /tmp/sp-demo.sock
wait $cat
echo "== REQ/REP over IPC: nngcat as the REQ, an sp REP on ipc:///tmp/sp-demo.sock"
./rep 1 /tmp/sp-demo.sock &
rep=$!
sleep 0.3
nngcat --req --dial ipc:///tmp/sp-demo.sock --data Hello --ascii
wait $rep
echo "== PUB/SUB on port 5566"
./pub 50 &
pub=$!
./sub 3
kill $pub 2>/dev/null || true
wait $pub 2>/dev/null || true
echo "== PUSH/PULL on port 5566"
./pull 3 &
pull=$!
./push 3
wait $pull
echo "== SURVEYOR/RESPONDENT on port 5566"
./surveyor 2 &
surveyor=$!
./respondent alice &
alice=$!
./respondent bob
wait $alice
wait $surveyor
echo "== BUS on ports 5566-5568, each node connected to the others"
./bus a 5566 5567 5568 &
a=$!
./bus b 5567 5568 &
b=$!
./bus c 5568
wait $a
wait $b
echo "== Scaling up: two REQs -> REQ/REP device (kernel) -> REP on 5566"
./rep 2 &
rep=$!
./device rep bind 5570 req connect 5566 4 &
dev=$!
sleep 0.5
./req 5570
./req 5570
wait $rep
kill $dev 2>/dev/null || true
wait $dev 2>/dev/null || true
echo "== Scaling up: PUB on 5566 -> SUB/PUB relay (kernel) -> two SUBs on 5571"
./pub 80 &
pub=$!
./device sub connect 5566 pub bind 5571 6 &
dev=$!
sleep 0.5
./sub 2 5571 &
s1=$!
./sub 2 5571
wait $s1
kill $pub $dev 2>/dev/null || true
wait $pub $dev 2>/dev/null || true
