/*
** dissect: captured frame bytes -> packet facts.
** Pure code: no I/O, no allocation. Every read goes through a bounds-checked
** cursor, so truncated or garbage frames are classified, never crash.
*/
#ifndef VPNLAB_DISSECT_H
#define VPNLAB_DISSECT_H

#include <stddef.h>
#include <stdint.h>

/* The most specific thing a frame was recognised as. */
enum pkt_class {
	PKT_OTHER = 0,   /* IPv4 we do not decode further (e.g. GRE) */
	PKT_NONIP,       /* ARP, IPv6, LLDP, ... */
	PKT_TRUNCATED,   /* a header that should be there is cut short by the capture */
	PKT_INVALID,     /* bytes that contradict themselves (bad lengths, bad version) */
	PKT_FRAGMENT,    /* a non-first IPv4 fragment: no transport header to read */
	PKT_ICMP,
	PKT_TCP,
	PKT_UDP,         /* UDP that is none of the below */
	PKT_IKE,         /* IKEv1/IKEv2 on any UDP port, with or without non-ESP marker */
	PKT_KEEPALIVE,   /* NAT-T keepalive: one byte 0xff on udp/4500 */
	PKT_ESP_UDP,     /* ESP encapsulated in UDP (RFC 3948) */
	PKT_ESP,         /* raw ESP, IP protocol 50 */
	PKT_AH,          /* IP protocol 51 */
	PKT_L2TP,        /* L2TP on udp/1701 */
	PKT_CLASS_COUNT
};

/* Link-layer types we accept (values match DLT_* of libpcap). */
#define DISSECT_LINK_EN10MB 1
#define DISSECT_LINK_RAW    101   /* DLT_RAW on Linux: bare IP */
#define DISSECT_LINK_NULL   0     /* BSD loopback: a 4-byte address family */
#define DISSECT_LINK_LINUX_SLL  113   /* Linux cooked capture v1 ("any" interface) */
#define DISSECT_LINK_IPV4   228   /* bare IPv4 */
#define DISSECT_LINK_LINUX_SLL2 276   /* Linux cooked capture v2 */

struct pkt_facts {
	enum pkt_class cls;
	const char *problem;     /* static text: why TRUNCATED/INVALID, else NULL */

	/* Link layer: who handed the frame to whom on the link (the ladder's arrow) */
	int has_eth;             /* 1: both MACs (Ethernet); 2: only eth_src (Linux cooked capture) */
	uint8_t eth_src[6], eth_dst[6];

	/* IPv4; all addresses and ports are in host byte order */
	int has_ip;
	uint8_t proto;           /* IP protocol number */
	uint32_t src, dst;
	uint16_t ip_id;
	uint8_t ttl;
	uint16_t ip_len;         /* total length from the IP header */
	int fragment;            /* 1 when MF is set or the offset is non-zero */
	int more_fragments;
	uint16_t frag_offset;    /* in bytes */

	/* UDP/TCP */
	int has_ports;
	uint16_t sport, dport;

	/* ICMP */
	uint8_t icmp_type, icmp_code;

	/* IKE (cls == PKT_IKE) */
	int ike_version;         /* 1 or 2 */
	int ike_exchange;        /* exchange type number */
	int ike_initiator;       /* IKEv2: I flag; IKEv1: 1 when the responder SPI is zero */
	int ike_response;        /* IKEv2: R flag; IKEv1: always 0 */
	int ike_nonesp;          /* the four-byte non-ESP marker preceded the header */
	uint32_t ike_msgid;
	uint64_t ike_ispi, ike_rspi;
	/* Payloads of a message sent in the clear (IKEv2 IKE_SA_INIT, IKEv1 Main/Aggressive Mode before keys) */
	int ike_encrypted;       /* IKEv2: an SK or SKF payload; IKEv1: the E flag */
	int ike_nnotify;         /* notify payloads read (at most 4 kept) */
	uint16_t ike_notify[4];  /* their message types, in order (NO_PROPOSAL_CHOSEN 14, NAT_DETECTION_SOURCE_IP 16388, ...) */
	uint8_t ike_natd_src_len, ike_natd_dst_len;   /* 0: no such payload */
	uint8_t ike_natd_src[64], ike_natd_dst[64];   /* NAT detection hashes: v2 NAT_DETECTION_SOURCE/DESTINATION_IP;
	                                                 v1 NAT-D (RFC 3947: the first is the destination's, the second the source's) */
	uint16_t ike_frag, ike_frag_total;            /* IKEv2 SKF (RFC 7383) fragment number and total, 0 if none */

