/*
** flowtext: a timeline's packets (timeline.jsonl's objects) in words for
** `vpnlab timeline`, by the rules the report page draws with: the label
** ("IKE_SA_INIT req 500->500", "ESP-in-UDP spi 0x.. 4500", "L2TP SCCRQ",
** the decrypted view in brackets), who sent the frame to whom (lab.json's
** MACs, then addresses; "(all)" for a broadcast), and the NAT rewrites (the
** same packet before and after a router).
*/
#ifndef VPNLAB_FLOWTEXT_H
#define VPNLAB_FLOWTEXT_H

#include <stddef.h>

#include <jansson.h>

/* The label of one packet object, into buf (always terminated). */
void flowtext_describe(json_t *pkt, char *buf, size_t len);
/*
** Every packet object of all (a timeline, in time order) gets "sender" and
** "receiver" (node names from lab, which may be NULL: then addresses, MACs
** or "?"), and a packet a router forwarded with other addresses or ports
** gets "nat": "NAT 192.168.1.2:500 -> 203.0.113.1:500".
*/
void flowtext_annotate(json_t *all, json_t *lab);

#endif
