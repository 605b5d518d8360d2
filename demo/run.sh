#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (see 'make demo').
set -e
cd "$(dirname "$0")"
echo "== sp demo on $(uname -sr)"
grep -w '^sp' /proc/modules
./sp_sockets
