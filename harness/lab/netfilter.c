/*
** netfilter.c: a libnftables context opens its netlink socket when it is
** created, so it is created after entering the namespace and freed before
** leaving it.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "lab/netfilter.h"
#include "lab/netns.h"

static void copy_error(const char *nft_err, char *err, size_t errlen)
{
	size_t n;

	snprintf(err, errlen, "nft: %s", nft_err && *nft_err ? nft_err : "failed");
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

int netfilter_query(int nsfd, const char *commands, int handles, char **out, char *err, size_t errlen)
{
	struct nft_ctx *nft;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	if (netns_enter(nsfd) < 0) {
		snprintf(err, errlen, "setns: %s", strerror(errno));
		return -1;
	}
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL) {
		snprintf(err, errlen, "nft: cannot create a context");
		goto done;
	}
	if (handles)
		nft_ctx_output_set_flags(nft, nft_ctx_output_get_flags(nft) | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, commands) != 0) {
		copy_error(nft_ctx_get_error_buffer(nft), err, errlen);
		goto done;
	}
	if (out != NULL) {
		*out = strdup(nft_ctx_get_output_buffer(nft));
		if (*out == NULL) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
	}
	rc = 0;
done:
	if (nft != NULL)
		nft_ctx_free(nft);
	netns_leave();
	return rc;
}

int netfilter_apply(int nsfd, const char *commands, char *err, size_t errlen)
{
	return netfilter_query(nsfd, commands, 0, NULL, err, errlen);
}
