/*
** datadir: where vpnlab's own files are, the Lua library (lua/) and the
** bundled topologies (topologies/). An installed binary finds them next to
** itself, in <bindir>/../share/vpnlab (`make install`); one run from its
** build tree (or any binary without that folder) uses the source folder it
** was compiled in. The VM's guest runs the same binary at the same path, so
** it finds the same folder.
*/
#ifndef VPNLAB_DATADIR_H
#define VPNLAB_DATADIR_H

/*
** The folder holding lua/ and topologies/: $VPNLAB_SRCDIR when set, else
** <the executable's folder>/../share/vpnlab when it holds lua/vpnlab.lua,
** else the source folder compiled in (VPNLAB_SRCDIR). Never NULL.
*/
const char *datadir_root(void);
/* The Lua library: $VPNLAB_LUA_DIR when set, else datadir_root()/lua. Never NULL. */
const char *datadir_lua(void);

#endif
