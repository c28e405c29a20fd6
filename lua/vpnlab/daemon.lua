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

return M
