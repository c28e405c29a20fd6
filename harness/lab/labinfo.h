/*
** labinfo: what a built lab is, for the people and tools that read its
** results folder afterwards. Every interface gets a fixed, locally
** administered MAC from its link and node index, so a frame's Ethernet
** addresses name the node that sent it and the one it was for (the ladder
** diagram's arrow), and the same scenario gives the same pcaps run after
** run. lab.json lists the nodes (their interfaces: link, name, MAC,
** addresses) and the links (pcap file, members, veth or bridge).
*/
#ifndef VPNLAB_LABINFO_H
#define VPNLAB_LABINFO_H

#include <stddef.h>
#include <stdint.h>

struct lab;

/* 02:00:<link, 16 bits>:<node, 16 bits>: unique in a lab, the same every run. */
void labinfo_mac(int link, int node, uint8_t mac[6]);
/* dir/lab.json for a built lab (written to a temporary name, then renamed). 0, or -1 with err filled. */
int labinfo_write(const struct lab *lab, const char *dir, char *err, size_t errlen);

#endif
