/*
** fuzz_vici: libFuzzer target over the VICI decoder: message bodies
** (vici_parse) and the packet framing of a connection (vici_read_events,
** vici_request, vici_register) fed through a real socketpair.
**
** Input: byte 0 picks the mode (byte 0 % 3) and its options, the rest is
** the mode's bytes:
**   0  a message body. Options (byte 0 >> 2): the visitor stops the walk at
**      that element (0: never). A body that parses is rebuilt with the
**      vici_add_* builders and must come out byte for byte the same.
**   1  a stream of packets on an event connection; byte 1 sets the size of
**      the pieces it arrives in (at most 32 pieces). Delivered in pieces or
**      all at once, the events and the final error must be the same.
**   2  what charon answers to a request (bit 2: streaming "list-sa" events;
**      bit 3: no reply buffer; bit 4: a vici_register of "ike-updown" and a
**      vici_read_events instead, which takes every event). The peer closes
**      after it, so nothing waits for the timeout.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/vici.h"

#define STOP 42                 /* what the visitor returns to stop a walk */
#define STREAM_MAX 65536        /* fits a socket buffer: writes never block */
#define MAX_PIECES 32           /* a stream arrives in at most this many pieces */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_vici: invariant broken: %s\n", what);
	abort();
}

/* ---- bodies ---------------------------------------------------------------- */

/* Visitor state: the body being walked, its rebuilt copy, and the nesting seen. */
struct rebuild {
	const uint8_t *body;
	size_t len;
	struct vici_buf out;
	int depth, in_list;
	unsigned count, stop_at;
};

/* Counts an element; the stop_at-th one stops the walk. */
static int step(struct rebuild *r)
{
	r->count++;
	return r->stop_at && r->count == r->stop_at ? STOP : 0;
}

static void check_name(const char *name)
{
	check(name && strlen(name) <= 255, "name longer than 255 bytes");
}

static void check_value(const struct rebuild *r, const uint8_t *v, size_t len)
{
	check(len <= 65535, "value longer than 65535 bytes");
	check(len == 0 || (v >= r->body && len <= r->len && (size_t)(v - r->body) <= r->len - len),
	      "value outside the body");
}

static int rb_section(void *arg, const char *name)
{
	struct rebuild *r = arg;

	check_name(name);
	check(!r->in_list && r->depth < VICI_MAX_DEPTH, "section inside a list or too deep");
	r->depth++;
	vici_add_section(&r->out, name);
	return step(r);
}

static int rb_section_end(void *arg)
{
	struct rebuild *r = arg;

	check(!r->in_list && r->depth > 0, "section end without section");
	r->depth--;
	vici_end_section(&r->out);
	return step(r);
}

static int rb_kv(void *arg, const char *key, const uint8_t *v, size_t len)
{
	struct rebuild *r = arg;

	check_name(key);
	check_value(r, v, len);
	check(!r->in_list, "key/value inside a list");
	vici_add_kv(&r->out, key, v, len);
	return step(r);
}

static int rb_list(void *arg, const char *name)
{
	struct rebuild *r = arg;

	check_name(name);
	check(!r->in_list, "nested list");
	r->in_list = 1;
	vici_add_list(&r->out, name);
	return step(r);
}

static int rb_item(void *arg, const uint8_t *v, size_t len)
{
	struct rebuild *r = arg;

	check_value(r, v, len);
	check(r->in_list, "list item outside a list");
	vici_add_list_item(&r->out, v, len);
	return step(r);
}

static int rb_list_end(void *arg)
{
	struct rebuild *r = arg;

	check(r->in_list, "list end without list");
	r->in_list = 0;
	vici_end_list(&r->out);
	return step(r);
}

static const struct vici_visitor rebuilder = {
	rb_section, rb_section_end, rb_kv, rb_list, rb_item, rb_list_end,
};

static void fuzz_body(const uint8_t *body, size_t len, unsigned stop_at)
{
	struct rebuild r = { body, len, { NULL, 0, 0, 0 }, 0, 0, 0, stop_at };
	char err[200] = "";
	int rc;

	rc = vici_parse(body, len, &rebuilder, &r, err, sizeof(err));
	check(rc == 0 || rc == -1 || rc == STOP, "vici_parse returned something else");
	if (rc == 0) {
		check(r.depth == 0 && !r.in_list, "well formed, but sections or a list left open");
		check(!r.out.failed && r.out.len == len && (len == 0 || memcmp(r.out.data, body, len) == 0),
		      "well formed, but the rebuilt body differs");
	} else if (rc == STOP) {
		check(r.count == stop_at, "the walk did not stop where the visitor said");
	} else {
		check(strncmp(err, "malformed vici message: ", 24) == 0, "malformed without a reason");
	}
	if (rc != STOP)
		check(vici_parse(body, len, NULL, NULL, NULL, 0) == rc, "no visitor, other verdict");
	vici_buf_free(&r.out);
}

/* ---- connections ------------------------------------------------------------ */

