-- BUILT TO TIME OUT: a loop that catches every error it can, the stop too.
vpnlab.ok(true, "before the loop")
while true do
  pcall(function()
    while true do pcall(error, "caught") end   -- busy here
  end)
end
