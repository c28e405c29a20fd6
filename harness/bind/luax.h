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
/* "file:line: " of that frame, pushed on the stack ("" if none). */
void lx_where(lua_State *L);

/*
** Stopping a scenario from outside (a signal, its time limit), see run.h.
** lx_guard installs the count hook that stops a busy Lua loop; lx_check
** raises when the scenario must stop (what: what it was waiting for, or
** NULL); lx_wait runs the loop once, until deadline at the latest and never
** past the time limit, checking before and after. Every wait goes through
** lx_wait and every test point through lx_check.
*/
#define LX_GUARD_COUNT 10000
void lx_guard(lua_State *L);
void lx_check(lua_State *L, const char *what);
void lx_wait(lua_State *L, double deadline, const char *what);

/* Deadline helpers: seconds from now, scaled by run->time_scale. */
double lx_deadline(lua_State *L, double seconds);

/* Each adds its functions to the module table at the top of the stack. */
void lx_open_core(lua_State *L);
void lx_open_lab(lua_State *L);
void lx_open_proc(lua_State *L);
void lx_open_expect(lua_State *L);
void lx_open_vici(lua_State *L);
void lx_open_nat(lua_State *L);
void lx_open_keys(lua_State *L);
void lx_open_pki(lua_State *L);

/* Stop every process of the run: SIGTERM, a grace period, then SIGKILL. */
void lx_stop_all_procs(struct run *r);

/* luaopen function for package.preload["vpnlab.core"]. */
int lx_luaopen_core(lua_State *L);

#endif
