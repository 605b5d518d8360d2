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

# Seconds (default: since the calling script started) as "1m05s".
sp_elapsed() {
	local s=${1:-$SECONDS}
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# Names a phase as it starts, with the time since the script began.
sp_step() { printf '\n==== [%s] %s\n' "$(sp_elapsed)" "$*"; }

# sp_quiet LABEL LOG CMD...: runs CMD with its output appended to LOG, printing a
# line every SP_TICK (15) seconds so that a long silent step is visibly
# alive. If SP_PROGRESS names a function, its output (one short phrase,
# e.g. "1234/5678 objects") goes on that line. On a terminal the line
# updates in place. On failure the last lines of LOG are printed, with its
# path; the exit status is CMD's.
sp_quiet() {
	local label=$1 log=$2 pid rc t0=$SECONDS tick=${SP_TICK:-15} n=0 p
	shift 2
	mkdir -p "$(dirname "$log")"
	sp_log "$label (log: $log)"
	"$@" >> "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		[ $((n % tick)) = 0 ] || [ -t 2 ] || continue
		p=
		[ -n "${SP_PROGRESS:-}" ] && p=$("$SP_PROGRESS" "$log" 2>/dev/null)
		if [ -t 2 ]; then
			printf '\r[sp] %s: %s%s\033[K' "$label" "${p:+$p, }" \
				"$(sp_elapsed $((SECONDS - t0)))" >&2
		else
			printf '[sp] %s: %s%s\n' "$label" "${p:+$p, }" \
				"$(sp_elapsed $((SECONDS - t0)))" >&2
		fi
	done
	wait "$pid"
	rc=$?
	[ -t 2 ] && printf '\r\033[K' >&2
	if [ $rc != 0 ]; then
		sp_log "$label failed (exit $rc); the last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /' >&2
	fi
	return $rc
}
