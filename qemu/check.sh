#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check': everything from a fresh machine, then one summary line.
#
#  1. host build dependencies (qemu/deps.sh)
#  2. sans-IO core: cargo test, then a bounded cargo-fuzz run per target;
#     rustfmt --check of every Rust file with the kernel's .rustfmt.toml
#     sp.ko built under clippy (CLIPPY=1) with no warning; man/sp.7
#     formatted and checked against the uapi (qemu/man_check.sh)
#  3. the debug kernel (cached), sp.ko and the selftests
#  4. the selftests in a VM on the debug kernel, with the runner's checks
#     (no splat, module unloads, kmemleak clean)
#
#   qemu/check.sh [PROG[:TEST]...]   the VM step runs only these (make vm-test)
#
# Every step's exit status counts, and so does what it should have reported:
# a cargo test binary, fuzz target or selftest program that reports nothing
# is a failure, never a silent zero. The last line is "N passed, N failed,
# N skipped", counted from the cargo and TAP results; the lines before it
# name every failure with its step and log. The exit status is non-zero if
# anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/common.sh"
cd "$repo"
export PATH=$SP_CACHE/tools/bin:$PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
logs=$SP_CACHE/logs
mkdir -p "$logs"
stamp=$(date +%Y%m%d-%H%M%S)
pass=0 fail=0 skip=0 failures=
only=("$@")

# broken STEP WHAT: a failure that no result line carries.
broken() {
	echo "not ok $2"
	fail=$((fail + 1))
	failures+="  [$1] $2"$'\n'
}

# tally STEP KIND LOG RC WANT: counts a TAP step (see tap_count.awk).
tally() {
	local out p f s
	out=$(awk -v kind="$2" -v rc="$4" -v want="$5" -f "$here/tap_count.awk" "$3")
	read -r p f s <<< "$(echo "$out" | tail -n 1)"
	echo "$out" | grep '^not ok '
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	out=$(echo "$out" | sed '$d; s/^= //')
	[ -n "$out" ] && failures+=$(echo "$out" | sed "s|^|  [$1] |")$'\n'
	return 0
}

if [ ${#only[@]} = 0 ]; then
	sp_step "dependencies"
	bash qemu/deps.sh || broken dependencies "qemu/deps.sh failed (log: $logs/deps.log)"

	sp_step "host: cargo test (sans-IO core)"
	# One target directory for every clone: dependencies build once.
	(cd sp/proto && CARGO_TARGET_DIR=$SP_CACHE/cargo/proto cargo test 2>&1) | tee "$tmp/cargo"
	rc=${PIPESTATUS[0]}
	while read -r p f; do
		pass=$((pass + p)); fail=$((fail + f))
	done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$tmp/cargo")
	grep -q '^test result:' "$tmp/cargo" || broken cargo "cargo test reported no results"
	[ "$rc" = 0 ] || grep -qE '^test result: FAILED' "$tmp/cargo" ||
		broken cargo "cargo test exited with status $rc and no failing test (a test binary crashed or did not build)"
	grep -E '^test .* FAILED$' "$tmp/cargo" | sed 's/^/  [cargo] /' >> "$tmp/cargo-failed"
	[ -s "$tmp/cargo-failed" ] && failures+=$(cat "$tmp/cargo-failed")$'\n'

	sp_step "host: man/sp.7 against the uapi"
	bash qemu/man_check.sh | tee "$tmp/man"
	tally man tap "$tmp/man" "${PIPESTATUS[0]}" "man_lint man_options man_types man_defaults"

	secs=${FUZZ_SECONDS:-5}
	sp_step "host: cargo fuzz smoke (${secs}s per target)"
	bash qemu/fuzz.sh "$secs" | tee "$tmp/fuzz"
	rc=${PIPESTATUS[0]}
	want=$(ls sp/proto/fuzz/fuzz_targets/*.rs | sed 's|.*/||; s|\.rs$||; s|^|fuzz_|')
	tally fuzz tap "$tmp/fuzz" "$rc" "$(echo $want)"
fi

sp_step "debug kernel"
if kdir=$(bash qemu/kernel.sh build debug 2> >(tee "$tmp/kernel" >&2)); then
	ksrc=$(realpath "$kdir/source")
	if [ ${#only[@]} = 0 ]; then
		sp_step "rustfmt, with the kernel's .rustfmt.toml"
		if bash qemu/fmt.sh --check "$ksrc" > "$tmp/fmt" 2>&1; then
			echo "ok rustfmt"
			pass=$((pass + 1))
		else
			head -n 40 "$tmp/fmt"
			broken rustfmt "rustfmt --check: $(grep -c '^Diff in' "$tmp/fmt") hunks to reformat (make fmt)"
		fi
	fi
	sp_step "module and selftests"
	# The whole run builds the crate afresh under clippy, with the
	# kernel's lints (CLIPPY=1): any warning of rustc or clippy fails it.
	clippy=()
	[ ${#only[@]} = 0 ] && { rm -f sp/sp_main.o; clippy=(CLIPPY=1); }
	# sp_quiet appends: this build's warnings only.
	: > "$logs/module.log"
	if ! sp_quiet "building sp.ko" "$logs/module.log" make KDIR="$kdir" "${clippy[@]}" modules; then
		broken build "sp.ko did not build (log: $logs/module.log)"
	elif ! sp_quiet "building the selftests" "$logs/selftests-build.log" \
			make KDIR="$kdir" KSRC="$ksrc" selftests; then
		broken build "the selftests did not build (log: $logs/selftests-build.log)"
	else
		if [ ${#clippy[@]} != 0 ]; then
			if grep -qE '^(warning|error)(\[|:)' "$logs/module.log"; then
				grep -E -A6 '^(warning|error)(\[|:)' "$logs/module.log" | head -n 40
				broken clippy "sp.ko built with $(grep -cE '^warning(\[|:)' "$logs/module.log") rustc/clippy warnings (log: $logs/module.log)"
			else
				echo "ok clippy"
				pass=$((pass + 1))
			fi
		fi
		if [ ${#only[@]} = 0 ]; then
			want=$(bash selftests/run_tests.sh --list)
		else
			want="${only[*]}"
		fi
		console=$logs/console-check-$stamp.log
		sp_step "selftests in the VM (debug kernel): $(echo $want | wc -w) programs"
		KDIR=$kdir bash qemu/run.sh -l "$console" -- \
			"selftests/run_tests.sh ${only[*]}" | tee "$tmp/vm"
		rc=${PIPESTATUS[0]}
		tally vm vm "$tmp/vm" "$rc" "$(echo $want)"
		[ "$fail" = 0 ] || failures+="  (console log of the VM: $console)"$'\n'
	fi
else
	broken kernel "the debug kernel did not build: $(grep -a '^\[sp\] error:' "$tmp/kernel" | tail -n 1 | sed 's/^\[sp\] error: //')"
fi

sp_step "done"
if [ "$fail" != 0 ]; then
	echo "What failed ([step] result):"
	printf '%s' "$failures" | sed '/^$/d'
fi
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
