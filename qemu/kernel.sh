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
	sp_quiet "apt: the trixie package lists" "$logs/kernel-fetch.log" \
		apt-get "${A[@]}" -q update ||
		sp_die "apt-get update failed (step: fetch kernel source, log: $logs/kernel-fetch.log)"
	if ! (cd "$apt/deb" && sp_quiet "apt: downloading $SP_KVER_PKG=$SP_KVER_DEB (about 170 MB)" \
			"$logs/kernel-fetch.log" apt-get "${A[@]}" -q download \
			"$SP_KVER_PKG=$SP_KVER_DEB"); then
		list=$(apt-cache "${A[@]}" madison "$SP_KVER_PKG" 2>/dev/null |
			awk '{print $3}' | tr '\n' ' ')
		sp_die "$SP_KVER_PKG=$SP_KVER_DEB is not available from Debian.
  Versions available now: ${list:-none}
  Override with: SP_KVER_DEB=<version> (and SP_KVER_PKG=linux-source-X.Y) make check"
	fi
	deb=$(ls "$apt/deb/${SP_KVER_PKG}_"*.deb | head -n 1)
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	sp_quiet "unpacking the kernel source" "$logs/kernel-fetch.log" \
		bash -c 'dpkg -x "$1" "$2/x" && tar -C "$2" -xaf "$2"/x/usr/src/"$3".tar.*' \
		- "$deb" "$src.tmp" "$SP_KVER_PKG" ||
		sp_die "unpacking failed (step: fetch kernel source, log: $logs/kernel-fetch.log)"
	mv "$src.tmp/$SP_KVER_PKG" "$src"
	rm -rf "$src.tmp" "$deb"
}

kver=${SP_KVER_DEB%%-*}
# The kernel patches sp needs (qemu/patches/, applied to the shared source)
# are part of the key, like the config.
patches=("$here"/patches/*.patch)
hash=$(cat "${frags[@]}" "${patches[@]}" | sha256sum | cut -c1-12)
out=$SP_CACHE/build/$kver-$flavour-$hash
case $mode in
dir) echo "$out"; exit 0 ;;
build) ;;
*) sp_die "usage: $0 build|dir [debug|perf]" ;;
esac
logs=$SP_CACHE/logs
log=$logs/kernel-$kver-$flavour-$hash.log
fetch_source
# Applied once to the unpacked source; a build of another key never sees a
# half-patched tree because each patch is applied whole or not at all.
mkdir -p "$logs"
for p in "${patches[@]}"; do
	patch -d "$src" -p1 -R -s -f --dry-run < "$p" >/dev/null 2>&1 && continue
	patch -d "$src" -p1 -s -f -N < "$p" >> "$logs/kernel-fetch.log" 2>&1 ||
		sp_die "kernel patch $(basename "$p") does not apply (step: kernel source; log: $logs/kernel-fetch.log)"
done
mk=(make -C "$src" O="$out" LLVM="$SP_LLVM" ARCH=x86_64)

# What the last build of this flavour took, in kbuild steps (the "  CC  ..."
# lines), so that progress can be shown against a total. The first build on
# a machine uses what one took when this script was written.
steps=$SP_CACHE/build/$flavour.steps
progress() {
	local n total
	n=$(grep -cE '^  [A-Z]' "$1")
	total=$(cat "$steps" 2>/dev/null || echo "~$default_steps")
	echo "$n/$total build steps"
}
case $flavour in
debug) default_steps=1890 ;;
perf) default_steps=1850 ;;
esac
fail() { sp_die "$1 failed (step: kernel $flavour build; log: $log)"; }

if [ ! -f "$out/.sp-built" ]; then
	sp_log "building Linux $kver ($flavour, config $hash) in $out"
	mkdir -p "$out" "$logs"
	: > "$log"
	"${mk[@]}" -s rustavailable >> "$log" 2>&1 ||
		fail "the Rust toolchain check (make rustavailable)"
	"${mk[@]}" -s tinyconfig >> "$log" 2>&1 || fail "make tinyconfig"
	(cd "$out" && KCONFIG_CONFIG=.config \
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" .config "${frags[@]}" \
		>> "$log" 2>&1) || fail "merging the config fragments"
	"${mk[@]}" -s olddefconfig >> "$log" 2>&1 || fail "make olddefconfig"
	# Every line of the fragments must have survived olddefconfig.
	miss=$(cat "${frags[@]}" | grep -E '^(CONFIG_|# CONFIG_)' | while read -r l; do
		case $l in
		"# "*) n=${l#\# }; n=${n%% *}; if grep -q "^$n=" "$out/.config"; then echo "$l"; fi ;;
		*) grep -qx "$l" "$out/.config" || echo "$l" ;;
		esac; done)
	[ -z "$miss" ] || sp_die "config lines dropped by kconfig (step: kernel $flavour config; fragments: ${frags[*]}; log: $log):
$miss"
	: > "$log.build"
	SP_PROGRESS=progress sp_quiet "building Linux $kver ($flavour)" "$log.build" \
		"${mk[@]}" -j"$(nproc)" bzImage modules || fail "the kernel build"
	grep -cE '^  [A-Z]' "$log.build" > "$steps"
	cat "$log.build" >> "$log" && rm -f "$log.build"
	touch "$out/.sp-built"
	sp_log "built Linux $kver ($flavour) in $(sp_elapsed)"
fi
echo "$out"
