#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Where the time of one benchmark case goes, for sp and for raw TCP: runs
# the case under `perf record -a -g` (the cpu-clock software event: TCG has
# no PMU) and prints the hottest kernel and module symbols, self time
# first, then with callees. A profile, not a test.
#
#   profile.sh ARGS...    sp_bench arguments without -b, e.g. -t lat -s 64
#
#   SP_PROFILE_BACKENDS   backends to profile (default "sp tcp")
#   SP_PROFILE_SECONDS    duration of each run (default 4)
#   SP_PROFILE_LINES      symbols shown per table (default 45)

B=$(cd "$(dirname "$0")" && pwd)/sp_bench
D=${SP_PROFILE_SECONDS:-4}
N=${SP_PROFILE_LINES:-45}
data=/tmp/sp-perf.data
rc=0

for be in ${SP_PROFILE_BACKENDS:-sp tcp}; do
	echo "==== profile: $be $*"
	if ! perf record -q -a -g -F 2000 -e cpu-clock -o "$data" -- \
		"$B" -b "$be" "$@" -d "$D"; then
		echo "profile-failed $be $*"
		rc=1
		continue
	fi
	echo "---- $be: self time by symbol"
	perf report -i "$data" --stdio --no-children --sort sym \
		--percent-limit 0.5 -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n "$N"
	echo "---- $be: time with callees, by symbol"
	perf report -i "$data" --stdio --children --sort sym \
		--percent-limit 2 -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n "$N"
done
rm -f "$data"
exit $rc
