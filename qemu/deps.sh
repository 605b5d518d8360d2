#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing sp needs on a Debian bookworm host.
# Idempotent: every step checks first and does nothing when it is done.
#
#   qemu/deps.sh     compilers, qemu, busybox, NNG and nanocat (interop peers),
#                    groff (the man page's check), bindgen, rust-src
set -euo pipefail
. "$(dirname "$0")/common.sh"
log=$SP_CACHE/logs/deps.log

pkgs=(clang-19 lld-19 llvm-19 libclang-19-dev qemu-system-x86 busybox-static
      bc flex bison libelf-dev libssl-dev cpio kmod make gcc libc6-dev
      python3 xz-utils groff-base)
pkgs+=(libnng-dev nng-utils pkg-config)
# nanomsg's nanocat, the other interop peer over ipc:// (selftests/sp_ipc).
pkgs+=(nanomsg-utils)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	sp_quiet "apt: updating the package lists" "$log" $SUDO apt-get update -q ||
		sp_die "apt-get update failed (step: dependencies, log: $log)"
	sp_quiet "apt: installing ${missing[*]}" "$log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "${missing[@]}" ||
		sp_die "apt-get install failed (step: dependencies, log: $log)"
fi

command -v rustup >/dev/null || sp_die "rustup not found; install Rust (1.85+) with rustup"
for c in rust-src rustfmt clippy; do
	rustup component list --installed 2>/dev/null | grep -q "^$c" && continue
	sp_quiet "rustup: adding $c" "$log" rustup component add "$c" ||
		sp_die "rustup component add $c failed (step: dependencies, log: $log)"
done

BINDGEN=$SP_CACHE/tools/bin/bindgen
if [ ! -x "$BINDGEN" ]; then
	sp_quiet "cargo: installing bindgen-cli into $SP_CACHE/tools (about a minute)" "$log" \
		cargo install --locked bindgen-cli --root "$SP_CACHE/tools" ||
		sp_die "installing bindgen-cli failed (step: dependencies, log: $log)"
fi
