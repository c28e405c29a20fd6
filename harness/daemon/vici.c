/*
** vici: client side of strongSwan's VICI protocol; see vici.h for the wire
** format. Everything received goes through a bounds-checked cursor; packets
** are framed out of a per-connection input buffer so partial reads and
** several packets per read are handled the same way.
*/
#include "daemon/vici.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum elem_type {
	EL_SECTION_START = 1,
	EL_SECTION_END = 2,
	EL_KEY_VALUE = 3,
	EL_LIST_START = 4,
	EL_LIST_ITEM = 5,
	EL_LIST_END = 6,
};

#define NAME_MAX_LEN 255
#define VALUE_MAX_LEN 65535
#define READ_CHUNK 65536
#define NO_OP 0xff

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- buffers */

/* Make room for more bytes; on failure mark the buffer failed and return -1. */
static int buf_reserve(struct vici_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (more <= b->cap - b->len)
		return 0;
	if (more > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

static void buf_put(struct vici_buf *b, const void *data, size_t len)
{
	if (len == 0 || buf_reserve(b, len) < 0)
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void buf_put_u8(struct vici_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	buf_put(b, &x, 1);
}

static void buf_put_u16(struct vici_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_put(b, x, 2);
}

static void buf_put_u32(struct vici_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	buf_put(b, x, 4);
}

/* Remove n bytes at off (a consumed packet), keeping what follows. */
static void buf_cut(struct vici_buf *b, size_t off, size_t n)
{
	memmove(b->data + off, b->data + off + n, b->len - off - n);
	b->len -= n;
}

void vici_buf_free(struct vici_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void vici_buf_reset(struct vici_buf *b)
{
	if (!b)
		return;
	b->len = 0;
	b->failed = 0;
}

/* --------------------------------------------------------------- builders */

/* An 8-bit length and the name; names over 255 bytes fail the buffer. */
static void put_name(struct vici_buf *b, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n > NAME_MAX_LEN) {
		b->failed = 1;
		return;
	}
	buf_put_u8(b, (unsigned)n);
	buf_put(b, name, n);
}

static void put_value(struct vici_buf *b, const void *value, size_t len)
{
	if (len > VALUE_MAX_LEN || (len && !value)) {
		b->failed = 1;
		return;
	}
	buf_put_u16(b, (unsigned)len);
	buf_put(b, value, len);
}

void vici_add_section(struct vici_buf *b, const char *name)
{
	buf_put_u8(b, EL_SECTION_START);
	put_name(b, name);
}

void vici_end_section(struct vici_buf *b)
{
	buf_put_u8(b, EL_SECTION_END);
}

void vici_add_kv(struct vici_buf *b, const char *key, const void *value, size_t len)
{
	buf_put_u8(b, EL_KEY_VALUE);
	put_name(b, key);
	put_value(b, value, len);
}

void vici_add_kv_str(struct vici_buf *b, const char *key, const char *value)
{
	vici_add_kv(b, key, value, value ? strlen(value) : 0);
}

void vici_add_list(struct vici_buf *b, const char *name)
{
	buf_put_u8(b, EL_LIST_START);
	put_name(b, name);
}

void vici_add_list_item(struct vici_buf *b, const void *value, size_t len)
{
	buf_put_u8(b, EL_LIST_ITEM);
	put_value(b, value, len);
}

void vici_end_list(struct vici_buf *b)
{
	buf_put_u8(b, EL_LIST_END);
}

/* ----------------------------------------------------------------- cursor */

struct cursor {
	const uint8_t *p;
	size_t len, off;
};

static int cur_u8(struct cursor *c, uint8_t *v)
{
	if (c->len - c->off < 1)
		return -1;
	*v = c->p[c->off++];
	return 0;
}

static int cur_u16(struct cursor *c, uint16_t *v)
{
	if (c->len - c->off < 2)
		return -1;
	*v = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return 0;
}

static int cur_u32(struct cursor *c, uint32_t *v)
{
	const uint8_t *q;

	if (c->len - c->off < 4)
		return -1;
	q = c->p + c->off;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	c->off += 4;
	return 0;
}

static int cur_take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->len - c->off < n)
		return -1;
	*out = c->p + c->off;
	c->off += n;
	return 0;
}

/*
** An 8-bit length and a name, copied NUL-terminated into out (256 bytes).
** A name with an embedded NUL is refused: it could not be passed on as a
** C string without changing its meaning.
*/
static int cur_name(struct cursor *c, char *out)
{
	const uint8_t *p;
	uint8_t n;

	if (cur_u8(c, &n) < 0 || cur_take(c, n, &p) < 0)
		return -1;
	if (memchr(p, 0, n))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int cur_value(struct cursor *c, const uint8_t **v, size_t *len)
{
	uint16_t n;

	if (cur_u16(c, &n) < 0 || cur_take(c, n, v) < 0)
		return -1;
	*len = n;
	return 0;
}

/* ----------------------------------------------------------------- parser */

struct walk {
	struct cursor cur;
	int depth, in_list;
	const struct vici_visitor *v;
	void *arg;
	char *err;
	size_t errlen;
};

static int walk_fail(struct walk *w, size_t at, const char *what)
{
	set_err(w->err, w->errlen, "malformed vici message: %s at offset %zu", what, at);
	return -1;
}

/* SECTION_START/END: sections nest (up to a limit) but never inside a list. */
static int walk_section(struct walk *w, uint8_t type, size_t at)
{
	char name[NAME_MAX_LEN + 1];

	if (w->in_list)
		return walk_fail(w, at, "section element inside a list");
	if (type == EL_SECTION_END) {
		if (w->depth == 0)
			return walk_fail(w, at, "section end without section");
		w->depth--;
		return w->v && w->v->section_end ? w->v->section_end(w->arg) : 0;
	}
	if (cur_name(&w->cur, name) < 0)
		return walk_fail(w, at, "truncated or invalid section name");
	if (w->depth >= VICI_MAX_DEPTH)
		return walk_fail(w, at, "sections nested too deep");
	w->depth++;
	return w->v && w->v->section_start ? w->v->section_start(w->arg, name) : 0;
}

/* LIST_START/ITEM/END: lists hold only items and do not nest. */
static int walk_list(struct walk *w, uint8_t type, size_t at)
{
	char name[NAME_MAX_LEN + 1];
	const uint8_t *val;
	size_t len;

	if (type == EL_LIST_START) {
		if (w->in_list)
			return walk_fail(w, at, "nested list");
		if (cur_name(&w->cur, name) < 0)
			return walk_fail(w, at, "truncated or invalid list name");
		w->in_list = 1;
		return w->v && w->v->list_start ? w->v->list_start(w->arg, name) : 0;
	}
	if (!w->in_list)
		return walk_fail(w, at, type == EL_LIST_END ? "list end without list" :
		                 "list item outside a list");
	if (type == EL_LIST_END) {
		w->in_list = 0;
		return w->v && w->v->list_end ? w->v->list_end(w->arg) : 0;
	}
	if (cur_value(&w->cur, &val, &len) < 0)
		return walk_fail(w, at, "truncated list item");
	return w->v && w->v->list_item ? w->v->list_item(w->arg, val, len) : 0;
}

static int walk_kv(struct walk *w, size_t at)
{
	char key[NAME_MAX_LEN + 1];
	const uint8_t *val;
	size_t len;

	if (w->in_list)
		return walk_fail(w, at, "key/value inside a list");
	if (cur_name(&w->cur, key) < 0)
		return walk_fail(w, at, "truncated or invalid key");
	if (cur_value(&w->cur, &val, &len) < 0)
		return walk_fail(w, at, "truncated value");
	return w->v && w->v->key_value ? w->v->key_value(w->arg, key, val, len) : 0;
}

int vici_parse(const uint8_t *body, size_t len, const struct vici_visitor *v, void *arg,
               char *err, size_t errlen)
{
	struct walk w = { { body, body ? len : 0, 0 }, 0, 0, v, arg, err, errlen };
	uint8_t type;
	size_t at;
	int rc;

	while (w.cur.off < w.cur.len) {
		at = w.cur.off;
		(void)cur_u8(&w.cur, &type);
		if (type == EL_SECTION_START || type == EL_SECTION_END)
			rc = walk_section(&w, type, at);
		else if (type == EL_KEY_VALUE)
			rc = walk_kv(&w, at);
		else if (type >= EL_LIST_START && type <= EL_LIST_END)
			rc = walk_list(&w, type, at);
		else
			rc = walk_fail(&w, at, "unknown element type");
		if (rc != 0)
			return rc;
	}
	if (w.in_list)
		return walk_fail(&w, w.cur.off, "unterminated list");
	if (w.depth)
		return walk_fail(&w, w.cur.off, "unterminated section");
	return 0;
}

/* ---------------------------------------------------------------- packets */

static int op_is_named(uint8_t op)
{
	return op == VICI_CMD_REQUEST || op == VICI_EVENT_REGISTER ||
	       op == VICI_EVENT_UNREGISTER || op == VICI_EVENT;
}

struct packet {
	uint8_t op;
	char name[NAME_MAX_LEN + 1];
	const uint8_t *body;
	size_t body_len;
	size_t total;             /* bytes of the packet including the length field */
};

/*
** Frame the packet starting at off in the input buffer. Returns 1 when it is
** complete (p filled), 0 when more bytes are needed, -1 for an oversize or
** malformed packet. The size check happens on the length field alone, so an
** oversize packet is refused before any of it is buffered.
*/
static int packet_at(const struct vici_buf *in, size_t off, struct packet *p,
                     char *err, size_t errlen)
{
	struct cursor c;
	uint32_t n;

	if (in->len - off < 4)
		return 0;             /* also keeps a never-filled (NULL) buffer out of the arithmetic */
	c = (struct cursor){ in->data + off, in->len - off, 0 };
	(void)cur_u32(&c, &n);
	if (n == 0 || n > VICI_MSG_MAX) {
		set_err(err, errlen, "vici packet length %u out of range (1..%u)", n, VICI_MSG_MAX);
		return -1;
	}
	if (c.len - c.off < n)
		return 0;
	c.len = c.off + n;
	(void)cur_u8(&c, &p->op);
	p->name[0] = '\0';
	if (p->op > VICI_EVENT) {
		set_err(err, errlen, "unknown vici packet type %u", p->op);
		return -1;
	}
	if (op_is_named(p->op) && cur_name(&c, p->name) < 0) {
		set_err(err, errlen, "truncated or invalid vici packet name");
		return -1;
	}
	p->body = c.p + c.off;
	p->body_len = c.len - c.off;
	p->total = c.len;
	return 1;
}

/* ------------------------------------------------------------ connections */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait until fd is ready for events or the deadline passes (-1, "timeout"). */
static int conn_wait(struct vici_conn *c, short events, double deadline, char *err, size_t errlen)
{
	struct pollfd pfd = { c->fd, events, 0 };
	double left;
	int rc;

	for (;;) {
		left = deadline - now_mono();
		if (left <= 0) {
			set_err(err, errlen, "vici: timeout");
			return -1;
		}
		rc = poll(&pfd, 1, (int)(left * 1000.0) + 1);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			set_err(err, errlen, "vici: poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* Read what is available without blocking: >0 bytes read, 0 nothing, -1 closed/error. */
static int conn_recv(struct vici_conn *c, char *err, size_t errlen)
{
	ssize_t n;

	if (c->in.len > VICI_IN_MAX) {
		set_err(err, errlen, "vici: more than %u unread bytes buffered", VICI_IN_MAX);
		return -1;
	}
	if (buf_reserve(&c->in, READ_CHUNK) < 0) {
		set_err(err, errlen, "vici: out of memory");
		return -1;
	}
	do
		n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in.len += (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == 0)
		set_err(err, errlen, "vici: connection closed by peer");
	else
		set_err(err, errlen, "vici: read: %s", strerror(errno));
	return -1;
}

/* Build one packet and write all of it before the deadline. */
static int conn_send(struct vici_conn *c, uint8_t op, const char *name,
                     const struct vici_buf *body, double deadline, char *err, size_t errlen)
{
	struct vici_buf pkt = { NULL, 0, 0, 0 };
	size_t blen = body ? body->len : 0, done = 0;
	ssize_t n;
	int rc = -1;

	if (body && body->failed) {
		set_err(err, errlen, "vici: request body incomplete (field too long or out of memory)");
		return -1;
	}
	buf_put_u32(&pkt, 0);
	buf_put_u8(&pkt, op);
	if (op_is_named(op))
		put_name(&pkt, name);
	if (blen)
		buf_put(&pkt, body->data, blen);
	if (pkt.failed || pkt.len - 4 > VICI_MSG_MAX) {
		set_err(err, errlen, "vici: packet too long or out of memory");
		goto out;
	}
	pkt.data[0] = (uint8_t)((pkt.len - 4) >> 24);
	pkt.data[1] = (uint8_t)((pkt.len - 4) >> 16);
	pkt.data[2] = (uint8_t)((pkt.len - 4) >> 8);
	pkt.data[3] = (uint8_t)(pkt.len - 4);
	while (done < pkt.len) {
		n = send(c->fd, pkt.data + done, pkt.len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (conn_wait(c, POLLOUT, deadline, err, errlen) < 0)
				goto out;
		} else if (n < 0 && errno != EINTR) {
			set_err(err, errlen, "vici: write: %s", strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	vici_buf_free(&pkt);
	return rc;
}

/* What a scan over the input buffer is looking for. */
struct waiter {
	const char *stream;       /* EVENTs of this name go to on_event */
	int all_events;           /* every EVENT goes to on_event */
	vici_event_fn on_event;
	void *arg;
	uint8_t want_a, want_b;   /* packet types that end the wait (NO_OP: none) */
	struct vici_buf *reply;   /* body of the ending packet copied here, if not NULL */
	uint8_t got;              /* which one ended it */
};

/*
** Walk the complete packets buffered so far. Events the waiter wants are
** handed over and removed; other events are left in place for a later
** vici_read_events (a request must not eat events that an event loop
** registered for). Returns 1 when an awaited packet was found and removed,
** 0 when more input is needed, -1 on a malformed or unexpected packet.
*/
static int conn_scan(struct vici_conn *c, struct waiter *w, char *err, size_t errlen)
{
	struct packet p;
	size_t off = 0;
	int rc;

	while ((rc = packet_at(&c->in, off, &p, err, errlen)) == 1) {
		if (p.op == VICI_EVENT) {
			if (!w->all_events && !(w->stream && strcmp(p.name, w->stream) == 0)) {
				off += p.total;
				continue;
			}
			if (w->on_event)
				w->on_event(w->arg, p.name, p.body, p.body_len);
			buf_cut(&c->in, off, p.total);
			continue;
		}
		if (p.op != w->want_a && p.op != w->want_b) {
			set_err(err, errlen, "vici: unexpected packet type %u", p.op);
			return -1;
		}
		w->got = p.op;
		if (w->reply) {
			vici_buf_reset(w->reply);
			buf_put(w->reply, p.body, p.body_len);
			if (w->reply->failed) {
				set_err(err, errlen, "vici: out of memory");
				return -1;
			}
		}
		buf_cut(&c->in, off, p.total);
		return 1;
	}
	return rc;
}

/* Scan, and read more until the awaited packet arrives or the deadline passes. */
static int conn_await(struct vici_conn *c, struct waiter *w, double deadline,
                      char *err, size_t errlen)
{
	int rc;

	for (;;) {
		rc = conn_scan(c, w, err, errlen);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		if (conn_wait(c, POLLIN, deadline, err, errlen) < 0)
			return -1;
		if (conn_recv(c, err, errlen) < 0)
			return -1;
	}
}

/* (Un)register for an event and wait for EVENT_CONFIRM; stream events meanwhile go to w. */
static int conn_subscribe(struct vici_conn *c, uint8_t op, const char *event, struct waiter *w,
                          double deadline, char *err, size_t errlen)
{
	struct waiter sub = *w;

	sub.want_a = VICI_EVENT_CONFIRM;
	sub.want_b = VICI_EVENT_UNKNOWN;
	sub.reply = NULL;
	if (conn_send(c, op, event, NULL, deadline, err, errlen) < 0 ||
	    conn_await(c, &sub, deadline, err, errlen) < 0)
		return -1;
	if (sub.got == VICI_EVENT_UNKNOWN) {
		set_err(err, errlen, "vici: unknown event '%s'", event);
		return -1;
	}
	return 0;
}

static int check_conn(const struct vici_conn *c, const char *name, char *err, size_t errlen)
{
	if (!c || c->fd < 0) {
		set_err(err, errlen, "vici: not connected");
		return -1;
	}
	if (!name || strlen(name) > NAME_MAX_LEN) {
		set_err(err, errlen, "vici: missing or too long name");
		return -1;
	}
	return 0;
}

int vici_connect(struct vici_conn *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->fd = -1;
	c->in = (struct vici_buf){ NULL, 0, 0, 0 };
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen, "vici: socket path missing or too long");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		set_err(err, errlen, "vici: socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		set_err(err, errlen, "vici: connect %s: %s", path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void vici_close(struct vici_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	vici_buf_free(&c->in);
}

/*
** The request proper: send it, collect stream events, and take the response.
** CMD_UNKNOWN and a malformed response body are failures.
*/
static int request_once(struct vici_conn *c, const char *cmd, const struct vici_buf *body,
                        struct waiter *w, double deadline, char *err, size_t errlen)
{
	w->want_a = VICI_CMD_RESPONSE;
	w->want_b = VICI_CMD_UNKNOWN;
	if (conn_send(c, VICI_CMD_REQUEST, cmd, body, deadline, err, errlen) < 0 ||
	    conn_await(c, w, deadline, err, errlen) < 0)
		return -1;
	if (w->got == VICI_CMD_UNKNOWN) {
		set_err(err, errlen, "vici: unknown command '%s'", cmd);
		return -1;
	}
	if (vici_parse(w->reply->data, w->reply->len, NULL, NULL, err, errlen) != 0)
		return -1;
	return 0;
}

int vici_request(struct vici_conn *c, const char *cmd, const struct vici_buf *body,
                 const char *stream_event, vici_event_fn on_event, void *arg,
                 double timeout, struct vici_buf *reply, char *err, size_t errlen)
{
	struct vici_buf scratch = { NULL, 0, 0, 0 };
	struct waiter w = { stream_event, 0, on_event, arg, NO_OP, NO_OP,
	                    reply ? reply : &scratch, NO_OP };
	double deadline = now_mono() + timeout;
	int rc;

	if (check_conn(c, cmd, err, errlen) < 0 ||
	    (stream_event && check_conn(c, stream_event, err, errlen) < 0))
		return -1;
	if (stream_event &&
	    conn_subscribe(c, VICI_EVENT_REGISTER, stream_event, &w, deadline, err, errlen) < 0)
		return -1;
	rc = request_once(c, cmd, body, &w, deadline, err, errlen);
	/* After a timeout the connection is out of step; only unregister when it is not. */
	if (stream_event && (rc == 0 || w.got == VICI_CMD_UNKNOWN)) {
		char uerr[128];

		if (conn_subscribe(c, VICI_EVENT_UNREGISTER, stream_event, &w, deadline,
		                   uerr, sizeof(uerr)) < 0 && rc == 0) {
			set_err(err, errlen, "%s", uerr);
			rc = -1;
		}
	}
	vici_buf_free(&scratch);
	return rc;
}

int vici_register(struct vici_conn *c, const char *event, double timeout, char *err, size_t errlen)
{
	struct waiter w = { NULL, 0, NULL, NULL, NO_OP, NO_OP, NULL, NO_OP };

	if (check_conn(c, event, err, errlen) < 0)
		return -1;
	return conn_subscribe(c, VICI_EVENT_REGISTER, event, &w, now_mono() + timeout, err, errlen);
}

int vici_read_events(struct vici_conn *c, vici_event_fn on_event, void *arg, char *err, size_t errlen)
{
	struct waiter w = { NULL, 1, on_event, arg, NO_OP, NO_OP, NULL, NO_OP };
	int i, rc;

	if (!c || c->fd < 0) {
		set_err(err, errlen, "vici: not connected");
		return -1;
	}
	/* Bounded so a flooding peer cannot keep the caller's loop here forever. */
	for (i = 0; i < 64; i++) {
		if (conn_scan(c, &w, err, errlen) < 0)
			return -1;
		rc = conn_recv(c, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	return conn_scan(c, &w, err, errlen) < 0 ? -1 : 0;
}
