#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM (see qemu/run.sh). The root file system is the
# host's, read-only; this sets up a minimal writable system, loads sp.ko,
# runs the command, unloads sp.ko, scans for leaks and reboots.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The host's /tmp stays reachable under /mnt/hosttmp: the repository or the
# cache may live there (CI clones into a temporary directory).
mount --bind /tmp /mnt 2>/dev/null && hosttmp=/mnt
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
mount -t debugfs debugfs /sys/kernel/debug
# cgroup v2 with the memory controller for children (selftests/sp_policy).
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null &&
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /tmp/spout
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none spout /tmp/spout
# What this script and the command print goes to the host over 9p, not
# over the emulated serial port, which carries about 2 KB/s under TCG and
# would hold up every test that prints. The kernel's own messages stay on
# the console (qemu/run.sh joins both into one log).
exec </dev/null >>/tmp/spout/output 2>&1 || exec </dev/null >/dev/console 2>&1

. /tmp/spout/env
export SP_REPO SP_MODULE SP_CACHE
for p in "$SP_REPO" "$SP_CACHE"; do
	case $p in
	/tmp/*)
		mkdir -p "$p"
		mount --bind "$hosttmp/${p#/tmp/}" "$p"
		;;
	esac
done
hostname sp-vm
ip link set lo up
ulimit -c 0
ulimit -n 65536 2>/dev/null

leak=/sys/kernel/debug/kmemleak
# Forget what boot left behind, so the final scan reports our objects only.
[ -w $leak ] && { echo scan > $leak; echo clear > $leak; }

echo "SP-BEGIN"
cd "$SP_REPO"
if insmod "$SP_MODULE"; then
	bash -c "$SP_CMD"
	rc=$?
else
	echo "insmod $SP_MODULE failed"
	rc=99
fi
echo $rc > /tmp/spout/rc
echo "SP-CMD-DONE rc=$rc"
# Sockets closed by the command may be freed by RCU a moment later.
for i in 1 2 3 4 5 6 7 8 9 10; do
	rmmod sp 2>/dev/null && break
	sleep 0.5
done
lsmod | grep -qw '^sp' && echo "rmmod sp: module still loaded"
lsmod | grep -qw '^sp'; echo $(( ! $? )) > /tmp/spout/rmmod
if [ -w $leak ]; then
	# kmemleak reports only objects older than 5 s; scan twice, as its
	# documentation advises.
	sleep 6
	echo scan > $leak
	echo scan > $leak
	# Objects allocated from start_kernel() predate every test; kmemleak
	# sometimes reports one of them (a boot-time ramfs context) once init
	# memory is gone. Report everything else.
	awk '/^unreferenced object/ { if (rec != "") emit(); rec = $0 "\n"; next }
	     rec != "" { rec = rec $0 "\n" }
	     function emit() { if (rec ~ /start_kernel\+/) boot++; else printf "%s", rec; rec = "" }
	     END { if (rec != "") emit(); if (boot) print "kmemleak: ignored " boot " boot-time object(s)" }' $leak
	echo "SP-KMEMLEAK-SCANNED"
else
	echo "SP-KMEMLEAK-ABSENT"
fi
echo "SP-END rc=$rc"
sync
echo b > /proc/sysrq-trigger
sleep 10
