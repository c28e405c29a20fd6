/*
** luax: what the Lua binding files share. The scenario API's C half is one
** module, vpnlab.core; each lua_*.c file adds its functions to it. Lua never
** sees a raw pointer: resources are userdata with metatables named
** "vpnlab.<type>", created closed and closed idempotently.
*/
#ifndef VPNLAB_LUAX_H
#define VPNLAB_LUAX_H

#include <lua.h>
#include <lauxlib.h>

#include "run/run.h"

/* The scenario's run (stored in the registry by scenario.c). */
struct run *lx_run(lua_State *L);
void lx_set_run(lua_State *L, struct run *r);

/*
** Raise an error located at the scenario's own line: the first stack frame
** that is a Lua file outside the library folder (so a misuse inside
** vpnlab.lua is reported where the user wrote it).
*/
int lx_error(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raise "interrupted by SIGINT" (or the signal received) at the user's line. */
int lx_interrupted(lua_State *L);
/* "file:line: " of that frame, pushed on the stack ("" if none). */
void lx_where(lua_State *L);

/* Deadline helpers: seconds from now, scaled by run->time_scale. */
double lx_deadline(lua_State *L, double seconds);

/* Run the loop until *flag is non-zero or the deadline passes; 1 if the flag was set. */
int lx_wait_flag(lua_State *L, const int *flag, double deadline);

/* Each adds its functions to the module table at the top of the stack. */
void lx_open_core(lua_State *L);
void lx_open_lab(lua_State *L);
void lx_open_proc(lua_State *L);
void lx_open_expect(lua_State *L);
void lx_open_vici(lua_State *L);
void lx_open_nat(lua_State *L);

/* Stop every process of the run: SIGTERM, a grace period, then SIGKILL. */
void lx_stop_all_procs(struct run *r);

/* luaopen function for package.preload["vpnlab.core"]. */
int lx_luaopen_core(lua_State *L);

#endif
