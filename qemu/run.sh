#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel in QEMU with the host's root file system shared read-only
# (9p), load sp.ko, run a command, and exit with its status.
#
#   qemu/run.sh [-k bzImage] [-m sp.ko] [-t seconds] [-l console.log] -- CMD...
#
# The command runs as root in the guest, in the repository directory, with
# loopback up and /tmp writable.  Afterwards the guest unloads sp.ko (which
# must succeed) and runs a kmemleak scan.  The run fails if the command
# fails, if the module does not unload, or if the console shows a BUG,
# WARNING, KASAN or lockdep report, a call trace, a hung task, a panic or a
# kmemleak report.  The console log is kept (-l, default under $SP_CACHE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/common.sh"

kdir=${KDIR:-$(bash "$here/kernel.sh" dir "${SP_FLAVOUR:-debug}")}
kernel=$kdir/arch/x86/boot/bzImage
module=$repo/sp/sp.ko
timeout=${SP_VM_TIMEOUT:-1200}
log=
while [ $# -gt 0 ]; do
	case $1 in
	-k) kernel=$2; shift 2 ;;
	-m) module=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	-l) log=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || sp_die "usage: $0 [-k bzImage] [-m sp.ko] [-t s] [-l log] -- CMD..."
[ -f "$kernel" ] || sp_die "no kernel at $kernel (run: make kernel)"
[ -f "$module" ] || sp_die "no module at $module (run: make)"

out=$(mktemp -d "${TMPDIR:-/tmp}/sp-vm.XXXXXX")
trap 'rm -rf "$out"' EXIT
mkdir -p "$SP_CACHE/logs"
[ -n "$log" ] || log=$SP_CACHE/logs/console-$(date +%Y%m%d-%H%M%S).log
{
	printf 'SP_REPO=%q\n' "$repo"
	printf 'SP_MODULE=%q\n' "$module"
	printf 'SP_CACHE=%q\n' "$SP_CACHE"
	printf 'SP_CMD=%q\n' "$*"
} > "$out/env"

# One host thread per vCPU (MTTCG), so that the guest's CPUs run at once.
# tinyconfig has no ACPI: the guest finds its CPUs in SeaBIOS's MP table,
# which lists one per socket, so each vCPU is a socket of its own (with
# "-smp 2" alone the guest brings up one CPU).
cpus=${SP_VM_CPUS:-2}
accel=(-accel tcg,thread=multi -cpu max)
# KVM only where it can work: the CPU must show vmx or svm. On these
# machines /dev/kvm exists without them and a KVM boot hangs.
if [ "${SP_KVM:-auto}" != 0 ] && [ -w /dev/kvm ] &&
   grep -qwE 'vmx|svm' /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
fi

cmdline="console=ttyS0 panic=-1 oops=panic loglevel=6 ro"
cmdline+=" root=/dev/root rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
cmdline+=" init=$here/guest-init.sh"
cmdline+=" slab_nomerge"
# Under TCG the guest's TSC runs at the host's rate, but tinyconfig has no
# HPET or PM timer to calibrate it against, and the guest falls back to the
# jiffies clock (4 ms steps). Tell it the host's TSC rate: clock_gettime()
# then has the resolution a benchmark needs.
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null)
if [ "${accel[1]%%,*}" = tcg ] && [ -n "$khz" ] && grep -qw constant_tsc /proc/cpuinfo; then
	cmdline+=" tsc_early_khz=$khz tsc=reliable"
fi

: > "$log"
: > "$out/output"
sp_log "booting $(basename "$kernel") (${accel[1]}), console log: $log"
set +e
timeout --foreground "$timeout" qemu-system-x86_64 "${accel[@]}" \
	-m "${SP_VM_MEM:-2G}" -smp "$cpus,sockets=$cpus,cores=1,threads=1" \
	-nodefaults -no-reboot -display none -monitor none \
	-serial "file:$log" \
	-kernel "$kernel" -append "$cmdline" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=out,path="$out",security_model=none \
	-device virtio-9p-pci,fsdev=out,mount_tag=spout \
	</dev/null &
