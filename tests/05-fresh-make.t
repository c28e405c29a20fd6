#!/bin/bash
# `make deps run` and `make deps check` must work as ONE invocation on a
# machine without the packages: make reads the Makefile before `deps` has
# installed anything, so nothing may ask pkg-config at parse time.
#
# A fresh machine, played in a private mount namespace: the pkg-config files
# and the Lua headers are hidden under empty tmpfs mounts, and `make deps`
# (DEPS_INSTALL) "installs" them by unmounting. The build in between is a
# real one, into a scratch folder. The host's mounts are never touched.

TEST_NAME=05-fresh-make
. "$(dirname "$0")/lib.sh"

PCDIR=/usr/lib/x86_64-linux-gnu/pkgconfig
LUAINC=/usr/include/lua5.4

if ! command -v unshare >/dev/null || [ ! -d "$PCDIR" ] || [ ! -d "$LUAINC" ]; then
	echo "1..0 # SKIP needs unshare, $PCDIR and $LUAINC (make deps installs them)"
	exit 0
fi

unshare -m --propagation private bash -c '
	mount -t tmpfs none '"$PCDIR"' && mount -t tmpfs none '"$LUAINC"' || exit 90
	pkg-config --exists lua5.4 && exit 91        # really hidden
	make --no-print-directory BUILD='"$tmp"'/build \
		DEPS_INSTALL="umount '"$PCDIR"' '"$LUAINC"'" deps '"$tmp"'/build/vpnlab
' >"$tmp/make.log" 2>&1
rc=$?
is "$rc" 0 "make deps <build> in one invocation builds where the packages arrive only with deps" \
	"$(grep -E 'error|Error' "$tmp/make.log" | head -5)"
[ -x "$tmp/build/vpnlab" ] && "$tmp/build/vpnlab" --version >/dev/null
ok $? "the binary it built runs"

# Without deps, the build stops before compiling, saying what to do.
unshare -m --propagation private bash -c '
	mount -t tmpfs none '"$PCDIR"' || exit 90
	make --no-print-directory BUILD='"$tmp"'/build2 '"$tmp"'/build2/vpnlab
' >"$tmp/nodeps.log" 2>&1
rc=$?
[ "$rc" -ne 0 ]
ok $? "without the packages the build fails (exit $rc)"
like "$(cat "$tmp/nodeps.log")" "run 'make deps' first" "and says to run make deps first"

# .ci/run runs the README's test command exactly as written, as one command.
readme_cmd=$(sed -n 's/^\(make deps check\) .*# .*this is what CI runs.*$/\1/p' README.md)
is "$readme_cmd" "make deps check" "the README's test command is 'make deps check'"
grep -qx 'make deps check' .ci/run
ok $? ".ci/run runs it as one command"

finish
