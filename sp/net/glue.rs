// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C helpers in `sp/sp_glue.c` (see `sp/sp_glue.h`).

use kernel::bindings;
use kernel::ffi::{c_int, c_void};

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
    pub(crate) fn sp_glue_sock_abort(sock: *mut bindings::socket);
    pub(crate) fn sp_glue_sock_release(sock: *mut bindings::socket);
    pub(crate) fn sp_glue_sk_priv(sk: *mut bindings::sock) -> *mut c_void;
    pub(crate) fn sp_glue_sk_set_priv(sk: *mut bindings::sock, data: *mut c_void);
    pub(crate) fn sp_glue_poll_wait(
        file: *mut bindings::file,
        sock: *mut bindings::socket,
        wait: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t;
    pub(crate) fn sp_glue_copy_from_sockptr(
        dst: *mut c_void,
        src: bindings::sockptr_t,
        size: usize,
    ) -> c_int;
    pub(crate) fn sp_glue_sockopt_len(opt: *const bindings::sockopt_t) -> c_int;
    pub(crate) fn sp_glue_sockopt_put(
        opt: *mut bindings::sockopt_t,
        src: *const c_void,
        len: c_int,
    ) -> c_int;
}