qpid=$!
# The command's output as it arrives, and the time each phase took.
t0=$SECONDS
tail -n +1 --pid=$qpid -f "$out/output" 2>/dev/null | {
	phase=boot t=$SECONDS
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $phase:$line in
		boot:SP-BEGIN)
			sp_log "VM booted in $((SECONDS - t))s; running: $*"
			phase=cmd t=$SECONDS ;;
		boot:*) ;;
		cmd:SP-CMD-DONE*)
			sp_log "command finished in $((SECONDS - t))s (${line#SP-CMD-DONE }); unloading sp, scanning for leaks"
			phase=end t=$SECONDS ;;
		*:SP-END*)
			sp_log "unload and kmemleak scan took $((SECONDS - t))s"
			phase=off ;;
		cmd:*|end:*) printf '%s\n' "$line" ;;
		esac
	done
}
wait $qpid
qrc=$?
set -e
sp_log "VM done in $((SECONDS - t0))s"
# One log: the kernel's console, then what the guest printed.
{ echo "==== the guest's output (qemu/guest-init.sh and the command)"; cat "$out/output"; } >> "$log"

# The runner's own checks, as TAP lines that qemu/check.sh counts.
fail=0
check() { # check NAME OK? [why]
	if [ "$2" = 1 ]; then
		echo "ok vm_$1"
	else
		echo "not ok vm_$1${3:+ # $3}"
		fail=1
	fi
}
rc=$(cat "$out/rc" 2>/dev/null || echo missing)
[ $qrc = 124 ] && why="VM timed out after ${timeout}s" || why=
check finished "$([ -z "$why" ] && [ "$rc" != missing ] && echo 1)" "${why:-no exit status}"
check command "$([ "$rc" = 0 ] && echo 1)" "exit status $rc"
check rmmod_after_close "$([ "$(cat "$out/rmmod" 2>/dev/null)" = 0 ] && echo 1)"
splat='BUG:|WARNING:|KASAN:|Call Trace:|RIP:|Oops|Kernel panic|blocked for more than'
splat+='|circular locking|recursive locking|inconsistent lock state|suspicious RCU'
splat+='|UBSAN:|general protection fault'
# A memory cgroup's OOM killer at work (selftests/sp_policy: memcg_limit)
# prints a stack trace too; such a report, from "invoked oom-killer" to its
# "Out of memory" line, with the memory cgroup's context ("Memory cgroup
# ...") in between, is a limit doing its job, not a splat. Any other OOM
# report is kept.
unoom() {
	tr -d '\r' < "$1" | awk '
		/invoked oom-killer/ { held = $0 "\n"; inoom = 1; next }
		inoom { held = held $0 "\n" }
		inoom && /Out of memory|out of memory/ {
			if (held !~ /Memory cgroup/) printf "%s", held
			inoom = 0; held = ""; next
		}
		!inoom { print }
		END { if (inoom) printf "%s", held }'
}
if unoom "$log" | grep -aEq "$splat"; then
	check no_splat 0 "see $log"
	unoom "$log" | grep -aE -m 20 -A 15 "$splat" >&2 || true
else
	check no_splat 1
fi
if grep -aq "^SP-KMEMLEAK-ABSENT" "$log" && [ "${SP_FLAVOUR:-debug}" != debug ]; then
	# The perf kernel has no kmemleak; every debug run must scan.
	echo "ok vm_kmemleak_clean # SKIP no kmemleak in the ${SP_FLAVOUR} kernel"
elif ! grep -aq "^SP-KMEMLEAK-SCANNED" "$log"; then
	check kmemleak_clean 0 "the scan did not run"
elif grep -aq "unreferenced object" "$log"; then
	check kmemleak_clean 0 "see $log"
	grep -a -A 20 "unreferenced object" "$log" | tr -d '\r' >&2 || true
else
	check kmemleak_clean 1
fi
exit $fail
