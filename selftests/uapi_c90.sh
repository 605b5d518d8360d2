#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The uapi headers must compile on their own as C90 with warnings as
# errors, in user space (netinet/sp.h) and kernel style (linux/sp.h).
# TAP output, one test per header, a compile-time check of struct
# sp_stats's layout, and checks that the flags do reject non-C90 code and
# that the layout check does reject a wrong layout, so that a passing run
# means something.

here=$(cd "$(dirname "$0")" && pwd)
uapi=${SP_UAPI:-$here/../uapi}
cc=${CC:-cc}
flags=(-std=c90 -pedantic-errors -Wall -Wextra -Werror -fsyntax-only -I"$uapi" -x c)

n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n $1"; }

echo "TAP version 13"
echo "1..6"
for h in linux/sp.h netinet/sp.h; do
	if printf '#include <%s>\n#include <%s>\nint main(void) { return AF_SP + SOCK_REQ; }\n' \
		"$h" "$h" | "$cc" "${flags[@]}" - 2>&1; then
		ok "c90_$h"
	else
		notok "c90_$h"
	fi
done
# sp_diag.h: C90, twice, and its structs the sizes the kernel fills.
if printf '#include <linux/sp_diag.h>\n#include <linux/sp_diag.h>\ntypedef char a[sizeof(struct sp_diag_req) == 20 ? 1 : -1];\ntypedef char b[sizeof(struct sp_diag_msg) == 16 ? 1 : -1];\ntypedef char c[sizeof(struct sp_diag_info) == 32 ? 1 : -1];\nint main(void) { return SP_DIAG_MAX + SP_DIAG_PIPE_MAX; }\n' |
	"$cc" "${flags[@]}" - 2>&1; then
	ok "c90_linux/sp_diag.h"
else
	notok "c90_linux/sp_diag.h"
fi
# The layout, checked by the compiler: a false condition is an array of
# size -1, an error even with -fsyntax-only. $1 is the size to expect.
layout() {
	cat <<-EOF
	#include <stddef.h>
	#include <linux/sp.h>
	#define SP_CHECK(name, cond) typedef char sp_check_##name[(cond) ? 1 : -1];
	SP_CHECK(size, sizeof(struct sp_stats) == $1)
	SP_CHECK(tx_msgs, offsetof(struct sp_stats, tx_msgs) == 0)
	SP_CHECK(rx_msgs, offsetof(struct sp_stats, rx_msgs) == 8)
	SP_CHECK(tx_dropped, offsetof(struct sp_stats, tx_dropped) == 16)
	SP_CHECK(rx_dropped, offsetof(struct sp_stats, rx_dropped) == 24)
	SP_CHECK(pipes_refused, offsetof(struct sp_stats, pipes_refused) == 32)
	SP_CHECK(pipes_dropped, offsetof(struct sp_stats, pipes_dropped) == 40)
	SP_CHECK(reserved, offsetof(struct sp_stats, reserved) == 48)
	SP_CHECK(reserved_size, sizeof(((struct sp_stats *)0)->reserved) == 16)
	SP_CHECK(tx_msgs_size, sizeof(((struct sp_stats *)0)->tx_msgs) == 8)
	SP_CHECK(rx_msgs_size, sizeof(((struct sp_stats *)0)->rx_msgs) == 8)
	SP_CHECK(tx_dropped_size, sizeof(((struct sp_stats *)0)->tx_dropped) == 8)
	SP_CHECK(rx_dropped_size, sizeof(((struct sp_stats *)0)->rx_dropped) == 8)
	SP_CHECK(pipes_refused_size, sizeof(((struct sp_stats *)0)->pipes_refused) == 8)
	SP_CHECK(pipes_dropped_size, sizeof(((struct sp_stats *)0)->pipes_dropped) == 8)
	int main(void) { return 0; }
	EOF
}
if layout 64 | "$cc" "${flags[@]}" - 2>&1; then
	ok "sp_stats_layout"
else
	notok "sp_stats_layout"
fi
# Expecting 56 bytes must fail, and on the size check itself.
if layout 56 | "$cc" "${flags[@]}" - 2>&1 | grep -q "sp_check_size"; then
	ok "sp_stats_layout_check_rejects_wrong_size"
else
	notok "sp_stats_layout_check_rejects_wrong_size"
fi
# Must fail, and on the comment (not because, say, cc is missing).
if printf '#include <linux/sp.h>\n// C99 comment\nint main(void) { return 0; }\n' |
	"$cc" "${flags[@]}" - 2>&1 | grep -qi "comment"; then
	ok "c90_flags_reject_c99"
else
	notok "c90_flags_reject_c99"
fi
exit $fail
