/*
** Unit tests for labinfo.c: the fixed MACs (locally administered, unicast,
** unique per link and node) and lab.json for a finished topo (no kernel
** needed: labinfo_write reads only the model): a veth link and a bridged
** one, a NAT router's outside link, automatic and secondary addresses; an
** unwritable folder is an error naming it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lab/lab.h"
#include "lab/labinfo.h"
#include "unit.h"

static void bail(const char *what, const struct topo_error *e)
{
	printf("Bail out! %s: %s\n", what, e->msg);
	exit(255);
}

/* client, client2 --lan (a bridge)-- home (NAT) --wan-- gw (two addresses) */
static void build(struct topo *t)
{
	struct topo_error e;
	int home, client, client2, gw, lan = -1, wan = -1;

	topo_init(t);
	if ((home = topo_add_node(t, "home", TOPO_ROUTER, &e)) < 0 ||
	    (client = topo_add_node(t, "client", TOPO_HOST, &e)) < 0 ||
	    (client2 = topo_add_node(t, "client2", TOPO_HOST, &e)) < 0 ||
	    (gw = topo_add_node(t, "gw", TOPO_HOST, &e)) < 0)
		bail("node", &e);
	if ((lan = topo_add_link(t, "lan", "192.168.1.0/24", &e)) < 0 ||
	    (wan = topo_add_link(t, "wan", "203.0.113.0/24", &e)) < 0)
		bail("link", &e);
	if (topo_link_add_member(t, lan, home, 0, &e) < 0 || topo_link_add_member(t, lan, client, 0, &e) < 0 ||
	    topo_link_add_member(t, lan, client2, 0, &e) < 0 || topo_link_add_member(t, wan, home, 0, &e) < 0 ||
	    topo_link_add_member(t, wan, gw, 0xcb007102u, &e) < 0 ||
	    topo_member_add_addr(t, wan, 1, 0xcb007103u, &e) < 0)
		bail("member", &e);
	if (topo_set_nat_outside(t, home, wan, &e) < 0)
		bail("nat", &e);
	if (topo_finish(t, &e) < 0)
		bail("finish", &e);
}

static void test_mac(void)
{
	uint8_t a[6], b[6];

	labinfo_mac(1, 2, a);
	ok(memcmp(a, "\x02\x00\x00\x01\x00\x02", 6) == 0, "link 1, node 2: 02:00:00:01:00:02");
	ok((a[0] & 0x02) && !(a[0] & 0x01), "locally administered, unicast");
	labinfo_mac(258, 1023, b);
	ok(memcmp(b, "\x02\x00\x01\x02\x03\xff", 6) == 0, "indices past 255 use both bytes");
	labinfo_mac(2, 1, b);
	ok(memcmp(a, b, 6) != 0, "link and node are not interchangeable");
}

static void test_json(void)
{
	char dir[] = "/tmp/vpnlab-unit-labinfo.XXXXXX", path[96], err[256] = "";
	struct lab lab;
	json_t *j, *nodes, *links, *home, *gw, *homelan, *gwaddr;

	memset(&lab, 0, sizeof(lab));
	build(&lab.topo);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	is_int(labinfo_write(&lab, dir, err, sizeof(err)), 0, "labinfo_write");
	snprintf(path, sizeof(path), "%s/lab.json", dir);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	ok(json_is_object(j), "lab.json is a JSON object");
	nodes = json_object_get(j, "nodes");
	links = json_object_get(j, "links");
	is_int(json_array_size(nodes), 4, "four nodes");
	home = json_array_get(nodes, 0);
	gw = json_array_get(nodes, 3);
	is_str(json_string_value(json_object_get(home, "kind")), "router", "home is a router");
	is_str(json_string_value(json_object_get(home, "nat_outside")), "wan", "... with its NAT outside");
	ok(json_is_null(json_object_get(gw, "nat_outside")), "a host has none");
	is_int(json_array_size(json_object_get(home, "interfaces")), 2, "home has two interfaces");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(home, "interfaces"), 1), "mac")),
	       "02:00:00:01:00:00", "home's wan MAC: link 1, node 0");
	homelan = json_array_get(json_object_get(home, "interfaces"), 0);
	is_str(json_string_value(json_array_get(json_object_get(homelan, "addresses"), 0)), "192.168.1.1/24",
	       "an automatic address, with its prefix");
	gwaddr = json_object_get(json_array_get(json_object_get(gw, "interfaces"), 0), "addresses");
	is_int(json_array_size(gwaddr), 2, "a secondary address is listed");
	is_str(json_string_value(json_array_get(gwaddr, 1)), "203.0.113.3/24", "... after the primary");
	is_str(json_string_value(json_object_get(json_array_get(nodes, 2), "name")), "client2", "nodes in model order");
	is_str(json_string_value(json_object_get(json_array_get(links, 0), "kind")), "bridge", "three members: a bridge");
	is_str(json_string_value(json_object_get(json_array_get(links, 1), "kind")), "veth", "two: a veth pair");
	is_str(json_string_value(json_object_get(json_array_get(links, 1), "pcap")), "wan.pcap", "the link's pcap");
	is_int(json_array_size(json_object_get(json_array_get(links, 0), "members")), 3, "the bridge's members");
	json_decref(j);
	unlink(path);
	rmdir(dir);
	err[0] = '\0';
	is_int(labinfo_write(&lab, "/nonexistent/folder", err, sizeof(err)), -1, "an unwritable folder: -1");
	ok(strstr(err, "/nonexistent/folder/lab.json") != NULL, "... naming the file");
	topo_free(&lab.topo);
}

int main(void)
{
	test_mac();
	test_json();
	return unit_done();
}
