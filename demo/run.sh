#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see 'make demo'): the seed's examples as plain C.
set -e
cd "$(dirname "$0")"
echo "== sp demo on $(uname -sr)"
grep -w '^sp' /proc/modules
./sp_sockets
echo "== REQ/REP on tcp://*:5566"
./rep 1 &
rep=$!
./req
wait $rep
echo "== PUB/SUB on tcp://*:5566"
./pub 50 &
pub=$!
./sub 3
kill $pub 2>/dev/null || true
wait $pub 2>/dev/null || true
