#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the sp selftests with the kernel's kselftest runner, as
# 'make run_tests' would, without make (the VM's file system is read-only).
# TAP on stdout; each program's own TAP is nested under '# '.
#
#   selftests/run_tests.sh [TEST...]     default: every test of the Makefile

here=$(cd "$(dirname "$0")" && pwd)
ksrc=${KSRC:?set KSRC to a kernel source tree}
export BASE_DIR=$ksrc/tools/testing/selftests
cd "$here"
tests=("$@")
if [ ${#tests[@]} = 0 ]; then
	tests=($(sed -n 's/^TEST_\(GEN_\)\?PROGS *:\?= *//p' Makefile))
fi
. "$BASE_DIR/kselftest/runner.sh"
# The runner looks for 'settings' under BASE_DIR; we live outside it.
export kselftest_override_timeout=${SP_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' settings)}
export COLLECTION=sp
ktap_print_header
ktap_set_plan ${#tests[@]}
run_many "${tests[@]/#/./}"
ktap_finished
