// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C helpers in `sp/sp_glue.c` (it has no header),
//! and of the exported `net/sock.h` and `net/tcp.h` functions that the
//! 7.3 bindings lack.

use kernel::bindings;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};

// The bindings' `struct module` embeds a zero-sized `its_array`, which
// rustc flags in any `extern` block that mentions a `struct socket`; the
// kernel crate's own bindings allow the lint for the same reason.
#[expect(improper_ctypes)]
extern "C" {
    pub(crate) fn sp_glue_proto_register() -> c_int;
    pub(crate) fn sp_glue_proto_unregister();
    pub(crate) fn sp_glue_sock_create(
        net: *mut bindings::net,
        sock: *mut bindings::socket,
        kern: c_int,
        ops: *const bindings::proto_ops,
        destruct: Option<unsafe extern "C" fn(sk: *mut bindings::sock)>,
    ) -> c_int;
    pub(crate) fn sp_glue_sock_release(sock: *mut bindings::socket);
    pub(crate) fn sp_glue_sk_priv(sk: *mut bindings::sock) -> *mut c_void;
    pub(crate) fn sp_glue_sk_set_priv(sk: *mut bindings::sock, data: *mut c_void);
    pub(crate) fn sp_glue_wake(sk: *mut bindings::sock, mask: bindings::__poll_t);
    pub(crate) fn sp_glue_sk_sleep(sk: *mut bindings::sock) -> *mut bindings::wait_queue_head;
    pub(crate) fn sp_glue_sock_rcvtimeo(sk: *mut bindings::sock, nonblock: bool) -> c_long;
    pub(crate) fn sp_glue_sock_sndtimeo(sk: *mut bindings::sock, nonblock: bool) -> c_long;
    pub(crate) fn sp_glue_sock_hold(sk: *mut bindings::sock);
    pub(crate) fn sp_glue_sock_put(sk: *mut bindings::sock);
    pub(crate) fn sp_glue_sock_net(sk: *mut bindings::sock) -> *mut bindings::net;
    pub(crate) fn sp_glue_sk_list_add(sk: *mut bindings::sock);
    pub(crate) fn sp_glue_sk_list_del(sk: *mut bindings::sock);
    pub(crate) fn sp_glue_sk_list_walk(
        net: *mut bindings::net,
        skip: c_long,
        f: unsafe extern "C" fn(sk: *mut bindings::sock, arg: *mut c_void) -> c_int,
        arg: *mut c_void,
    ) -> c_long;
    pub(crate) fn sp_glue_sk_ino(sk: *mut bindings::sock) -> c_ulong;
    pub(crate) fn sp_glue_net_bindv6only(net: *mut bindings::net) -> c_int;
    pub(crate) fn sp_glue_diag_register(
        attrs: unsafe extern "C" fn(
            sk: *mut bindings::sock,
            skb: *mut bindings::sk_buff,
            show: u32,
        ) -> c_int,
    ) -> c_int;
    pub(crate) fn sp_glue_diag_unregister();
    pub(crate) fn sp_glue_nla_nest_start(
        skb: *mut bindings::sk_buff,
        kind: c_int,
    ) -> *mut bindings::nlattr;
    pub(crate) fn sp_glue_nla_nest_end(skb: *mut bindings::sk_buff, start: *mut bindings::nlattr);
    pub(crate) fn sp_glue_nla_nest_cancel(
        skb: *mut bindings::sk_buff,
        start: *mut bindings::nlattr,
    );
    pub(crate) fn sp_glue_proc_register(
        show: unsafe extern "C" fn(seq: *mut bindings::seq_file, v: *mut c_void) -> c_int,
    ) -> c_int;
    pub(crate) fn sp_glue_proc_unregister();
    pub(crate) fn sp_glue_seq_net(seq: *mut bindings::seq_file) -> *mut bindings::net;
    pub(crate) fn sp_glue_sk_rcvbuf(sk: *mut bindings::sock) -> c_int;
    pub(crate) fn sp_glue_sk_sndbuf(sk: *mut bindings::sock) -> c_int;
    pub(crate) fn sp_glue_sk_lingertime(sk: *mut bindings::sock) -> c_long;
    pub(crate) fn sp_glue_sk_state(sk: *mut bindings::sock) -> c_int;
    pub(crate) fn sp_glue_sock_error(sk: *mut bindings::sock) -> c_int;
    pub(crate) fn sp_glue_get_current_cred() -> *const bindings::cred;
    pub(crate) fn sp_glue_override_creds(cred: *const bindings::cred) -> *const bindings::cred;
    pub(crate) fn sp_glue_revert_creds(cred: *const bindings::cred) -> *const bindings::cred;
    pub(crate) fn sp_glue_mem_cgroup_from_sk(sk: *mut bindings::sock) -> *mut bindings::mem_cgroup;
    pub(crate) fn sp_glue_set_active_memcg(
        m: *mut bindings::mem_cgroup,
    ) -> *mut bindings::mem_cgroup;
    pub(crate) fn sp_glue_sock_setsockopt(
        sock: *mut bindings::socket,
        level: c_int,
        op: c_int,
        optval: *const bindings::sockptr_t,
        optlen: c_uint,
    ) -> c_int;
    pub(crate) fn sp_glue_sk_tx_idle(sk: *mut bindings::sock) -> bool;
    pub(crate) fn sp_glue_sk_peer_get(
        sk: *mut bindings::sock,
        pid: *mut *mut bindings::pid,
        cred: *mut *const bindings::cred,
    );
    pub(crate) fn sp_glue_sk_peer_set(
        sk: *mut bindings::sock,
        pid: *mut bindings::pid,
        cred: *const bindings::cred,
    );
    pub(crate) fn sp_glue_peer_put(pid: *mut bindings::pid, cred: *const bindings::cred);
    pub(crate) fn sp_glue_ucred(
        pid: *mut bindings::pid,
        cred: *const bindings::cred,
        uc: *mut bindings::ucred,
    );
    pub(crate) fn sp_glue_sk_rcv_shutdown(sk: *mut bindings::sock) -> bool;
    pub(crate) fn sp_glue_fs_snapshot() -> *mut bindings::fs_struct;
    pub(crate) fn sp_glue_fs_free(fs: *mut bindings::fs_struct);
    pub(crate) fn sp_glue_fs_override(fs: *mut bindings::fs_struct) -> *mut bindings::fs_struct;
    pub(crate) fn sp_glue_fs_revert(fs: *mut bindings::fs_struct, old: *mut bindings::fs_struct);
    pub(crate) fn sp_glue_stream_inherit(owner: *mut bindings::sock, sk: *mut bindings::sock);
    pub(crate) fn sp_glue_stream_accept(
        sock: *mut bindings::socket,
        res: *mut *mut bindings::socket,
    ) -> c_int;
    pub(crate) fn sp_glue_stream_set_callbacks(
        sock: *mut bindings::socket,
        event: Option<unsafe extern "C" fn(ctx: *mut c_void, ev: c_uint)>,
        ctx: *mut c_void,
    ) -> c_int;
    pub(crate) fn sp_glue_stream_clear_callbacks(sock: *mut bindings::socket) -> *mut c_void;
}

