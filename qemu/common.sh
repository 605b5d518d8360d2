# SPDX-License-Identifier: GPL-2.0
# Shared settings for the qemu/ scripts. Source it; do not run it.

# Everything we build or download lives here, outside the repository.
SP_CACHE=${SP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sp}

# The pinned kernel. Override both to move to another Debian build.
SP_KVER_PKG=${SP_KVER_PKG:-linux-source-7.3}
SP_KVER_DEB=${SP_KVER_DEB:-7.3.4-1~bpo13+1}

SP_LLVM=${SP_LLVM:--19}

sp_log() { printf '[sp] %s\n' "$*" >&2; }
sp_die() { printf '[sp] error: %s\n' "$*" >&2; exit 1; }
