-- A topology file that never returns.
while true do end   -- busy here
return { nodes = {}, links = {} }