/* What the event callback saw: a running hash of names, bodies and their verdicts. */
struct events {
	const struct vici_conn *conn;
	const char *only;            /* the one name allowed, or NULL */
	unsigned count;
	uint64_t hash;
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void on_event(void *arg, const char *event, const uint8_t *body, size_t len)
{
	struct events *e = arg;
	const struct vici_buf *in = &e->conn->in;
	int rc;

	check_name(event);
	check(!e->only || strcmp(event, e->only) == 0, "an event of another name handed over");
	check(len == 0 || (in->data && body >= in->data && len <= in->len &&
	      (size_t)(body - in->data) <= in->len - len), "event body outside the input buffer");
	rc = vici_parse(body, len, NULL, NULL, NULL, 0);
	e->count++;
	e->hash = mix(e->hash, event, strlen(event) + 1);
	e->hash = mix(e->hash, body, len);
	e->hash = mix(e->hash, &rc, sizeof(rc));
}

/* A connection whose peer end is sv[1]; 0 or -1. */
static int open_pair(struct vici_conn *c, int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*c = (struct vici_conn)VICI_CONN_INIT;
	c->fd = sv[0];
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
** The stream in pieces of `piece` bytes, read after each piece, then the
** peer's close. Returns the hash of what was delivered; err gets the error
** that ended it (the close at the latest).
*/
static uint64_t events_in_pieces(const uint8_t *s, size_t n, size_t piece, unsigned *count,
                                 char *err, size_t errlen)
{
	struct vici_conn c;
	struct events e = { &c, NULL, 0, 0xcbf29ce484222325ULL };
	size_t off = 0, k;
	int sv[2], rc = 0;

	check(open_pair(&c, sv) == 0, "socketpair (file descriptors leaking?)");
	while (off < n && rc == 0) {
		k = n - off < piece ? n - off : piece;
		check(write_all(sv[1], s + off, k) == 0, "socketpair write");
		off += k;
		rc = vici_read_events(&c, on_event, &e, err, errlen);
		check(c.in.len <= off, "more buffered than was sent");
	}
	if (rc == 0) {
		shutdown(sv[1], SHUT_WR);
		rc = vici_read_events(&c, on_event, &e, err, errlen);
	}
	check(rc == -1 && err[0], "a closed event connection not reported");
	vici_close(&c);
	close(sv[1]);
	*count = e.count;
	return e.hash;
}

static void fuzz_events(const uint8_t *s, size_t n, size_t piece)
{
	char err_whole[256] = "", err_pieces[256] = "";
	unsigned c_whole, c_pieces;
	uint64_t h_whole, h_pieces;

	h_whole = events_in_pieces(s, n, n ? n : 1, &c_whole, err_whole, sizeof(err_whole));
	if (piece < n / MAX_PIECES + 1)
		piece = n / MAX_PIECES + 1;     /* each piece costs a write and a read: bounded */
	h_pieces = events_in_pieces(s, n, piece, &c_pieces, err_pieces, sizeof(err_pieces));
	check(c_whole <= n / 6, "more events than the bytes could hold");
	check(c_whole == c_pieces && h_whole == h_pieces,
	      "events differ when the stream arrives in pieces");
	check(strcmp(err_whole, err_pieces) == 0, "the error differs when the stream arrives in pieces");
}

/* A request (or a registration) answered by the stream, then the peer's close. */
static void fuzz_request(const uint8_t *s, size_t n, unsigned opts)
{
	struct vici_conn c;
	struct vici_buf body = { NULL, 0, 0, 0 }, reply = { NULL, 0, 0, 0 };
	const char *stream = (opts & 5) == 1 ? "list-sa" : NULL;   /* a request's stream */
	struct events e = { &c, stream, 0, 0 };
	char err[256] = "";
	int sv[2], rc;

	check(open_pair(&c, sv) == 0, "socketpair (file descriptors leaking?)");
	check(write_all(sv[1], s, n) == 0, "socketpair write");
	shutdown(sv[1], SHUT_WR);
	if (opts & 4) {
		rc = vici_register(&c, "ike-updown", 2.0, err, sizeof(err));
		if (rc == 0)
			rc = vici_read_events(&c, on_event, &e, err, sizeof(err));
	} else {
		vici_add_kv_str(&body, "noblock", "yes");
		rc = vici_request(&c, "list-sas", &body, stream, on_event, &e, 2.0,
		                  opts & 2 ? NULL : &reply, err, sizeof(err));
		check(rc != 0 || vici_parse(reply.data, reply.len, NULL, NULL, NULL, 0) == 0,
		      "a request succeeded with a malformed reply");
		check(reply.len <= n, "reply longer than what was received");
	}
	check(rc == 0 || (rc == -1 && err[0]), "failed without a reason, or odd return");
	check(c.in.len <= n, "more buffered than was received");
	check(e.count <= n / 6, "more events than the bytes could hold");
	check(stream || (opts & 4) || e.count == 0, "events handed to a request that streams none");
	vici_close(&c);
	close(sv[1]);
	vici_buf_free(&body);
	vici_buf_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > STREAM_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_body(data + 1, size - 1, data[0] >> 2);
		break;
	case 1:
		if (size >= 2)
			fuzz_events(data + 2, size - 2, (size_t)data[1] + 1);
		break;
	default:
		fuzz_request(data + 1, size - 1, (unsigned)data[0] >> 2);
		break;
	}
	return 0;
}
