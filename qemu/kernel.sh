#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the pinned Linux source from Debian and build a bzImage out of tree.
#
#   qemu/kernel.sh build [debug|perf]   build (or reuse) and print the build dir
#   qemu/kernel.sh dir [debug|perf]     only print where that build lives
#
# The source comes from Debian's linux-source package through a private apt
# configuration under $SP_CACHE/apt; the host's apt setup is never touched.
# The build dir is $SP_CACHE/build/<kernel version>-<flavour>-<config hash>,
# so a changed fragment gets a fresh build and an unchanged one is reused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

mode=${1:-build}
flavour=${2:-debug}
case $flavour in
debug) frags=("$here/config.base" "$here/config.debug") ;;
perf)  frags=("$here/config.base" "$here/config.perf") ;;
*) sp_die "unknown kernel flavour '$flavour' (debug or perf)" ;;
esac

PATH=$SP_CACHE/tools/bin:$PATH
src=$SP_CACHE/src/$SP_KVER_PKG-$SP_KVER_DEB

fetch_source() {
	local apt=$SP_CACHE/apt deb list
	[ -f "$src/Makefile" ] && return 0
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
	cat > "$apt/trixie.sources" <<-SRC
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: trixie trixie-updates trixie-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: http://deb.debian.org/debian-security
	Suites: trixie-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	local A=(-o "Dir::Etc::SourceList=$apt/trixie.sources"
		 -o Dir::Etc::SourceParts=/dev/null
		 -o "Dir::State::Lists=$apt/lists"
		 -o "Dir::Cache=$apt/cache"
		 -o "Dir::State::Status=/var/lib/dpkg/status"
		 -o APT::Sandbox::User=root)
	sp_log "fetching $SP_KVER_PKG=$SP_KVER_DEB through a private apt config"
	apt-get "${A[@]}" -qq update
	if ! (cd "$apt/deb" && apt-get "${A[@]}" -qq download \
			"$SP_KVER_PKG=$SP_KVER_DEB" 2>/dev/null); then
		list=$(apt-cache "${A[@]}" madison "$SP_KVER_PKG" 2>/dev/null |
			awk '{print $3}' | tr '\n' ' ')
		sp_die "$SP_KVER_PKG=$SP_KVER_DEB is not available from Debian.
  Versions available now: ${list:-none}
  Override with: SP_KVER_DEB=<version> (and SP_KVER_PKG=linux-source-X.Y) make check"
	fi
	deb=$(ls "$apt/deb/${SP_KVER_PKG}_"*.deb | head -n 1)
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	dpkg -x "$deb" "$src.tmp/x"
	sp_log "unpacking kernel source"
	tar -C "$src.tmp" -xaf "$src.tmp"/x/usr/src/"$SP_KVER_PKG".tar.*
	mv "$src.tmp/$SP_KVER_PKG" "$src"
	rm -rf "$src.tmp" "$deb"
}

kver=${SP_KVER_DEB%%-*}
hash=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out=$SP_CACHE/build/$kver-$flavour-$hash
case $mode in
dir) echo "$out"; exit 0 ;;
build) ;;
*) sp_die "usage: $0 build|dir [debug|perf]" ;;
esac
fetch_source
mk=(make -s -C "$src" O="$out" LLVM="$SP_LLVM" ARCH=x86_64)

if [ ! -f "$out/.sp-built" ]; then
	sp_log "building Linux $kver ($flavour, config $hash) in $out"
	mkdir -p "$out"
	"${mk[@]}" rustavailable >/dev/null ||
		sp_die "the Rust toolchain is not usable for this kernel (make rustavailable)"
	"${mk[@]}" tinyconfig >/dev/null
	(cd "$out" && KCONFIG_CONFIG=.config \
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" .config "${frags[@]}" >/dev/null)
	"${mk[@]}" olddefconfig >/dev/null
	# Every line of the fragments must have survived olddefconfig.
	miss=$(cat "${frags[@]}" | grep -E '^(CONFIG_|# CONFIG_)' | while read -r l; do
		case $l in
		"# "*) n=${l#\# }; n=${n%% *}; if grep -q "^$n=" "$out/.config"; then echo "$l"; fi ;;
		*) grep -qx "$l" "$out/.config" || echo "$l" ;;
		esac; done)
	[ -z "$miss" ] || sp_die "config lines dropped by kconfig:
$miss"
	"${mk[@]}" -j"$(nproc)" bzImage modules
	touch "$out/.sp-built"
fi
echo "$out"
