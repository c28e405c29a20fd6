/*
** labinfo.c: see labinfo.h. Strings go through timeline_json_string, the
** one JSON string writer, so a link or node name cannot break the file.
*/
#include "lab/labinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "wire/timeline.h"

void labinfo_mac(int link, int node, uint8_t mac[6])
{
	mac[0] = 0x02;   /* locally administered, unicast */
	mac[1] = 0x00;
	mac[2] = (uint8_t)((unsigned)link >> 8);
	mac[3] = (uint8_t)link;
	mac[4] = (uint8_t)((unsigned)node >> 8);
	mac[5] = (uint8_t)node;
}

static void put_addr(FILE *f, uint32_t a, int plen)
{
	fprintf(f, "\"%u.%u.%u.%u/%d\"", (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xff,
	        (unsigned)(a >> 8) & 0xff, (unsigned)a & 0xff, plen);
}

/* One interface: the member m of link li. */
static void put_iface(FILE *f, const struct topo *t, size_t li, size_t m)
{
	const struct topo_link *l = &t->links[li];
	const struct topo_member *mb = &l->members[m];
	uint8_t mac[6];

	labinfo_mac((int)li, mb->node, mac);
	fputs("{\"link\":", f);
	timeline_json_string(f, l->name);
	fputs(",\"ifname\":", f);
	timeline_json_string(f, l->name);   /* a link's name is its interfaces' name */
	fprintf(f, ",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"addresses\":[",
	        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	put_addr(f, mb->addr, l->plen);
	for (int k = 0; k < mb->nextra && k < TOPO_EXTRA_MAX; k++) {
		fputc(',', f);
		put_addr(f, mb->extra[k], l->plen);
	}
	fputs("]}", f);
}

static void put_node(FILE *f, const struct topo *t, size_t n)
{
	const struct topo_node *tn = &t->nodes[n];
	int first = 1;

	fputs("{\"name\":", f);
	timeline_json_string(f, tn->name);
	fprintf(f, ",\"kind\":\"%s\",\"nat_outside\":", tn->kind == TOPO_ROUTER ? "router" : "host");
	if (tn->nat_outside >= 0 && (size_t)tn->nat_outside < t->nlinks)
		timeline_json_string(f, t->links[tn->nat_outside].name);
	else
		fputs("null", f);
	fputs(",\"interfaces\":[", f);
	for (size_t li = 0; li < t->nlinks; li++)
		for (size_t m = 0; m < t->links[li].nmembers; m++) {
			if (t->links[li].members[m].node != (int)n)
				continue;
			if (!first)
				fputc(',', f);
			first = 0;
			put_iface(f, t, li, m);
		}
	fputs("]}", f);
}

static void put_link(FILE *f, const struct topo *t, size_t li)
{
	const struct topo_link *l = &t->links[li];
	char pcap[TOPO_IFNAME_MAX + 8];

	snprintf(pcap, sizeof(pcap), "%s.pcap", l->name);
	fputs("{\"name\":", f);
	timeline_json_string(f, l->name);
	fputs(",\"pcap\":", f);
	timeline_json_string(f, pcap);
	fprintf(f, ",\"kind\":\"%s\",\"subnet\":", l->nmembers == 2 ? "veth" : "bridge");
	put_addr(f, l->net, l->plen);
	fputs(",\"members\":[", f);
	for (size_t m = 0; m < l->nmembers; m++) {
		int node = l->members[m].node;
		if (m > 0)
			fputc(',', f);
		if (node >= 0 && (size_t)node < t->nnodes)
			timeline_json_string(f, t->nodes[node].name);
		else
			fputs("null", f);
	}
	fputs("]}", f);
}

int labinfo_write(const struct lab *lab, const char *dir, char *err, size_t errlen)
{
	const struct topo *t = &lab->topo;
	char path[4200], tmp[4220];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lab.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fputs("{\"nodes\":[", f);
	for (size_t n = 0; n < t->nnodes; n++) {
		fputs(n ? ",\n " : "\n ", f);
		put_node(f, t, n);
	}
	fputs("],\n\"links\":[", f);
	for (size_t li = 0; li < t->nlinks; li++) {
		fputs(li ? ",\n " : "\n ", f);
		put_link(f, t, li);
	}
	fputs("]}\n", f);
	if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return 0;
}
