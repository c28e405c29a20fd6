/*
** espsa: reads Wireshark's esp_sa file (the ESP preference table a run
** writes to wireshark/esp_sa, or one a user keeps for Wireshark) into a
** keyring, so `vpnlab decode --esp-sa FILE` shows what a capture's ESP
** carried, as a run's timeline does.
*/
#ifndef VPNLAB_ESPSA_H
#define VPNLAB_ESPSA_H

#include <stddef.h>
#include <stdio.h>

#include "wire/inner.h"

/*
** One SA a line, eight quoted fields:
**   "IPv4","src","dst","0xSPI","encryption","0xkey","authentication","0xauthkey"
** with Wireshark 4.0's algorithm names (AES-CBC [RFC3602], AES-GCM with 16
** octet ICV [RFC4106] whose key ends with the 4-byte salt, NULL;
** HMAC-SHA-1-96 [RFC2404], HMAC-SHA-256/384/512 [RFC4868], NULL). The SAs
** are found by SPI alone (a NAT rewrites the addresses). Blank lines and
** '#' comments are skipped; fields after the eighth are ignored. 0, or -1
** with err saying "line N: why" (the SAs before it are added).
*/
int espsa_read_wireshark(FILE *f, struct esp_keyring *kr, char *err, size_t errlen);

#endif
