#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks man/sp.7 against the uapi, as TAP: it formats with no warning
# (groff -ww), and names every option, socket type and control message of
# uapi/linux/sp.h (and the request flags and structs of sp_diag.h), with
# the defaults of the header's option table.
#
#   qemu/man_check.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
page=man/sp.7
hdr=uapi/linux/sp.h
n=0
result() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1 # $2"
	fi
}
echo "TAP version 13"
echo "1..4"

warn=$(groff -man -ww -z -t "$page" 2>&1)
result man_lint "${warn:+$(echo "$warn" | head -n 3 | tr '\n' ' ')}"

# The names, as the page's text has them (roff escapes for '-' undone).
text=$(sed 's/\\-/-/g' "$page")
missing() {
	local w out=
	for w in "$@"; do
		grep -qw -- "$w" <<< "$text" || out+=" $w"
	done
	echo "${out:+missing:$out}"
}
opts=$(sed -n 's/^#define \(SP_[A-Z_]*\)[[:space:]].*/\1/p' "$hdr" | grep -v '^SP_PROTO_\|^_')
result man_options "$(missing $opts)"
types=$(sed -n 's/^#define \(SOCK_[A-Z]*\)[[:space:]].*/\1/p' "$hdr")
diag=$(sed -n 's/^#define \(SP_DIAG_SHOW_[A-Z]*\)[[:space:]].*/\1/p' uapi/linux/sp_diag.h)
result man_types "$(missing $types $diag AF_SP SOL_SP IPV6_V6ONLY sp_diag_req sp_diag_msg SP_DIAG_INFO)"

# Every row of the header's option table has its default in the page's.
bad=$(python3 - "$hdr" "$page" <<'PY'
import re, sys
hdr, page = (open(p).read() for p in sys.argv[1:])
rows = re.findall(r'^ \*\t(SP_[A-Z_]+)\t+([A-Z, a-z]+?)\t+(\d+)', hdr, re.M)
man = {}
for m in re.finditer(r'^(SP_[A-Z_]+)\t([^\t]+)\t([^\t]+)\t', page, re.M):
    man.setdefault(m.group(1), []).append(m.group(3).split()[0])
out = [f"{o}={d}" for o, _, d in rows if d not in man.get(o, [])]
print(" ".join(out) if rows else "no option rows in the header")
PY
)
result man_defaults "${bad:+defaults differ: $bad}"
