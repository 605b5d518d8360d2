#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The uapi headers must compile on their own as C90 with warnings as
# errors, in user space (netinet/sp.h) and kernel style (linux/sp.h).
# TAP output, one test per header, plus a check that the flags do reject
# non-C90 code, so that a passing run means something.

here=$(cd "$(dirname "$0")" && pwd)
uapi=${SP_UAPI:-$here/../uapi}
cc=${CC:-cc}
flags=(-std=c90 -pedantic-errors -Wall -Wextra -Werror -fsyntax-only -I"$uapi" -x c)

n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n $1"; }

echo "TAP version 13"
echo "1..4"
for h in linux/sp.h netinet/sp.h; do
	if printf '#include <%s>\n#include <%s>\nint main(void) { return AF_SP + SOCK_REQ; }\n' \
		"$h" "$h" | "$cc" "${flags[@]}" - 2>&1; then
		ok "c90_$h"
	else
		notok "c90_$h"
	fi
done
if printf '#include <linux/sp.h>\nint main(void) { struct sp_stats s; s.tx_msgs = 0; return (int)sizeof(s) - 64; }\n' |
	"$cc" "${flags[@]}" - 2>&1; then
	ok "sp_stats_layout_compiles"
else
	notok "sp_stats_layout_compiles"
fi
if printf '#include <linux/sp.h>\n// C99 comment\nint main(void) { return 0; }\n' |
	"$cc" "${flags[@]}" - >/dev/null 2>&1; then
	notok "c90_flags_reject_c99"
else
	ok "c90_flags_reject_c99"
fi
exit $fail
