#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: sp against raw TCP and NNG, on the perf kernel, in one VM run.
#
# Builds (or reuses) the perf kernel, builds sp.ko for it from a copy of the
# module sources (so the debug build in the tree is left alone), boots one
# VM that runs selftests/bench/run.sh, and turns the result lines into a
# table with the ratios sp/TCP and sp/NNG. The table is printed and written
# to $SP_CACHE/bench/results-<time>.txt, whose name is printed last.
#
#   SP_BENCH_SRC=/other/checkout   benchmark that tree's module instead
#                                  (e.g. an older commit, for before/after)
#   SP_BENCH_ROUNDS, SP_BENCH_SECONDS, SP_BENCH_SIZES, SP_BENCH_ONLY: see
#                                  selftests/bench/run.sh
#   SP_PROFILE="-t lat -s 64"      instead of the table, a perf profile of
#                                  that case for sp and raw TCP
#                                  (selftests/bench/profile.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/common.sh"
export PATH=$SP_CACHE/tools/bin:$PATH

src=${SP_BENCH_SRC:-$repo}
kdir=$(bash "$here/kernel.sh" build perf | tail -n 1)
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$SP_CACHE/bench"
mod=$SP_CACHE/bench/module
rm -rf "$mod" && mkdir -p "$mod"
cp -a "$src/Kbuild" "$src/sp" "$src/uapi" "$mod/"
sp_log "building sp.ko from $src for the perf kernel"
make -s -C "$kdir" M="$mod" LLVM="$SP_LLVM" clean >/dev/null
make -s -C "$kdir" M="$mod" LLVM="$SP_LLVM" modules
make -s -C "$repo/selftests/bench"

if [ -n "${SP_PROFILE:-}" ]; then
	exec env SP_FLAVOUR=perf bash "$here/run.sh" -k "$kdir/arch/x86/boot/bzImage" -m "$mod/sp/sp.ko" \
		-t "${SP_BENCH_TIMEOUT:-3600}" -- "selftests/bench/profile.sh $SP_PROFILE"
fi
raw=$SP_CACHE/bench/raw-$stamp.txt
res=$SP_CACHE/bench/results-$stamp.txt
rev=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
set +e
SP_FLAVOUR=perf bash "$here/run.sh" -k "$kdir/arch/x86/boot/bzImage" -m "$mod/sp/sp.ko" \
	-t "${SP_BENCH_TIMEOUT:-3600}" -- \
	"SP_BENCH_ONLY=${SP_BENCH_ONLY:-all} SP_BENCH_ROUNDS=${SP_BENCH_ROUNDS:-5} SP_BENCH_SECONDS=${SP_BENCH_SECONDS:-1} SP_BENCH_SIZES='${SP_BENCH_SIZES:-64 1024 65536}' selftests/bench/run.sh" | tee "$raw"
vmrc=${PIPESTATUS[0]}
set -e
{
	echo "sp benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), module $rev, Linux $(basename "$kdir") under ${SP_ACCEL:-TCG}"
	echo "$(nproc) host cores; VM: ${SP_VM_CPUS:-2} vCPUs. One VM run of ${SP_BENCH_ROUNDS:-5} rounds; compare ratios, not absolutes."
	python3 "$here/bench_table.py" < "$raw"
} > "$res"
cat "$res"
echo "results: $res"
[ "$vmrc" = 0 ] || sp_die "the VM run failed (exit $vmrc); see the raw lines in $raw"
