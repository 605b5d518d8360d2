#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the sp selftests inside the VM, with kselftest's TAP layout: each
# program's own TAP nested under '# ', then one line for the program,
# "ok N selftests: sp: PROG # 12.3s". A program's block is printed as soon
# as it finishes, with its duration; while programs run, a line every
# SP_TICK (15) seconds names them.
#
#   selftests/run_tests.sh [PROG[:TEST]...]   default: every test of the Makefile
#   selftests/run_tests.sh --list             the programs of that default
#
# PROG:TEST runs one harness test of PROG (its -t filter; -r when TEST is
# fixture.variant.test). Independent programs run SP_TEST_JOBS (default 3)
# at a time; the programs in $alone (module unload, slab accounting) run
# first, each by itself, since they need no other sp socket in the system.
# The per-program timeout comes from 'settings' (SP_TEST_TIMEOUT overrides).

here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
alone=" sp_socket sp_module.sh sp_failslab.sh sp_scale "
jobs=${SP_TEST_JOBS:-3}
tick=${SP_TICK:-15}
timeout=${SP_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' settings)}

tests=("$@")
if [ ${#tests[@]} = 0 ] || [ "$1" = --list ]; then
	tests=($(sed -n 's/^TEST_\(GEN_\)\?PROGS *:\?= *//p' Makefile))
	# --list: which programs a run without arguments runs.
	[ "${1:-}" = --list ] && { echo "${tests[*]}"; exit 0; }
fi
tmp=$(mktemp -d /tmp/sp-tests.XXXXXX)
mkdir -p "$tmp/running"
t0=$(date +%s%N)
n=0 failed=0

echo "TAP version 13"
echo "1..${#tests[@]}"

# Deciseconds since $1 (date +%s%N), printed as "12.3".
since() { local d=$((($(date +%s%N) - $1) / 100000000)); echo "$((d / 10)).$((d % 10))"; }

# start SPEC: runs one program in the background, its output in $tmp.
start() {
	local spec=$1 prog=${1%%:*} args=() id
	id=${spec//[^A-Za-z0-9_.]/_}
	if [ "$prog" != "$spec" ]; then
		case ${spec#*:} in
		*.*) args=(-r "${spec#*:}") ;;
		*) args=(-t "${spec#*:}") ;;
		esac
	fi
	date +%s%N > "$tmp/running/$id"
	(
		if [ ! -x "./$prog" ]; then
			echo "$prog is missing or not executable (was it built?)"
			rc=127
		else
			timeout --foreground -k 10 "$timeout" \
				stdbuf --output=L ./"$prog" "${args[@]}" < /dev/null
			rc=$?
		fi
		echo "$rc $(since "$(cat "$tmp/running/$id")")" > "$tmp/$id.rc"
		rm -f "$tmp/running/$id"
	) > "$tmp/$id.out" 2>&1 &
	eval "spec_$!=\$spec"
}

# finish PID: prints the block of the program that ran as PID.
finish() {
	local spec id rc secs why res
	eval "spec=\$spec_$1"
	id=${spec//[^A-Za-z0-9_.]/_}
	read -r rc secs < "$tmp/$id.rc" || { rc=1 secs=?; }
	n=$((n + 1))
	case $rc in
	0) why= ;;
	4) why=" # SKIP" ;;
	124) why=" # TIMEOUT after ${timeout}s" ;;
	*) why=" # exit=$rc" ;;
	esac
	if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then
		res="ok $n selftests: sp: $spec${why:- #} ${secs}s"
	else
		res="not ok $n selftests: sp: $spec$why ${secs}s"
		failed=1
	fi
	{
		echo "# selftests: sp: $spec"
		sed 's/^/# /' "$tmp/$id.out"
		echo "$res"
	} | flock "$tmp/print" cat
}

# The heartbeat: which programs are still running, every $tick seconds.
(
	while sleep "$tick"; do
		now=$(date +%s%N) list=
		for f in "$tmp"/running/*; do
			[ -f "$f" ] || continue
			list+=" ${f##*/} ($((($now - $(cat "$f" 2>/dev/null || echo "$now")) / 1000000000))s)"
		done
		[ -n "$list" ] && echo "# sp: [$(since "$t0")s] running:$list" | flock "$tmp/print" cat
	done
) &
ticker=$!

par=()
for spec in "${tests[@]}"; do
	if [[ $alone == *" ${spec%%:*} "* ]]; then
		start "$spec"
		wait -n -p pid
		finish "$pid"
	else
		par+=("$spec")
	fi
done
running=0
for spec in "${par[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n -p pid
		finish "$pid"
		running=$((running - 1))
	fi
	start "$spec"
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n -p pid
	finish "$pid"
	running=$((running - 1))
done
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
echo "# sp: $n programs in $(since "$t0")s"
rm -rf "$tmp"
exit $failed
