#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A measurement aid, not part of the product: where the microseconds of one
# benchmark case go, from wall-clock timestamps (ktime) around the stages
# of send() and recv(). Copies the module's sources, patches timers into
# the copy (qemu/stages/stages.rs; the edits below match the code as of
# issue 19 and fail loudly once it moves on), builds it for the perf
# kernel and runs one sp_bench case in the perf VM; the module prints
# each stage's count and mean at unload.
#
#   qemu/stages/run.sh "-t lat -s 64 -d 3"
#
# Under TCG, sampling profilers (SP_PROFILE) are biased; these timestamps
# are not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/qemu/common.sh"
d=$SP_CACHE/stages/src
rm -rf "$d" && mkdir -p "$d" && cp -a "$repo/Kbuild" "$repo/sp" "$repo/uapi" "$d/"
find "$d" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
cp "$here/stages.rs" "$d/sp/stages.rs"
cd "$d"
python3 - <<'EOF'
def edit(p, pairs):
    s=open(p).read()
    for a,b in pairs:
        assert s.count(a)==1, (p,a,s.count(a))
        s=s.replace(a,b)
    open(p,'w').write(s)
edit('sp/sp_main.rs',[('mod timer;','mod timer;\nmod stages;'),
 ('''impl kernel::InPlaceModule for SpModule {''','''#[pinned_drop]
impl pin_init::PinnedDrop for SpModule {
    fn drop(self: Pin<&mut Self>) {
        stages::print();
    }
}

impl kernel::InPlaceModule for SpModule {'''),
 ('''#[pin_data]
pub struct SpModule {''','''#[pin_data(PinnedDrop)]
pub struct SpModule {''')])
edit('sp/sock.rs',[
 ('''        let r = data_arc(&data).send(&sock.sk_ref(), msg, len, timeo, batch);''','''        let _t = crate::stages::start(0);
        let r = data_arc(&data).send(&sock.sk_ref(), msg, len, timeo, batch);'''),
 ('''        let Some(it) = data.recv(&sk, timeo, flags & MSG_PEEK != 0)? else {''','''        let _t = crate::stages::start(5);
        let Some(it) = data.recv(&sk, timeo, flags & MSG_PEEK != 0)? else {'''),
 ('''        msg.copy_from(&m[..n])?;
        if n < m.len() {''','''        let t11 = crate::stages::start(11);
        msg.copy_from(&m[..n])?;
        drop(t11);
        if n < m.len() {'''),
 ('''            let woke = sk.wait(&mut timeo, || {
                let g = self.inner.lock();
                g.core.closing''','''            let _ts = crate::stages::start(16);
            let woke = sk.wait(&mut timeo, || {
                let g = self.inner.lock();
                g.core.closing'''),
 ('''                proto.send(core, &t, &mut m, &o)''','''                let _t2 = crate::stages::start(2);
                proto.send(core, &t, &mut m, &o)'''),
 ('''            let woke = sk.wait(&mut t, || {''','''            let t6 = crate::stages::start(6);
            let woke = sk.wait(&mut t, || {'''),
 ('''            timeo.spend(before, t);''','''            timeo.spend(before, t);
            drop(t6);'''),
 ('''            p.pull();''','''            let _t8 = crate::stages::start(8);
            p.pull();'''),
 ('''                let r = proto.recv(core);''','''                let t12 = crate::stages::start(12);
                let r = proto.recv(core);
                drop(t12);'''),
 ('''    let at = head.len() + pad;''','''    let _t = crate::stages::start(1);
    let at = head.len() + pad;'''),
 ('''        // Read live, so that SP_RCVBUF applies to pipes already up.
        let o = self.opts();''','''        let _t = crate::stages::start(10);
        // Read live, so that SP_RCVBUF applies to pipes already up.
        let o = self.opts();'''),
 ('''                if pull {
                    self.pull_pipes();
                }''','''                if pull {
                    // SAFETY: temporary instrumentation.
                    let ev = crate::stages::LAST_EVENT.swap(0, Ordering::Relaxed);
                    if ev != 0 {
                        let now = unsafe { kernel::bindings::ktime_get() } as u64;
                        if now > ev && now - ev < 10_000_000 {
                            crate::stages::add(7, now - ev);
                        }
                    }
                    self.pull_pipes();
                }'''),
])
edit('sp/pipe.rs',[
 ('''    pub(crate) fn flush(self: &Arc<Self>) {
        self.run_inline(Self::tx);''','''    pub(crate) fn flush(self: &Arc<Self>) {
        let _t = crate::stages::start(3);
        self.run_inline(Self::tx);'''),
 ('''        // What the pipe allocates is charged to the socket's memcg.
        sk.charged(|| {''','''        let _t = crate::stages::start(13);
        // What the pipe allocates is charged to the socket's memcg.
        sk.charged(|| {'''),
 ('''        if ev.is_readable_only() && this.up.load(Ordering::Acquire) {
            if let Some(sk) = &this.sk {''','''        let _t = crate::stages::start(14);
        if ev.is_readable_only() && this.up.load(Ordering::Acquire) {
            // SAFETY: temporary instrumentation.
            crate::stages::LAST_EVENT.store(unsafe { kernel::bindings::ktime_get() } as u64, core::sync::atomic::Ordering::Relaxed);
            if let Some(sk) = &this.sk {'''),
])
s0=open('sp/pipe.rs').read()
k=s0.index('impl Watcher for Pipe')
j=s0.index('sk.wake(PollMask::READABLE);', k)
s0=s0[:j]+'let _w2 = crate::stages::start(15); '+s0[j:]
open('sp/pipe.rs','w').write(s0)
s=open('sp/net/stream.rs').read()
# The carrier's send (any transport), and its read: TCP's read_sock, or
# (IPC, SCTP) a recvmsg into the transport's buffer, one stage.
for name, k in (('    pub(crate) fn send_vec(&self, bufs: &[&[u8]])', 4),
                ('    pub(crate) fn read(&self, actor', 9),
                ('    pub(crate) fn recv(&self, buf: &mut [u8])', 9)):
    i=s.index(name)
    j=s.index('{',i)
    s=s[:j+1]+'\n        let _t = crate::stages::start(%d);' % k+s[j+1:]
open('sp/net/stream.rs','w').write(s)
EOF
kdir=$(bash "$repo/qemu/kernel.sh" build perf | tail -n 1)
make -s -C "$kdir" M="$d" LLVM="$SP_LLVM" modules
log=$SP_CACHE/stages/console.log
SP_FLAVOUR=perf bash "$repo/qemu/run.sh" -k "$kdir/arch/x86/boot/bzImage" -m "$d/sp/sp.ko" -l "$log" -- \
	"selftests/bench/sp_bench -b sp ${1:--t lat -s 64 -d 3}; selftests/bench/sp_bench -b tcp ${1:--t lat -s 64 -d 3}" | grep '^bench'
# ("-t lat -s 64 -d 3 -x ipc" times the IPC round trip; tcp_send and
# tcp_read are then the Unix socket's sendmsg and recvmsg.)
grep -a STAGE "$log" | sed 's/.*STAGE/STAGE/'
