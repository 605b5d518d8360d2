#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every cargo-fuzz target of the sans-IO core for a bounded time.
#
#   qemu/fuzz.sh [SECONDS]     per target, default 20
#
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the stable
# toolchain accept them. Prints one "ok"/"not ok" TAP line per target.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
secs=${1:-20}
export PATH=$SP_CACHE/tools/bin:$PATH RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null; then
	sp_log "installing cargo-fuzz into $SP_CACHE/tools"
	cargo install --locked --quiet cargo-fuzz --root "$SP_CACHE/tools" || exit 1
fi
cd "$here/../sp/proto" || exit 1
targets=$(cargo fuzz list)
n=0 fail=0
echo "TAP version 13"
echo "1..$(echo "$targets" | wc -w)"
for t in $targets; do
	n=$((n + 1))
	corpus=$SP_CACHE/fuzz-corpus/$t
	mkdir -p "$corpus"
	if cargo fuzz run "$t" "$corpus" -- -max_total_time="$secs" \
		-rss_limit_mb=2048 > "$SP_CACHE/fuzz-$t.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$SP_CACHE/fuzz-$t.log" | tail -1)
		echo "ok $n fuzz_$t # $runs in ${secs}s"
	else
		fail=1
		echo "not ok $n fuzz_$t"
		tail -n 40 "$SP_CACHE/fuzz-$t.log" | sed 's/^/# /'
	fi
done
exit $fail
