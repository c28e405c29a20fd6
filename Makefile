# vpnlab — build, test, benchmark. `make deps` installs what the build and the
# scenarios need (Debian 12 packages); everything else is plain make.

VERSION  := 0.1.0
CC       ?= cc
BUILD    ?= build
PKGS     := lua5.4 libnl-3.0 libnl-route-3.0 libnl-genl-3.0 libnftables libpcap liblzma libnetfilter_conntrack

DEB_PKGS := build-essential pkg-config clang liblua5.4-dev libnl-3-dev \
            libnl-route-3-dev libnl-genl-3-dev libnftables-dev libpcap-dev liblzma-dev libnetfilter-conntrack-dev \
            strongswan-charon strongswan-swanctl libcharon-extra-plugins \
            libstrongswan-extra-plugins libstrongswan-standard-plugins \
            iproute2 iputils-ping nftables perl procps tcpdump cpio busybox-static python3 python3-yaml \
            qemu-system-x86 kmod

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

SRCDIR   := $(abspath .)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iharness \
             -DVPNLAB_VERSION='"$(VERSION)"' -DVPNLAB_SRCDIR='"$(SRCDIR)"'
LDLIBS   := $(PKG_LIBS) -pthread

SRCS      := $(sort $(wildcard harness/*/*.c))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/harness/cli/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check unit bench asan asan-build deps clean run vm

all: $(BUILD)/vpnlab vpnlab

$(BUILD)/vpnlab: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

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
check: all unit asan-build vm
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

run: all vm
	./vpnlab run scenarios/

deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PKGS)

clean:
	rm -rf build build-asan vpnlab
