#!/bin/bash
# The lab PKI (vpnlab.pki) and certificate / per-peer PSK / EAP
# authentication in the strongSwan driver:
#   - the PKI's files as openssl and NSS see them: each certificate verifies
#     against the CA (openssl verify), the revoked one is refused with the CRL
#     (-crl_check) and listed in it (openssl crl), each id is its SAN's form
#     (openssl x509 -text), keys are mode 0600, the CA's key is never written,
#     and each PKCS#12 imports into an NSS database (pk12util, libreswan's way);
#   - the bundled scenarios/certs/ pass on the host (userspace ESP);
#   - BUILT TO FAIL (tests/scenarios/certs/): a wrong CA, a revoked
#     certificate, a per-peer secret presented by the wrong peer, a wrong
#     EAP-MSCHAPv2 password: each fails
#     exactly the points it should (the tunnel and its ping), no other;
#   - bad fields stop the scenario at the user's line with exit status 2.
# Runs from the repository root as root; VPNLAB names the binary.

TEST_NAME=68-pki
. "$(dirname "$0")/lib.sh"

# run NAME ARGS...: vpnlab run ARGS; $tmp/NAME.{out,err}, $rc.
run() {
	local name=$1
	shift
	"$VPNLAB" run --backend host --results "$tmp/results" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

# The numbers of a subtest's failing points, space-separated.
failing() { sed -n 's/^    not ok \([0-9]*\) - .*/\1/p' "$tmp/$1.out" | tr '\n' ' ' | sed 's/ $//'; }
points() { grep -cE '^    (not )?ok [0-9]+ - ' "$tmp/$1.out"; }

# --- the PKI's files --------------------------------------------------------
run files tests/scenarios/certs/pki-files.lua
is "$rc" 0 "pki-files: exit 0 ($(points files) points)"
dir=$(sed -n 's/^# results: //p' "$tmp/files.out")/pki/Lab_CA
is "$(cd "$dir" 2>/dev/null && ls | LC_ALL=C sort | tr '\n' ' ')" \
	"2-gw.lab.crt 2-gw.lab.key 2-gw.lab.p12 3-client@lab.crt 3-client@lab.key 3-client@lab.p12 4-192.0.2.7.crt 4-192.0.2.7.key 4-192.0.2.7.p12 ca.crl ca.crt " \
	"pki/Lab_CA holds each certificate's three files, the CA's certificate and CRL, and no CA key"
out=$(openssl verify -CAfile "$dir/ca.crt" "$dir/2-gw.lab.crt" "$dir/3-client@lab.crt" "$dir/4-192.0.2.7.crt" 2>&1)
ok $? "openssl verify: every certificate chains to the CA" "$out"
out=$(openssl verify -crl_check -CAfile "$dir/ca.crt" -CRLfile "$dir/ca.crl" "$dir/2-gw.lab.crt" 2>&1)
ok $? "openssl verify -crl_check: gw.lab is good" "$out"
out=$(openssl verify -crl_check -CAfile "$dir/ca.crt" -CRLfile "$dir/ca.crl" "$dir/3-client@lab.crt" 2>&1)
st=$?
[ $st -ne 0 ] && printf '%s' "$out" | grep -q 'certificate revoked'
ok $? "openssl verify -crl_check: client@lab is refused: certificate revoked" "$out"
like "$(openssl crl -in "$dir/ca.crl" -noout -text 2>&1 | grep -A0 'Serial Number' | tr -d ' ')" '^SerialNumber:03$' \
	"openssl crl: the CRL lists serial 03, and only it"
like "$(openssl x509 -in "$dir/2-gw.lab.crt" -noout -text)" 'DNS:gw\.lab' "openssl x509: gw.lab's SAN is DNS:gw.lab"
like "$(openssl x509 -in "$dir/2-gw.lab.crt" -noout -text)" 'TLS Web Server Authentication, ipsec Internet Key Exchange' \
	"openssl x509: gw.lab's EKU: serverAuth and ipsecIKE"
like "$(openssl x509 -in "$dir/3-client@lab.crt" -noout -text)" 'email:client@lab' "openssl x509: client@lab's SAN is email:"
like "$(openssl x509 -in "$dir/3-client@lab.crt" -noout -text)" 'Public-Key: \(2048 bit\)' "openssl x509: client@lab has an RSA-2048 key"
like "$(openssl x509 -in "$dir/4-192.0.2.7.crt" -noout -text)" 'IP Address:192\.0\.2\.7' "openssl x509: 192.0.2.7's SAN is an IP address"
like "$(openssl x509 -in "$dir/4-192.0.2.7.crt" -noout -text)" 'ED25519' "openssl x509: 192.0.2.7 has an Ed25519 key"
is "$(stat -c %a "$dir"/*.key "$dir"/*.p12 | sort -u | tr '\n' ' ')" "600 " "keys and PKCS#12 files are mode 0600"
mkdir -p "$tmp/nss"
certutil -N -d "sql:$tmp/nss" --empty-password >"$tmp/nss.log" 2>&1 &&
	pk12util -i "$dir/2-gw.lab.p12" -d "sql:$tmp/nss" -W vpnlab >>"$tmp/nss.log" 2>&1
ok $? "pk12util imports gw.lab's PKCS#12 into an NSS database" "$(cat "$tmp/nss.log")"
like "$(certutil -L -d "sql:$tmp/nss" 2>&1)" 'gw\.lab' "certutil -L lists gw.lab"
like "$(certutil -K -d "sql:$tmp/nss" 2>&1)" 'gw\.lab' "certutil -K lists its private key"

# --- the bundled scenarios --------------------------------------------------
run bundled scenarios/certs/
is "$rc" 0 "scenarios/certs/ on the host: exit 0"
is "$(grep -cE '^ok [0-9]+ - scenarios/certs/' "$tmp/bundled.out")" 4 "scenarios/certs/: 4 scenarios pass" \
	"$(grep -E '^(not )?ok' "$tmp/bundled.out")"

# --- built to fail -----------------------------------------------------------
# built NAME FILE FAILING TOTAL: exit 1, exactly those points fail of TOTAL.
built() {
	run "$1" "$2"
	is "$rc" 1 "$1: BUILT TO FAIL: exit 1"
	is "$(failing "$1")" "$3" "$1: exactly points $3 fail (the tunnel, the traffic)" \
		"$(grep -E '^    (not )?ok' "$tmp/$1.out")"
	is "$(points "$1")" "$4" "$1: all $4 points ran"
}
built wrong-ca tests/scenarios/certs/wrong-ca.lua "1 2" 11
built revoked tests/scenarios/certs/revoked.lua "1 2" 10
built psk-swapped tests/scenarios/certs/psk-swapped.lua "1" 5
built eap-wrong-password tests/scenarios/certs/eap-wrong-password.lua "1" 8

# --- bad fields: exit 2 at the user's line -------------------------------------
# bad NAME ERE LUA...: a scenario of those lines (the one to blame ends in
# "-- HERE") stops with exit 2, the error at its file:line, matching ERE.
bad_field() {
	local name=$1 ere=$2 file="$tmp/$1.lua" line err
	shift 2
	printf '%s\n' "$@" >"$file"
	line=$(grep -n -- '-- HERE$' "$file" | cut -d: -f1)
	run "$name" "$file"
	is "$rc" 2 "$name: exit status 2"
	err=$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/$name.out" | sed 's/\\"/"/g' | head -n 1)
	case $err in "$file:$line: "*) st=0 ;; *) st=1 ;; esac
	ok $st "$name: the error is at the user's line ($line)" "got: '$err'"
	like "$err" "$ere" "$name: the message says what is wrong"
}
CA='local ca = vpnlab.pki.ca("Lab CA")'
bad_field ca-name "pki.ca\\(name\\): name must be" 'vpnlab.pki.ca(42)   -- HERE'
bad_field ca-field "pki.ca: unknown field 'bits'" 'vpnlab.pki.ca("X", { bits = 2048 })   -- HERE'
bad_field ca-twice "a CA named 'X' already exists" 'vpnlab.pki.ca("X")' 'vpnlab.pki.ca("X")   -- HERE'
bad_field issue-id "ca:issue: id must be .* not 'a b'" "$CA" 'ca:issue{ id = "a b" }   -- HERE'
bad_field issue-key 'key must be "ecdsa256", "rsa2048" or "ed25519", not dsa' "$CA" 'ca:issue{ id = "a", key = "dsa" }   -- HERE'
bad_field issue-eku 'eku "bogus" is not one of' "$CA" 'ca:issue{ id = "a", eku = { "bogus" } }   -- HERE'
bad_field issue-life 'lifetime must be whole seconds' "$CA" 'ca:issue{ id = "a", lifetime = -5 }   -- HERE'
bad_field issue-field "ca:issue: unknown field 'colour'" "$CA" 'ca:issue{ id = "a", colour = 1 }   -- HERE'
bad_field revoke-other 'needs a certificate this CA issued' "$CA" 'local o = vpnlab.pki.ca("O")' \
	'local c = o:issue{ id = "a" }' 'ca:revoke(c)   -- HERE'
