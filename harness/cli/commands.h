/*
** commands: the subcommands beyond `run`, `vm prepare` and `doctor`, one file
** each under cli/. Each takes argv with argv[0] the command's own name
** ("decode", "up", ...) and returns the process exit status: 0 success, 1 a
** finding or failed test point (check, triage), 2 usage or input error.
*/
#ifndef VPNLAB_COMMANDS_H
#define VPNLAB_COMMANDS_H

/* decode.c: `vpnlab decode FILE [--json]`, the dissector over a user's pcap/pcapng. */
int cmd_decode(int argc, char **argv);
/* check.c: `vpnlab check FILE.pcap ASSERTIONS.lua`, the assertion API over a capture, TAP out. */
int cmd_check(int argc, char **argv);
/* triage.c: `vpnlab triage FILE.pcap`, the troubleshooting checklist read off the wire. */
int cmd_triage(int argc, char **argv);
/* timeline.c: `vpnlab timeline RESULTS_DIR|PCAP`, the flow as text, one line a packet. */
int cmd_timeline(int argc, char **argv);
/* livelab.c: `vpnlab up|exec|shell|capture|down|ls`, a lab kept running. */
int cmd_livelab(int argc, char **argv);

#endif
