#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check': everything from a fresh machine, then one summary line.
#
#  1. host build dependencies (qemu/deps.sh)
#  2. sans-IO core: cargo test, then a bounded cargo-fuzz run per target
#  3. the debug kernel (cached), sp.ko and the selftests
#  4. the selftests in a VM on the debug kernel, with the runner's checks
#     (no splat, module unloads, kmemleak clean)
#
# The last line is "N passed, N failed, N skipped", counted from the cargo
# and TAP results; the exit status is non-zero if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/common.sh"
cd "$repo"
log=$(mktemp -d "${TMPDIR:-/tmp}/sp-check.XXXXXX")
pass=0 fail=0 skip=0

step() { printf '\n==== %s\n' "$*"; }
broken() { echo "not ok $1"; fail=$((fail + 1)); }

# Counts "ok"/"not ok" TAP lines (nested kselftest results included).
count_tap() {
	local p f s
	p=$(grep -cE '^(# )?ok [0-9]+ |^ok vm_' "$1")
	s=$(grep -cE '^(# )?ok .*# SKIP' "$1")
	f=$(grep -cE '^(# )?not ok [0-9]+ |^not ok vm_' "$1")
	# A failing program counts as one failure of its own when none of its
	# nested results failed (it crashed or timed out part way); otherwise
	# its nested lines already count it.
	local tp tf
	tp=$(grep -cE '^ok [0-9]+ selftests: ' "$1")
	tf=$(awk '/^# not ok [0-9]+ /{nf++} /^not ok [0-9]+ selftests: /{if(!nf)c++; nf=0} /^ok [0-9]+ selftests: /{nf=0} END{print c+0}' "$1")
	local tfall
	tfall=$(grep -cE '^not ok [0-9]+ selftests: ' "$1")
	pass=$((pass + p - s - tp))
	skip=$((skip + s))
	fail=$((fail + f - tfall + tf))
}

step "dependencies"
bash qemu/deps.sh || { broken deps; }

step "host: cargo test (sans-IO core)"
(cd sp/proto && cargo test 2>&1) | tee "$log/cargo"
while read -r p f; do
	pass=$((pass + p)); fail=$((fail + f))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log/cargo")
grep -q '^test result:' "$log/cargo" || broken cargo_test_build

step "host: cargo fuzz smoke (${SP_FUZZ_SECONDS:-10}s per target)"
bash qemu/fuzz.sh "${SP_FUZZ_SECONDS:-10}" | tee "$log/fuzz"
count_tap "$log/fuzz"

step "debug kernel"
if kdir=$(bash qemu/kernel.sh build debug); then
	ksrc=$(realpath "$kdir/source")
	step "module and selftests"
	if make -s KDIR="$kdir" modules && make -s KDIR="$kdir" KSRC="$ksrc" selftests; then
		step "selftests in the VM (debug kernel)"
		KDIR=$kdir bash qemu/run.sh -- "KSRC=$ksrc selftests/run_tests.sh" | tee "$log/vm"
		count_tap "$log/vm"
	else
		broken build_module_or_selftests
	fi
else
	broken kernel_build
fi

rm -rf "$log"
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