	/* ESP, raw or in UDP */
	uint32_t esp_spi, esp_seq;
	uint32_t esp_off, esp_len;  /* where the ESP bytes (from the SPI on) start in the frame, and how many were captured */
	int esp_whole;              /* the capture holds the whole ESP payload (decryption needs it) */

	/* AH */
	uint32_t ah_spi, ah_seq;

	/* L2TP (cls == PKT_L2TP) */
	int l2tp_control;        /* T bit */
	int l2tp_msgtype;        /* control message type (AVP 0), 0 when data or unknown */
	uint16_t l2tp_tunnel, l2tp_session;
	/* PPP inside an L2TP data message */
	int has_ppp;
	uint16_t ppp_proto;      /* 0xc021 LCP, 0xc023 PAP, 0xc223 CHAP, 0x8021 IPCP, 0x0021 IPv4, ... */
	int ppp_code;            /* the control protocols' message code, -1 for data protocols */
};

/*
** Decode one captured frame. caplen is what was captured, wirelen what was on
** the wire (a capture may be shorter). Always fills *out (zeroed first) and
** returns its class.
*/
enum pkt_class dissect_frame(const uint8_t *bytes, size_t caplen, size_t wirelen,
                             int linktype, struct pkt_facts *out);

/*
** The packet an ESP payload carried, once decrypted: next_header 4 is a
** whole IPv4 packet (tunnel mode); a transport protocol (UDP, TCP, ICMP, ...)
** gets the outer packet's addresses, as transport mode means. Pure, like
** dissect_frame; the same facts and classes.
*/
enum pkt_class dissect_inner(const uint8_t *bytes, size_t len, uint8_t next_header,
                             const struct pkt_facts *outer, struct pkt_facts *out);

/* 1 for the link types dissect_frame decodes (DISSECT_LINK_*), else 0 (it would answer PKT_INVALID). */
int dissect_link_supported(int linktype);

/* Names for humans and for the Lua filter ("IKE_SA_INIT", "SCCRQ", "esp-udp"). */
const char *dissect_class_name(enum pkt_class cls);
const char *dissect_ike_exchange_name(int version, int exchange); /* NULL if unknown */
int dissect_ike_exchange_known(const char *name);     /* 1 if a name of either IKE version */
const char *dissect_l2tp_msg_name(int msgtype);       /* NULL if unknown */
int dissect_l2tp_msg_by_name(const char *name);       /* -1 if unknown */
const char *dissect_ppp_proto_name(int proto);        /* "LCP", "IPCP", "CHAP", "IPv4"; NULL if unknown */
int dissect_ppp_proto_by_name(const char *name);      /* -1 if unknown */
const char *dissect_ppp_code_name(int proto, int code); /* "Configure-Request", "Challenge"; NULL if unknown */
int dissect_ppp_code_by_name(const char *name);       /* the code of any control protocol's name, -1 if unknown */
const char *dissect_ike_notify_name(int type);        /* "NO_PROPOSAL_CHOSEN", "NAT_DETECTION_SOURCE_IP"; NULL if unknown */
int dissect_ike_notify_by_name(const char *name);     /* any case; -1 if unknown */
const char *dissect_icmp_type_name(int type);         /* "echo-request", "dest-unreach"; NULL if unknown */
int dissect_icmp_type_by_name(const char *name);      /* -1 if unknown */

#endif
