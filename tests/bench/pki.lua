-- Certificate generation time (tests/bench/run's pki rows, tests/68-pki.t):
-- a CA, then 20 certificates of each key kind,
-- each with its PEM, key and PKCS#12 files written. rsa2048 is timed twice:
-- with the run's shared key pair (the default) and with distinct = true (a
-- new pair each). Prints "# bench: pki <what> <ms> ms" lines.
local N = 20
local function ms(t0) return (vpnlab.now() - t0) * 1000 end

local t0 = vpnlab.now()
local ca = vpnlab.pki.ca("Bench CA")
vpnlab.comment(string.format("bench: pki ca %.2f ms", ms(t0)))
for _, kind in ipairs({ "ecdsa256", "ed25519", "rsa2048", "rsa2048-distinct" }) do
  local key, distinct = kind:match("^(%w+)"), kind:find("distinct") ~= nil
  t0 = vpnlab.now()
  for i = 1, N do ca:issue{ id = kind .. "-" .. i .. ".lab", key = key, distinct = distinct } end
  vpnlab.comment(string.format("bench: pki %s %.2f ms per certificate (%d)", kind, ms(t0) / N, N))
end
t0 = vpnlab.now()
ca:revoke(ca:issue{ id = "revoked.lab" })
vpnlab.comment(string.format("bench: pki issue+revoke %.2f ms", ms(t0)))
vpnlab.ok(true, "certificates generated")
