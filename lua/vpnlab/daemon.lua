-- vpnlab.daemon: what the daemon drivers (strongswan, l2tp, ...) share.
-- Every line a daemon writes to its output is kept by its process handle
-- (core.spawn); a driver's logged(pattern) asks that record.

local M = {}

-- Has proc written a line matching pattern (a Lua pattern)?
function M.logged(proc, pattern)
  for i = 1, proc:count() do
    if proc:line(i):find(pattern) then return true end
  end
  return false
end

-- The state an IKE daemon's await compares, from its sas() (the keys of
-- vici_sa.lua, which the libreswan driver fills too): "established" (an IKE SA
-- up with an installed child), "ike-established", "connecting", or "down".
M.SA_STATES = { established = true, ["ike-established"] = true, connecting = true, down = true }

function M.sa_state(sas)
  local best = "down"
  for _, sa in ipairs(sas) do
    if sa.state == "ESTABLISHED" then
      for _, ch in ipairs(sa.children) do
        if ch.state == "INSTALLED" then return "established" end
      end
      best = "ike-established"
    elseif best == "down" then
      best = "connecting"
    end
  end
  return best
end

return M
