# SPDX-License-Identifier: GPL-2.0
#
# sp: the Scalability Protocols as a Linux socket family.
#
#   make            build sp/sp.ko against KDIR (default: the cached debug tree)
#   make check      everything, from a fresh machine: deps, kernel, module,
#                   host tests, fuzz smoke, selftests in a VM
#   make demo       boot a VM and run the demo programs
#   make vm-test T="sp_pair sp_pubsub:everything"
#                   only these selftest programs (PROG:TEST: one test) in the VM
#   make stress     long hostile-peer, module-cycle and netns runs in a VM
#   make bench      sp against raw TCP and NNG on the perf kernel (a table)
#   make kernel     fetch and build the pinned kernel (FLAVOUR=debug|perf)
#   make headers_install INSTALL_HDR_PATH=/usr
#   make install    the headers, sp(7) and spss under DESTDIR/PREFIX (/usr/local)
#
# KDIR=/path builds against any Rust-enabled 7.3 tree instead.

SP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/sp
FLAVOUR ?= debug
LLVM ?= -19
KDIR ?= $(shell bash $(CURDIR)/qemu/kernel.sh dir $(FLAVOUR))
KSRC ?= $(realpath $(KDIR)/source)
INSTALL_HDR_PATH ?= /usr
FUZZ_SECONDS ?= 5
# make check runs every selftest with short counts; make stress with these.
STRESS_FRAMES ?= 1000000
STRESS_CYCLES ?= 100
STRESS_CONNS ?= 10000
STRESS_SOCKETS ?= 1000
STRESS_FUZZ_SECONDS ?= 120
STRESS_NNG_ROUNDTRIPS ?= 10000
STRESS_NNG_SUBS ?= 32
STRESS_NNG_MSGS ?= 3000
STRESS_PAIR_MSGS ?= 2000
STRESS_REQREP_MSGS ?= 500
STRESS_PUBSUB_ROUNDS ?= 5
STRESS_ACCEPT_ROUNDS ?= 200
STRESS_FAULT_SECONDS ?= 300

export SP_CACHE LLVM
export PATH := $(SP_CACHE)/tools/bin:$(PATH)

.PHONY: all modules module clean kernel deps selftests host-test fuzz-smoke \
	check stress demo bench vm-test headers_install install tools rust-analyzer

all: modules

modules module:
	@test -f $(KDIR)/Makefile || { echo "No kernel build at $(KDIR): run 'make kernel' (or set KDIR)."; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) modules

rust-analyzer:
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) rust-analyzer

deps:
	bash qemu/deps.sh

kernel: deps
	bash qemu/kernel.sh build $(FLAVOUR)

selftests: tools
	$(MAKE) -C selftests KSRC=$(KSRC) LLVM=

host-test:
	cd sp/proto && cargo test

fuzz-smoke:
	bash qemu/fuzz.sh $(FUZZ_SECONDS)

# Reformats every Rust file with the kernel's .rustfmt.toml (make check
# checks it).
fmt:
	bash qemu/fmt.sh

# One or more selftest programs alone, in the debug VM, with the same
# counting and checks as make check: T="sp_pair sp_pubsub:everything".
vm-test:
	bash qemu/check.sh $(or $(T),$(error set T, e.g. T=sp_pair or T=sp_pair:two_listeners))

check:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash qemu/check.sh

# Every selftest program with its long counts, in one VM.
stress: modules selftests
	bash qemu/run.sh -t 7200 -- 'SP_TEST_TIMEOUT=7000 SP_TEST_JOBS=1 \
		SP_HOSTILE_FRAMES=$(STRESS_FRAMES) SP_CYCLES=$(STRESS_CYCLES) \
		SP_FUZZ_SECONDS=$(STRESS_FUZZ_SECONDS) SP_SCALE_CONNS=$(STRESS_CONNS) \
		SP_SCALE_SOCKETS=$(STRESS_SOCKETS) SP_NNG_ROUNDTRIPS=$(STRESS_NNG_ROUNDTRIPS) \
		SP_NNG_SUBS=$(STRESS_NNG_SUBS) SP_NNG_MSGS=$(STRESS_NNG_MSGS) \
		SP_PAIR_MSGS=$(STRESS_PAIR_MSGS) SP_REQREP_MSGS=$(STRESS_REQREP_MSGS) \
		SP_PUBSUB_ROUNDS=$(STRESS_PUBSUB_ROUNDS) SP_ACCEPT_ROUNDS=$(STRESS_ACCEPT_ROUNDS) \
		SP_FAULT_SECONDS=$(STRESS_FAULT_SECONDS) selftests/run_tests.sh'

# A benchmark, not a test: one VM run on the perf kernel, a table of results.
bench: deps
	bash qemu/bench.sh

demo:
	bash qemu/demo.sh

headers_install:
	install -D -m 644 uapi/linux/sp.h $(INSTALL_HDR_PATH)/include/linux/sp.h
	install -D -m 644 uapi/netinet/sp.h $(INSTALL_HDR_PATH)/include/netinet/sp.h
	install -D -m 644 uapi/linux/sp_diag.h $(INSTALL_HDR_PATH)/include/linux/sp_diag.h

# The headers and sp(7): make install [DESTDIR=...] [PREFIX=/usr/local]
PREFIX ?= /usr/local
install: INSTALL_HDR_PATH = $(DESTDIR)$(PREFIX)
install: headers_install tools
	install -D -m 644 man/sp.7 $(DESTDIR)$(PREFIX)/share/man/man7/sp.7
	install -D -m 755 tools/spss $(DESTDIR)$(PREFIX)/bin/spss

# spss, the ss-like lister (sock_diag only).
tools: tools/spss
tools/spss: tools/spss.c tools/spdiag.h uapi/linux/sp.h uapi/linux/sp_diag.h
	$(CC) -O2 -g -Wall -Wextra -Iuapi -o $@ tools/spss.c

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C selftests KSRC=$(KSRC) clean
	-$(MAKE) -C demo clean
