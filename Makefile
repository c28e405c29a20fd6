# vpnlab — build, test, benchmark. `make deps` installs what the build and the
# scenarios need (Debian 12 packages); everything else is plain make.

VERSION  := 0.1.0
CC       ?= cc
BUILD    ?= build
PKGS     := lua5.4 libnl-3.0 libnl-route-3.0 libnl-genl-3.0 libnftables libpcap liblzma libnetfilter_conntrack libcrypto libnl-xfrm-3.0 jansson

DEB_PKGS := build-essential pkg-config clang libclang-rt-14-dev liblua5.4-dev libnl-3-dev \
            libnl-route-3-dev libnl-genl-3-dev libnl-xfrm-3-dev libjansson-dev libnftables-dev libpcap-dev liblzma-dev libnetfilter-conntrack-dev libssl-dev \
            strongswan-charon strongswan-swanctl libcharon-extra-plugins \
            libstrongswan-extra-plugins libstrongswan-standard-plugins \
            iproute2 iputils-ping nftables perl procps tcpdump tshark strace cpio busybox-static python3 python3-yaml \
            qemu-system-x86 kmod xl2tpd ppp libxml2-utils groff-base man-db chromium \
            libcharon-extauth-plugins libnss3-tools libunbound8 libldns3 libevent-core-2.1-7 \
            libevent-pthreads-2.1-7 libcap-ng0 libcurl3-nss libldap-2.5-0 libnspr4 libnss3

# Asked of pkg-config when first used, not when the Makefile is read: in
# `make deps run` on a fresh machine the packages are installed only by then.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $$(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $$(PKGS) 2>/dev/null))$(PKG_LIBS)
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

SRCDIR   := $(abspath .)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iharness \
             -DVPNLAB_VERSION='"$(VERSION)"' -DVPNLAB_SRCDIR='"$(SRCDIR)"'
LDLIBS    = $(PKG_LIBS) -pthread

SRCS      := $(sort $(wildcard harness/*/*.c))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/harness/cli/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check unit bench asan asan-build deps clean run vm pkgcheck

all: $(BUILD)/vpnlab vpnlab

$(BUILD)/vpnlab: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Before the first compile: the libraries must be there (make deps installs them).
$(OBJS): | pkgcheck
pkgcheck:
	@pkg-config --exists $(PKGS) || { echo "missing development packages ($(PKGS)): run 'make deps' first" >&2; exit 1; }

# A link at the top so `./vpnlab run ...` works from the source tree.
vpnlab: $(BUILD)/vpnlab
	ln -sf $(BUILD)/vpnlab vpnlab

$(BUILD)/%.o: %.c $(wildcard harness/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS)

unit: $(UNIT_BINS)

# The test suite: unit tests, harness self-tests, every bundled scenario (those
# needing kernel features this host lacks run in the VM), and the sanitizer
# build's unit tests and one real scenario. Ends with prove's summary.
check:
	$(MAKE) -j$(JOBS) all unit asan-build
	./vpnlab vm prepare
	prove -f tests/ tests/asan/

# The vm backend's kernel and initramfs (downloaded once, instant when current).
vm: all
	./vpnlab vm prepare

# ASan+UBSan build in its own folder (clang).
asan-build:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  build-asan/vpnlab unit

# The sanitizer build alone: its unit tests, a host scenario and a vm one.
asan: asan-build vm
	prove -f tests/asan/

bench: all
	./tests/bench/run

# The default suite: the IPsec/L2TP port facts (scenarios/ports/), --backend
# auto. Every bundled scenario: ./vpnlab run scenarios/
run:
	$(MAKE) -j$(JOBS) all
	./vpnlab vm prepare
	./vpnlab run scenarios/ports/

# DEPS_INSTALL: tests/05-fresh-make.t replaces it to play a fresh machine.
DEPS_INSTALL ?= apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends $(DEB_PKGS)
deps:
	$(DEPS_INSTALL)

clean:
	rm -rf build build-asan vpnlab

# ---- Fuzzing (issue 7) -------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_*.c) over the dissector, the VICI decoder,
# the topology parsing and the capture-file reader, built with clang in
# build-fuzz/: the modules with
# -fsanitize=fuzzer-no-link,address,undefined, each target linked with the
# objects it drives and -fsanitize=fuzzer,address,undefined. `make fuzz` runs
# every target for FUZZ_SECONDS on a copy of tests/fuzz/corpus/ (tests/fuzz/run)
# and fails on any crash, leak, timeout or sanitizer report; the inputs that
# caused them land in build-fuzz/artifacts/. libFuzzer and the sanitizer
# runtimes are in libclang-rt-14-dev (in DEB_PKGS), which clang only recommends.
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_dissect fuzz_vici fuzz_topo fuzz_pcapfile
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all -Iharness

.PHONY: fuzz fuzz-build fuzz-clean

fuzz: fuzz-build
	tests/fuzz/run -t $(FUZZ_SECONDS) -B $(FUZZ_BUILD) -o $(FUZZ_BUILD) $(FUZZ_TARGETS)

# The targets, and fuzz_dissect with a planted bug (tests/60-fuzz.t shows a crash is caught).
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%) $(FUZZ_BUILD)/fuzz_dissect_selftest

$(FUZZ_BUILD)/harness/%.o: harness/%.c $(wildcard harness/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_dissect: $(FUZZ_BUILD)/harness/wire/dissect.o
$(FUZZ_BUILD)/fuzz_vici: $(FUZZ_BUILD)/harness/daemon/vici.o
$(FUZZ_BUILD)/fuzz_topo: $(FUZZ_BUILD)/harness/lab/topo.o
$(FUZZ_BUILD)/fuzz_pcapfile: $(FUZZ_BUILD)/harness/wire/pcapfile.o $(FUZZ_BUILD)/harness/wire/dissect.o \
                             $(FUZZ_BUILD)/harness/util/errf.o

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard harness/*/*.h)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) -lm

$(FUZZ_BUILD)/fuzz_dissect_selftest: tests/fuzz/fuzz_dissect.c $(FUZZ_BUILD)/harness/wire/dissect.o
	clang $(FUZZ_CFLAGS) -DFUZZ_SELFTEST -fsanitize=fuzzer -o $@ $^

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean: fuzz-clean

# ---- Installing (issue 10) ---------------------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binary in $(PREFIX)/bin,
# its Lua library and topologies in $(PREFIX)/share/vpnlab (the binary looks
# in <its folder>/../share/vpnlab before the source folder it was built in:
# harness/util/datadir.c), the man page in $(PREFIX)/share/man/man1.
# DESTDIR stages it all under another root (packaging); `make uninstall`
# with the same PREFIX and DESTDIR removes it.
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
DATADIR  = $(PREFIX)/share/vpnlab
MAN1DIR  = $(PREFIX)/share/man/man1

.PHONY: install uninstall

install: $(BUILD)/vpnlab
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MAN1DIR)
	install -m 0755 $(BUILD)/vpnlab $(DESTDIR)$(BINDIR)/vpnlab
	rm -rf $(DESTDIR)$(DATADIR)/lua $(DESTDIR)$(DATADIR)/topologies $(DESTDIR)$(DATADIR)/report
	cp -R lua topologies $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(DATADIR)/report
	install -m 0644 harness/report/page.html harness/report/page.css harness/report/page.js \
	  $(DESTDIR)$(DATADIR)/report/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	install -m 0644 vpnlab.1 $(DESTDIR)$(MAN1DIR)/vpnlab.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vpnlab $(DESTDIR)$(MAN1DIR)/vpnlab.1
	rm -rf $(DESTDIR)$(DATADIR)
