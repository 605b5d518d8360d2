#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rustfmt over every Rust file of the tree (the module, the sans-IO core's
# crate, its tests and fuzz targets, qemu/stages), with the kernel's
# .rustfmt.toml, as the kernel's `make rustfmt` formats its own.
#
#   qemu/fmt.sh [--check] [KSRC]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/common.sh"
check=()
if [ "${1:-}" = --check ]; then
	check=(--check)
	shift
fi
ksrc=${1:-}
if [ -z "$ksrc" ]; then
	ksrc=$(realpath "$(bash "$here/kernel.sh" build debug | tail -n 1)/source")
fi
cd "$repo"
mapfile -t files < <(find sp qemu -name '*.rs' -not -path '*/target/*' | sort)
rustfmt "${check[@]}" --config-path "$ksrc/.rustfmt.toml" --edition 2021 "${files[@]}"
