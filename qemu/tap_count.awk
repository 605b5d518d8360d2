# SPDX-License-Identifier: GPL-2.0
#
# Counts the results of one step of 'make check' from its TAP output.
#
#   awk -v kind=vm|tap -v want="PROG..." -v rc=STATUS -f tap_count.awk LOG
#
# Prints "not ok ..." for every failure it has to infer (a program that
# crashed, timed out or reported fewer results than its plan, an expected
# program or target that reported nothing, a step that failed without a
# failing result), "= WHERE: LINE" for every failing result line, then a
# last line "pass fail skip".
#
# kind=vm: selftests/run_tests.sh nested in qemu/run.sh. A program's own
# results are the "# ok N" lines of its block; its "ok N selftests: sp:
# PROG" line only counts when the program failed with no failing result
# of its own. The runner's "ok vm_*" checks count as results.
# kind=tap: a flat TAP stream (the fuzz step): one result per line.

function flush_prog(   missing) {
	if (prog == "")
		return
	missing = plan - (np + nf + ns)
	if (top == "skip" && np + nf + ns == 0) {
		skip++
	} else if (np + nf + ns == 0) {
		print "not ok " prog " # reported no results"
		fail++
	} else if (top == "fail" && nf == 0) {
		print "not ok " prog " # exit status: " why
		fail++
	} else if (missing > 0 && top == "ok") {
		print "not ok " prog " # " missing " of its " plan " planned results missing"
		fail++
	}
	pass += np; fail += nf; skip += ns
	seen[prog] = 1
	prog = ""
}

BEGIN { pass = fail = skip = 0; prog = "" }

kind == "vm" && /^# selftests: sp: / {
	flush_prog()
	prog = $4; np = nf = ns = plan = 0; top = ""
	next
}
kind == "vm" && prog != "" && /^# 1\.\.[0-9]+/ {
	sub(/^# 1\.\./, ""); plan = $1 + 0
	next
}
kind == "vm" && prog != "" && /^# ok [0-9]+ / {
	if ($0 ~ /# SKIP/) ns++; else np++
	next
}
kind == "vm" && prog != "" && /^# not ok [0-9]+ / {
	nf++; line = $0; sub(/^# /, "", line); print "= " prog ": " line
	next
}
kind == "vm" && /^(not )?ok [0-9]+ selftests: sp: / {
	if (prog == "") { prog = ($1 == "not") ? $6 : $5; np = nf = ns = plan = 0 }
	top = ($1 == "not") ? "fail" : (($0 ~ /# SKIP/) ? "skip" : "ok")
	why = $0; sub(/^[^#]*# */, "", why)
	flush_prog()
	next
}
kind == "vm" && /^ok vm_/ { pass++; vm++; next }
kind == "vm" && /^not ok vm_/ { fail++; vm++; print "= vm: " $0; next }

kind == "tap" && /^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = $1 + 0; next }
kind == "tap" && /^ok [0-9]+ / {
	if ($0 ~ /# SKIP/) skip++; else pass++
	seen[$3] = 1; got++
	next
}
kind == "tap" && /^not ok [0-9]+ / { fail++; seen[$4] = 1; got++; print "= " $0; next }

END {
	flush_prog()
	nw = split(want, w, " ")
	for (i = 1; i <= nw; i++) {
		if (!(w[i] in seen)) {
			print "not ok " w[i] " # expected, but reported nothing"
			fail++; absent++
		}
	}
	if (kind == "vm" && vm == 0) {
		print "not ok vm_runner # the VM runner printed none of its checks"
		fail++
	}
	if (kind == "tap" && got + absent < plan) {
		print "not ok " (plan - got - absent) " of " plan " planned results missing"
		fail++
	}
	if (rc != 0 && fail == 0) {
		print "not ok step # exited with status " rc " and no failing result"
		fail++
	}
	print pass, fail, skip
}
