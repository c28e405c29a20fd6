/*
** guest: the runner's side inside the VM, the `vpnlab __guest FILE` command.
** /init execs it as PID 1 on the host's root; it reads the argument file
** (vm/guestfiles.h), runs the scenarios, writes TAP and the status file
** next to the arguments, and powers the VM off.
*/
#ifndef VPNLAB_GUEST_H
#define VPNLAB_GUEST_H

/* The guest's PID 1: run everything, write the status, power off. Never returns. */
void guest_main(const char *argsfile) __attribute__((noreturn));

#endif
