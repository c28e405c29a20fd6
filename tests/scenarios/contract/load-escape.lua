-- BUILT TO ERR: load() runs in the scenario's own environment, not the library's.
load("os.execute('touch /tmp/vpnlab-contract-escape')")()   -- refused here