// Exported by `net/core/sock.c` and `net/ipv4/tcp.c`; declared here
// because the bindings lack `net/sock.h` and `net/tcp.h`.
extern "C" {
    /// `lock_sock()` is `lock_sock_nested(sk, 0)`.
    pub(crate) fn lock_sock_nested(sk: *mut bindings::sock, subclass: c_int);
    pub(crate) fn release_sock(sk: *mut bindings::sock);
    pub(crate) fn tcp_read_sock(
        sk: *mut bindings::sock,
        desc: *mut bindings::read_descriptor_t,
        actor: bindings::sk_read_actor_t,
    ) -> c_int;
    pub(crate) fn tcp_sock_set_nodelay(sk: *mut bindings::sock);
    pub(crate) fn sock_set_reuseaddr(sk: *mut bindings::sock);
    pub(crate) fn sock_bind_add(
        sk: *mut bindings::sock,
        addr: *mut bindings::sockaddr_unsized,
        addr_len: c_int,
    ) -> c_int;
    pub(crate) fn sock_diag_put_meminfo(
        sk: *mut bindings::sock,
        skb: *mut bindings::sk_buff,
        attr: c_int,
    ) -> c_int;
}

// Exported by `net/core/sock.c`: the `proto_ops` of what a family does not
// do, as KCM and the other families point theirs. (`improper_ctypes`: as
// above.)
#[expect(improper_ctypes)]
extern "C" {
    pub(crate) fn sock_no_bind(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr_unsized,
        len: c_int,
    ) -> c_int;
    pub(crate) fn sock_no_connect(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr_unsized,
        len: c_int,
        flags: c_int,
    ) -> c_int;
    pub(crate) fn sock_no_socketpair(a: *mut bindings::socket, b: *mut bindings::socket) -> c_int;
    pub(crate) fn sock_no_accept(
        sock: *mut bindings::socket,
        new: *mut bindings::socket,
        arg: *mut bindings::proto_accept_arg,
    ) -> c_int;
    pub(crate) fn sock_no_getname(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr,
        peer: c_int,
    ) -> c_int;
    pub(crate) fn sock_no_listen(sock: *mut bindings::socket, backlog: c_int) -> c_int;
    pub(crate) fn sock_no_shutdown(sock: *mut bindings::socket, how: c_int) -> c_int;
    pub(crate) fn sock_no_sendmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
    ) -> c_int;
    pub(crate) fn sock_no_recvmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
        flags: c_int,
    ) -> c_int;
    pub(crate) fn sock_no_mmap(
        file: *mut bindings::file,
        sock: *mut bindings::socket,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int;
}
