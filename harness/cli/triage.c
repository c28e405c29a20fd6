/* triage.c: placeholder until the command is written (see commands.h). */
#include <stdio.h>

#include "cli/commands.h"

int cmd_triage(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "vpnlab: '%s' is not built yet\n", argv[0]);
	return 2;
}
