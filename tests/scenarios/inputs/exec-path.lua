-- tests/22-inputs.t: node:exec and node:run where argv[0] is a path, or the
-- name is not a plain file name. Each log goes into the node's folder under
-- a safe name (22-inputs.t lists the folder); statuses come back as usual.
local net = vpnlab.start("direct")
local client = net.nodes.client

-- exec-01-true.log
vpnlab.is(client:exec{ "/bin/true" }.status, 0, "an absolute-path exec runs and returns 0")
-- exec-02-sh.log
vpnlab.is(client:exec{ "/bin/sh", "-c", "exit 3" }.status, 3, "an absolute-path exec returns its status")
-- exec-03-sh.log: makes "odd name*" in the results folder, a link to /bin/echo
local odd = vpnlab.results .. "/odd name*"
client:exec{ "/bin/sh", "-c", 'ln -s /bin/echo "$1"', "sh", odd }
-- exec-04-odd_name_.log
local echo = client:exec{ odd, "hello" }
vpnlab.is(echo.status, 0, "a command whose name has a space and a '*' runs")
vpnlab.ok(echo.output:find("hello", 1, true) ~= nil, "and its output comes back")

-- node:run: argv[0] a path (sleep.log), a name that would climb out of the
-- node's folder (.._.._escape_me.log, never ../../escape me.log), and an
-- empty name (_.log).
local sleeper = client:run{ "/bin/sleep", "30" }
local named = client:run{ "/bin/sleep", "30", name = "../../escape me" }
local empty = client:run{ "/bin/sleep", "30", name = "" }
vpnlab.ok(sleeper and named and empty, "node:run starts absolute-path commands")