NET='local net = vpnlab.start("direct")'
bad_field cert-type 'cert must be a certificate from ca:issue' "$NET" \
	'net.nodes.gateway:strongswan{ cert = { cert = "/etc/passwd" } }   -- HERE'
bad_field cert-no-ca 'cert needs ca = <CA>' "$CA" "$NET" 'local c = ca:issue{ id = "gw.lab" }' \
	'net.nodes.gateway:strongswan{ cert = c }   -- HERE'
bad_field no-auth 'psk = .*cert = <certificate> or eap = .* is required' "$NET" \
	'net.nodes.gateway:strongswan{ pool = "10.99.0.0/24" }   -- HERE'
bad_field psk-empty 'psk = \{\} names no peer' "$NET" 'net.nodes.gateway:strongswan{ psk = {} }   -- HERE'
bad_field eap-kind 'eap must be "mschapv2" or "tls", not "md5"' "$CA" "$NET" \
	'net.nodes.gateway:strongswan{ eap = "md5", ca = ca }   -- HERE'
bad_field eap-nopw 'needs user and password' "$CA" "$NET" \
	'net.nodes.client:strongswan{ eap = "mschapv2", ca = ca, user = "alice", remote = "10.0.0.1" }   -- HERE'
bad_field eap-v1 'eap needs version = 2' "$CA" "$NET" \
	'net.nodes.client:strongswan{ version = 1, eap = "mschapv2", ca = ca, user = "a", password = "b", remote = "10.0.0.1" }   -- HERE'

finish
