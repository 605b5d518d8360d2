#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing sp needs on a Debian bookworm host.
# Idempotent: every step checks first and does nothing when it is done.
#
#   qemu/deps.sh     compilers, qemu, busybox, NNG (interop peers),
#                    bindgen, rust-src
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=(clang-19 lld-19 llvm-19 libclang-19-dev qemu-system-x86 busybox-static
      bc flex bison libelf-dev libssl-dev cpio kmod make gcc libc6-dev
      python3 xz-utils)
pkgs+=(libnng-dev nng-utils pkg-config)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sp_log "installing: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || sp_die "rustup not found; install Rust (1.85+) with rustup"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	sp_log "adding rust-src"
	rustup component add rust-src
fi

BINDGEN=$SP_CACHE/tools/bin/bindgen
if [ ! -x "$BINDGEN" ]; then
	sp_log "installing bindgen-cli into $SP_CACHE/tools"
	cargo install --locked --quiet bindgen-cli --root "$SP_CACHE/tools"
fi
