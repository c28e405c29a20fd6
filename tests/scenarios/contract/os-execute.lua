-- BUILT TO ERR: a host command outside any node.
os.execute("touch /tmp/vpnlab-contract-escape")   -- refused here
