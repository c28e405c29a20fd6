#!/bin/bash
# Choosing what runs (issue 10): --list, files in the order given, --only,
# --skip, --tags, --shard, and their failure modes. Host backend only: the
# fixtures in tests/scenarios/select/suite/ need no lab (needs-l2tp.lua only
# declares requirements, for --list; on the host it runs or is skipped).
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=56-select
. "$(dirname "$0")/lib.sh"

S=tests/scenarios/select/suite

# run NAME ARGS...: `vpnlab run ARGS`, leaving $tmp/NAME.{out,err} and $rc.
run() {
	local name=$1
	shift
	"$VPNLAB" run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

# The scenario paths of a TAP stream's top-level points, space-separated.
ran() {   # ran NAME
	sed -nE 's/^(not )?ok [0-9]+ - ([^ ]+\.lua).*/\2/p' "$tmp/$1.out" | tr '\n' ' ' | sed 's/ $//'
}

# The first column (paths) of a --list, space-separated.
listed() {   # listed NAME
	awk '{ print $1 }' "$tmp/$1.out" | tr '\n' ' ' | sed 's/ $//'
}

# ---- --list --------------------------------------------------------------------

run list --list --results "$tmp/list-results" $S
is "$rc" 0 "--list: exit 0"
is "$(listed list)" "$S/fw/allow.lua $S/fw/block.lua $S/nat/cgnat.lua $S/nat/home.lua $S/needs-l2tp.lua $S/plain.lua" \
	"--list: the folder's scenarios sorted by path, topologies/ left out"
! [ -e "$tmp/list-results" ]
ok $? "--list: runs nothing (no results folder)"
! grep -q 'Subtest\|^ok\|^not ok' "$tmp/list.out"
ok $? "--list: no TAP" "$(head -n 3 "$tmp/list.out")"
like "$(grep "/fw/block.lua " "$tmp/list.out")" "^$S/fw/block.lua  tags=firewall,slow  requires=-  backend=host\$" \
	"--list: tags from the literal list only (not from a comment or a string)"
like "$(grep "/nat/cgnat.lua " "$tmp/list.out")" "  tags=nat,slow  " "--list: tags from vpnlab.tags({...}) over two lines"
like "$(grep "/needs-l2tp.lua " "$tmp/list.out")" "  tags=l2tp  requires=l2tp,ppp  backend=(host|vm|skip .*)\$" \
	"--list: declared requirements and a backend"
like "$(grep "/plain.lua " "$tmp/list.out")" "  tags=-  requires=-  backend=host\$" "--list: none declared: '-'"
run list-host --list --backend host $S/needs-l2tp.lua
like "$(cat "$tmp/list-host.out")" "backend=(host|skip \\(needs [a-z0-9, ]+: run with --backend vm or auto\\))\$" \
	"--list --backend host: a lacking kernel means skip, saying how to run it"

# ---- files in the order given ------------------------------------------------

run order --backend host --results "$tmp/res" $S/nat/home.lua $S/plain.lua $S/fw
is "$rc" 0 "order: exit 0"
is "$(ran order)" "$S/nat/home.lua $S/plain.lua $S/fw/allow.lua $S/fw/block.lua" \
	"order: files as given, then the folder's files sorted"
grep -q '^    # tags: firewall, slow$' "$tmp/order.out"
ok $? "order: vpnlab.tags writes '# tags: firewall, slow' in the scenario's TAP"

# ---- --only, --skip, --tags ------------------------------------------------------

run only --backend host --results "$tmp/res" --only home --only '*/fw/*' $S
is "$rc" 0 "--only: exit 0"
is "$(ran only)" "$S/fw/allow.lua $S/fw/block.lua $S/nat/home.lua" \
	"--only home --only '*/fw/*': the name without .lua, or a glob on the path"
run skip --backend host --results "$tmp/res" --skip cgnat.lua --skip '*/fw/*' --skip needs-l2tp $S
is "$(ran skip)" "$S/nat/home.lua $S/plain.lua" "--skip, repeated: basename, path glob, name"
run tags --backend host --results "$tmp/res" --tags 'nat,!slow' $S
is "$rc" 0 "--tags nat,!slow: exit 0"
is "$(ran tags)" "$S/nat/home.lua" "--tags nat,!slow: nat and not slow"
run tags-list --list --tags '!slow' --skip needs-l2tp $S
is "$(listed tags-list)" "$S/fw/allow.lua $S/nat/home.lua $S/plain.lua" "--tags !slow: untagged ones too"
run typo --tags nat,nosuchtag --results "$tmp/typo-results" $S
is "$rc" 2 "--tags with an undeclared tag: exit 2"
like "$(cat "$tmp/typo.err")" "no scenario declares the tag 'nosuchtag' \\(declared: firewall, l2tp, nat, slow\\)" \
	"--tags: the message names the tag and the declared ones"
! [ -e "$tmp/typo-results" ]
ok $? "--tags typo: nothing ran"
run empty-tag --list --tags 'nat,,slow' $S
is "$rc" 2 "--tags nat,,slow: exit 2"
like "$(cat "$tmp/empty-tag.err")" "an empty tag" "--tags nat,,slow: says an empty tag"
run none --list --only nothing-matches $S
is "$rc" 2 "--only matching nothing: exit 2"
like "$(cat "$tmp/none.err")" "no \\*\\.lua scenario is selected" "--only matching nothing: says so"

# ---- --shard -------------------------------------------------------------------

all=$(listed list | tr ' ' '\n' | LC_ALL=C sort)
: >"$tmp/shards"
sizes=""
for i in 1 2 3; do
	run "shard$i" --list --shard "$i/3" $S
	is "$rc" 0 "--shard $i/3 --list: exit 0"
	{ listed "shard$i"; echo; } | tr " " "\n" >>"$tmp/shards"
	sizes="$sizes$(wc -l <"$tmp/shard$i.out") "
done
is "$(LC_ALL=C sort "$tmp/shards")" "$all" "--shard 1/3..3/3: the union is the whole --list"
is "$(LC_ALL=C sort "$tmp/shards" | uniq -d | wc -l)" 0 "--shard 1/3..3/3: disjoint"
is "$sizes" "2 2 2 " "--shard 1/3..3/3: balanced"
run shard-run --backend host --results "$tmp/res" --shard 2/3 $S/plain.lua $S/nat/home.lua $S/fw/block.lua $S/fw/allow.lua
is "$(ran shard-run)" "$S/nat/home.lua" "--shard 2/3 runs the 2nd of every 3, in the order given"
run shard-tags --list --tags slow --shard 2/2 $S
is "$(listed shard-tags)" "$S/nat/cgnat.lua" "--shard after --tags: 2/2 of the slow ones"
for spec in 0/2 2 3/2 1/0 a/b ' 1/2' 1/2/3; do
	run bad-shard --shard "$spec" --results "$tmp/bad-results" $S
	is "$rc" 2 "--shard '$spec': exit 2"
	like "$(cat "$tmp/bad-shard.err")" "I/N with 1 <= I <= N" "--shard '$spec': says the form"
done
! [ -e "$tmp/bad-results" ]
ok $? "bad --shard: nothing ran"

# ---- vpnlab.tags at run time; the bundled scenarios' tags ------------------------

run bad-tags --backend host --results "$tmp/res" tests/scenarios/select/errors/bad-tags.lua
is "$rc" 2 "vpnlab.tags{ \"ok\", 42 }: a scenario error (exit 2)"
where=tests/scenarios/select/errors/bad-tags.lua:$(grep -n -- '-- ERROR-HERE$' tests/scenarios/select/errors/bad-tags.lua | cut -d: -f1)
grep -q "$where: vpnlab.tags: tag 2 (number) must be a non-empty string" "$tmp/bad-tags.out"
ok $? "vpnlab.tags: a wrong tag raises at the scenario's line ($where)" "$(grep -m 1 'error:' "$tmp/bad-tags.out")"
run bundled --list --tags l2tp scenarios/
is "$(listed bundled)" "scenarios/ports/07-l2tp-ipsec-through-nat.lua scenarios/ports/08-l2tp-server-behind-nat.lua scenarios/ports/09-l2tp-only-under-ipsec-policy.lua scenarios/ports/13-two-l2tp-clients-one-nat.lua" \
	"bundled: --tags l2tp selects the four L2TP scenarios"

finish
