-- vpnlab.sandbox: the environments that user files run in.
--
-- A scenario gets Lua's pure libraries and the vpnlab API, nothing else:
-- every side effect on the host goes through the API (node:exec runs inside a
-- node, vpnlab.write writes into the results folder, vpnlab.read and dofile
-- read the scenario's own folder). A topology file gets the pure libraries
-- alone. Library modules under lua/ keep the whole standard library; they
-- are the only code that touches the host.
--
-- The tables handed out are copies, so a scenario that reassigns
-- string.format or table.insert changes its own view, not the library's.

local M = {}

local PURE_GLOBALS = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "getmetatable", "setmetatable", "tonumber", "tostring", "type",
  "xpcall", "collectgarbage", "_VERSION",
}
local PURE_LIBS = { "string", "table", "math", "utf8", "coroutine" }
-- os functions without side effects (getenv: scenarios may be parametrized, as the bench is).
local PURE_OS = { "time", "clock", "date", "difftime", "getenv" }

local HINTS = {
  io = "read files of the scenario's folder with vpnlab.read(path) and write into the "
    .. "results folder with vpnlab.write(name, data)",
  os = "run commands inside a node with node:exec{...}",
  debug = "the debug library is not available to scenarios",
  package = "require loads vpnlab modules; load your own helpers with dofile(path)",
}

-- A table whose missing fields raise at the caller's line with a hint.
local function refusing(lib, base)
  return setmetatable(base or {}, {
    __index = function(_, key)
      local hint = (lib == "os" and key == "exit") and "a scenario cannot end the run: its test points decide"
                   or HINTS[lib]
      error(string.format("%s.%s is not available to scenarios: %s", lib, tostring(key), hint), 2)
    end,
  })
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- The pure part: globals, library copies and the side-effect-free os functions.
local function pure()
  local env = {}
  for _, name in ipairs(PURE_GLOBALS) do env[name] = _G[name] end
  for _, name in ipairs(PURE_LIBS) do env[name] = copy(_G[name]) end
  local os_ = {}
  for _, name in ipairs(PURE_OS) do os_[name] = os[name] end
  env.os = refusing("os", os_)
  env.io = refusing("io")
  env.debug = refusing("debug")
  env.package = refusing("package")
  env._G = env
  return env
end

-- The environment of a topology file: pure Lua only.
function M.topology_env()
  return pure()
end

-- path relative to dir unless absolute; "." and ".." segments folded.
local function resolve(dir, path)
  if path:sub(1, 1) ~= "/" then path = dir .. "/" .. path end
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." then table.remove(parts)
    elseif seg ~= "." then parts[#parts + 1] = seg end
  end
  return "/" .. table.concat(parts, "/")
end

-- The environment of a scenario: pure Lua, the vpnlab API, and a few
-- globals redefined so they keep to the rules above.
function M.scenario_env(vpnlab, read_file)
  local env = pure()
  env.vpnlab = vpnlab

  -- print is a TAP comment: stdout is the TAP stream.
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    vpnlab.comment(table.concat(parts, "\t"))
  end

  -- load: text chunks only, in this environment unless one is given.
  env.load = function(chunk, name, mode, chunk_env)
    if mode ~= nil and mode ~= "t" then error("load: scenarios load text chunks only", 2) end
    return load(chunk, name, "t", chunk_env or env)
  end

  -- loadfile/dofile: files of the scenario's folder, in this environment.
  env.loadfile = function(path, mode, chunk_env)
    if type(path) ~= "string" then error("loadfile needs a path", 2) end
    if mode ~= nil and mode ~= "t" then error("loadfile: scenarios load text chunks only", 2) end
    local full = resolve(vpnlab.dir, path)
    local text, err = read_file(full)
    if not text then return nil, err end
    return load(text, "@" .. full, "t", chunk_env or env)
  end
  env.dofile = function(path)
    local chunk, err = env.loadfile(path)
    if not chunk then error(err, 2) end
    return chunk()
  end

  -- require: the vpnlab modules only (the library, with its full environment).
  env.require = function(name)
    if type(name) ~= "string" or name == "vpnlab.core" or name == "vpnlab.sandbox"
       or not (name == "vpnlab" or name:match("^vpnlab%.")) then
      error("require '" .. tostring(name) .. "': " .. HINTS.package, 2)
    end
    return require(name)
  end
  return env
end

M.resolve = resolve
return M
