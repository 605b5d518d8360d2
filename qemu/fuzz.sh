#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every cargo-fuzz target of the sans-IO core for a bounded time.
#
#   qemu/fuzz.sh [SECONDS]     per target, default 20
#
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the stable
# toolchain accept them. Prints TAP: one line per target named by a file in
# sp/proto/fuzz/fuzz_targets/, so that a target cargo-fuzz does not know, a
# missing cargo-fuzz or a failed build is a "not ok", never a silent zero.
# The build lives in $SP_CACHE/cargo, shared by every clone.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
secs=${1:-20}
export PATH=$SP_CACHE/tools/bin:$PATH RUSTC_BOOTSTRAP=1
logs=$SP_CACHE/logs
mkdir -p "$logs"
cd "$here/../sp/proto" || exit 1
want=$(cd fuzz/fuzz_targets && ls *.rs | sed 's/\.rs$//')
echo "TAP version 13"
echo "1..$(echo $want | wc -w)"

# Every target fails alike when the tool or the build is missing.
all_fail() {
	local n=0 t
	for t in $want; do
		n=$((n + 1))
		echo "not ok $n fuzz_$t # $1"
	done
	exit 1
}
if ! command -v cargo-fuzz >/dev/null; then
	sp_quiet "cargo: installing cargo-fuzz into $SP_CACHE/tools" "$logs/deps.log" \
		cargo install --locked cargo-fuzz --root "$SP_CACHE/tools" ||
		all_fail "cargo-fuzz could not be installed (log: $logs/deps.log)"
fi
have=$(cargo fuzz list 2>"$logs/fuzz-build.log") ||
	all_fail "cargo fuzz list failed (log: $logs/fuzz-build.log)"
target=(--target-dir "$SP_CACHE/cargo/fuzz")
sp_quiet "cargo fuzz build (every target)" "$logs/fuzz-build.log" \
	cargo fuzz build "${target[@]}" ||
	all_fail "cargo fuzz build failed (log: $logs/fuzz-build.log)"

n=0 fail=0
for t in $want; do
	n=$((n + 1))
	if ! echo "$have" | grep -qx "$t"; then
		fail=1
		echo "not ok $n fuzz_$t # not a target of fuzz/Cargo.toml"
		continue
	fi
	corpus=$SP_CACHE/fuzz-corpus/$t
	mkdir -p "$corpus"
	if cargo fuzz run "${target[@]}" "$t" "$corpus" -- -max_total_time="$secs" \
		-rss_limit_mb=2048 > "$logs/fuzz-$t.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$logs/fuzz-$t.log" | tail -1)
		if [ -n "$runs" ]; then
			echo "ok $n fuzz_$t # $runs in ${secs}s"
		else
			fail=1
			echo "not ok $n fuzz_$t # libFuzzer reported no runs (log: $logs/fuzz-$t.log)"
		fi
	else
		fail=1
		echo "not ok $n fuzz_$t # log: $logs/fuzz-$t.log"
		tail -n 40 "$logs/fuzz-$t.log" | sed 's/^/# /'
	fi
done
exit $fail
