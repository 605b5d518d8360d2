#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make demo': from a fresh machine, the seed's REQ/REP and PUB/SUB
# examples as plain C, then PUSH/PULL, SURVEYOR/RESPONDENT and BUS, in a VM
# with sp.ko loaded. Names each phase with
# the time since the start; a failing phase names itself and its log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$here/.."
logs=$SP_CACHE/logs
mkdir -p "$logs"
export PATH=$SP_CACHE/tools/bin:$PATH

sp_step "dependencies"
bash qemu/deps.sh || sp_die "failed: dependencies (log: $logs/deps.log)"
sp_step "debug kernel"
kdir=$(bash qemu/kernel.sh build debug) || sp_die "failed: the debug kernel (see above)"
sp_step "sp.ko and the demo programs"
sp_quiet "building sp.ko" "$logs/module.log" make KDIR="$kdir" modules ||
	sp_die "failed: building sp.ko (log: $logs/module.log)"
sp_quiet "building the demo programs" "$logs/demo-build.log" make -C demo ||
	sp_die "failed: building the demo programs (log: $logs/demo-build.log)"
sp_step "the demo in the VM"
console=$logs/console-demo-$(date +%Y%m%d-%H%M%S).log
if KDIR=$kdir bash qemu/run.sh -l "$console" -- demo/run.sh; then
	sp_step "done: the demo ran"
else
	sp_die "failed: the demo in the VM (console log: $console)"
fi
