// SPDX-License-Identifier: GPL-2.0

//! The sp socket: what every `socket(PF_SP, ...)` holds, and the family's
//! callbacks. Safe Rust only; the socket layer is reached through
//! [`crate::net`].

use crate::net::family::{Data, Family};
use crate::net::socket::{PollMask, Socket};
use crate::proto::options::{self, Options};
use crate::proto::pattern::Pattern;
use crate::proto::uapi;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The state of one sp socket.
#[pin_data]
pub struct SpSock {
    pattern: Pattern,
    #[pin]
    opts: Mutex<Options>,
}

/// Maps an option error of the core to its errno.
fn opt_errno(e: options::Error) -> Error {
    match e {
        options::Error::NoProtoOpt => ENOPROTOOPT,
        options::Error::Invalid => EINVAL,
        options::Error::NotSupported => EOPNOTSUPP,
    }
}

/// The `PF_SP` family.
pub struct SpFamily;

#[vtable]
impl Family for SpFamily {
    type OwnerModule = crate::SpModule;
    type Ptr = Pin<KBox<SpSock>>;
    const FAMILY: i32 = uapi::AF_SP;

    fn create(sock: &Socket, protocol: i32, _kern: bool) -> Result<Self::Ptr> {
        // The same errnos as inet_create(): an unknown type first, then a
        // protocol the type does not speak.
        let pattern = Pattern::from_sock_type(sock.sock_type())
            .filter(|p| p.is_supported())
            .ok_or(ESOCKTNOSUPPORT)?;
        if protocol != 0 && protocol != uapi::IPPROTO_TCP {
            return Err(EPROTONOSUPPORT);
        }
        KBox::pin_init(
            try_pin_init!(SpSock {
                pattern,
                opts <- kernel::new_mutex!(Options::new()),
            }),
            GFP_KERNEL,
        )
    }

    fn setsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        val: &[u8],
    ) -> Result {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        data.opts
            .lock()
            .set(data.pattern, name, val)
            .map_err(opt_errno)
    }

    fn getsockopt(
        data: Data<'_, Self>,
        _sock: &Socket,
        level: i32,
        name: i32,
        out: &mut [u8],
    ) -> Result<usize> {
        if level != uapi::SOL_SP {
            return Err(ENOPROTOOPT);
        }
        data.opts
            .lock()
            .get(data.pattern, name, out)
            .map_err(opt_errno)
    }

    fn poll(_data: Data<'_, Self>, _sock: &Socket) -> PollMask {
        // No transport yet: nothing can be received or sent.
        PollMask::NONE
    }
}
