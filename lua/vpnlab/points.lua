-- vpnlab.points: a scenario's own test points, vpnlab.ok and vpnlab.is, shared
-- by the scenario API (vpnlab.lua) and a check file's (vpnlab/check.lua).

local core = require("vpnlab.core")

local M = {}

function M.ok(cond, desc)
  local diag
  if not cond then diag = core.yaml("at", (core.where():gsub(": $", ""))) end
  return core.point(cond and true or false, desc or "ok", diag)
end

-- Equality with a diagnostic that shows both values.
function M.is(got, want, desc)
  local pass = got == want
  local diag
  if not pass then
    diag = core.yaml("at", (core.where():gsub(": $", ""))) .. core.yaml("got", tostring(got))
           .. core.yaml("expected", tostring(want))
  end
  return core.point(pass, desc or "is", diag)
end

return M
