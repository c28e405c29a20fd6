/*
** test_vici: the VICI encoder/decoder and the client framing. Bodies are
** checked against the encoding example of strongSwan's VICI README; the
** client is driven against a scripted peer (a forked child on a socketpair)
** that checks what it receives and answers in awkward pieces.
*/
#include "daemon/vici.h"
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- recorder */

/* A visitor that writes what it sees as text, e.g. "{s k=v [l i ] }". */
struct trace {
	char s[8192];
	int stop_at;              /* stop (return 7) at this event number; 0 never */
	int events;
};

static int tr_add(struct trace *t, const char *a, const uint8_t *v, size_t len)
{
	size_t n = strlen(t->s), i;

	snprintf(t->s + n, sizeof(t->s) - n, "%s%s", n ? " " : "", a);
	for (i = 0; v && i < len; i++) {
		n = strlen(t->s);
		if (v[i] >= 0x20 && v[i] < 0x7f)
			snprintf(t->s + n, sizeof(t->s) - n, "%c", v[i]);
		else
			snprintf(t->s + n, sizeof(t->s) - n, "\\%02x", v[i]);
	}
	return ++t->events == t->stop_at ? 7 : 0;
}

static int tr_sec(void *arg, const char *name)
{
	char b[300];

	snprintf(b, sizeof(b), "{%s", name);
	return tr_add(arg, b, NULL, 0);
}

static int tr_end(void *arg)
{
	return tr_add(arg, "}", NULL, 0);
}

static int tr_kv(void *arg, const char *key, const uint8_t *v, size_t len)
{
	char b[300];

	snprintf(b, sizeof(b), "%s=", key);
	return tr_add(arg, b, v, len);
}

static int tr_list(void *arg, const char *name)
{
	char b[300];

	snprintf(b, sizeof(b), "[%s", name);
	return tr_add(arg, b, NULL, 0);
}

static int tr_item(void *arg, const uint8_t *v, size_t len)
{
	return tr_add(arg, "", v, len);
}

static int tr_lend(void *arg)
{
	return tr_add(arg, "]", NULL, 0);
}

static const struct vici_visitor tracer = { tr_sec, tr_end, tr_kv, tr_list, tr_item, tr_lend };

static int parse_trace(const uint8_t *b, size_t len, struct trace *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	return vici_parse(b, len, &tracer, t, err, errlen);
}

/* ------------------------------------------------------- encoding tests */

/* The example from strongSwan's src/libcharon/plugins/vici/README.md. */
static const uint8_t readme_msg[] = {
	3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
	1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
	1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
	3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
	2,
	4, 5, 'l', 'i', 's', 't', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '2',
	6,
	2,
};

static void test_readme_example(void)
{
	struct vici_buf b = { 0 };
	struct trace t;
	char err[200] = "";

	vici_add_kv_str(&b, "key1", "value1");
	vici_add_section(&b, "section1");
	vici_add_section(&b, "sub-section");
	vici_add_kv_str(&b, "key2", "value2");
	vici_end_section(&b);
	vici_add_list(&b, "list1");
	vici_add_list_item(&b, "item1", 5);
	vici_add_list_item(&b, "item2", 5);
	vici_end_list(&b);
	vici_end_section(&b);
	ok(!b.failed, "builder: README example built");
	is_int(b.len, sizeof(readme_msg), "builder: README example length");
	ok(b.len == sizeof(readme_msg) && memcmp(b.data, readme_msg, b.len) == 0,
	   "builder: README example bytes identical");
	is_int(parse_trace(readme_msg, sizeof(readme_msg), &t, err, sizeof(err)), 0,
	       "parse: README example is well formed");
	is_str(t.s, "key1=value1 {section1 {sub-section key2=value2 } [list1 item1 item2 ] }",
	       "parse: README example tree");
	vici_buf_free(&b);
}

static void test_round_trip(void)
{
	struct vici_buf b = { 0 };
	struct trace t;
	char err[200] = "", name[300];
	static uint8_t big[65536];

	vici_add_kv(&b, "bin", "a\0b", 3);
	vici_add_kv(&b, "empty", NULL, 0);
	vici_add_list(&b, "none");
	vici_end_list(&b);
	vici_add_section(&b, "a");
	vici_add_section(&b, "b");
	vici_add_list(&b, "l");
	vici_add_list_item(&b, "", 0);
	vici_add_list_item(&b, "x", 1);
	vici_end_list(&b);
	vici_end_section(&b);
	vici_add_kv_str(&b, "k", "v");
	vici_end_section(&b);
	ok(!b.failed, "round trip: built");
	is_int(parse_trace(b.data, b.len, &t, err, sizeof(err)), 0, "round trip: parses");
	is_str(t.s, "bin=a\\00b empty= [none ] {a {b [l  x ] } k=v }", "round trip: same tree");
	is_int(vici_parse(NULL, 0, &tracer, &t, err, sizeof(err)), 0, "empty body is valid");

	vici_buf_reset(&b);
	memset(name, 'n', 255);
	name[255] = '\0';
	vici_add_kv(&b, name, big, sizeof(big) - 1);
	ok(!b.failed, "255-byte name and 65535-byte value accepted");
	is_int(parse_trace(b.data, b.len, &t, err, sizeof(err)), 0, "longest fields parse");
	vici_buf_reset(&b);
	name[255] = 'n';
	name[256] = '\0';
	vici_add_section(&b, name);
	ok(b.failed, "256-byte name fails the buffer");
	vici_buf_reset(&b);
	ok(!b.failed && b.len == 0, "reset clears failure");
	vici_add_list_item(&b, big, sizeof(big));
	ok(b.failed, "65536-byte value fails the buffer");
	vici_buf_free(&b);
	vici_buf_free(&b);
	vici_buf_free(NULL);
	vici_buf_reset(NULL);
	ok(b.data == NULL && b.len == 0, "free is idempotent and takes NULL");
}

static void test_visitor_stop(void)
{
	struct trace t;

	memset(&t, 0, sizeof(t));
	t.stop_at = 3;
	is_int(vici_parse(readme_msg, sizeof(readme_msg), &tracer, &t, NULL, 0), 7,
	       "visitor's non-zero value is returned");
	is_str(t.s, "key1=value1 {section1 {sub-section", "walk stopped at that element");
	is_int(vici_parse(readme_msg, sizeof(readme_msg), NULL, NULL, NULL, 0), 0,
	       "NULL visitor validates only");
}

struct bad_case {
	const char *what;
	const char *bytes;
	size_t len;
	const char *reason;
};

#define B(s) s, sizeof(s) - 1

static const struct bad_case bad_cases[] = {
	{ "type byte only", B("\x03"), "truncated or invalid key" },
	{ "key longer than what is left", B("\x03\x05ke"), "truncated or invalid key" },
	{ "value length cut in half", B("\x03\x01k\x00"), "truncated value" },
	{ "value longer than what is left", B("\x03\x01k\x00\x0a" "abc"), "truncated value" },
	{ "section name longer than left", B("\x01\x09sec"), "truncated or invalid section name" },
	{ "list name missing", B("\x04"), "truncated or invalid list name" },
	{ "list item truncated", B("\x04\x01l\x05\x00"), "truncated list item" },
	{ "section end without start", B("\x02"), "section end without section" },
	{ "unterminated section", B("\x01\x01s"), "unterminated section" },
	{ "one end for two sections", B("\x01\x01s\x01\x01t\x02"), "unterminated section" },
	{ "unterminated list", B("\x04\x01l\x05\x00\x00"), "unterminated list" },
	{ "list item outside a list", B("\x05\x00\x01x"), "list item outside a list" },
	{ "list end without list", B("\x06"), "list end without list" },
	{ "key/value inside a list", B("\x04\x01l\x03\x01k\x00\x00\x06"), "key/value inside a list" },
	{ "section inside a list", B("\x04\x01l\x01\x01s\x02\x06"), "section element inside a list" },
	{ "section end inside a list", B("\x01\x01s\x04\x01l\x02"), "section element inside a list" },
	{ "nested list", B("\x04\x01l\x04\x01m\x06\x06"), "nested list" },
	{ "element type 0", B("\x00"), "unknown element type" },
	{ "element type 7", B("\x07"), "unknown element type" },
	{ "element type 255", B("\x03\x01k\x00\x00\xff"), "unknown element type at offset 5" },
	{ "NUL inside a name", B("\x03\x02k\x00\x00\x00"), "truncated or invalid key" },
};

static void test_malformed(void)
{
	size_t i;
	char err[200], what[200];
	uint8_t deep[2 * (VICI_MAX_DEPTH + 1) * 3];
	size_t n = 0;
	int d, rc;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];

		err[0] = '\0';
		rc = vici_parse((const uint8_t *)bc->bytes, bc->len, &tracer,
		                &(struct trace){ .s = "" }, err, sizeof(err));
		snprintf(what, sizeof(what), "malformed: %s -> -1 '%s'", bc->what, bc->reason);
		ok(rc == -1 && strstr(err, bc->reason), what);
		if (rc != -1 || !strstr(err, bc->reason))
			printf("#   rc %d, err '%s'\n", rc, err);
	}
	for (d = 0; d < VICI_MAX_DEPTH; d++) {
		deep[n++] = 1, deep[n++] = 1, deep[n++] = 's';
	}
	memset(deep + n, 2, VICI_MAX_DEPTH);
	is_int(vici_parse(deep, n + VICI_MAX_DEPTH, NULL, NULL, err, sizeof(err)), 0,
	       "nesting at the depth limit is accepted");
	deep[n++] = 1, deep[n++] = 1, deep[n++] = 's';
	memset(deep + n, 2, VICI_MAX_DEPTH + 1);
	rc = vici_parse(deep, n + VICI_MAX_DEPTH + 1, NULL, NULL, err, sizeof(err));
	ok(rc == -1 && strstr(err, "too deep"), "nesting past the depth limit is refused");
}

/* Every prefix of a valid body and many random bodies: only 0 or -1, no crash. */
static void test_fuzz(void)
{
	uint8_t buf[64];
	unsigned seed = 12345, i, j;
	size_t len;
	int rc, bad = 0, zero = 0;

	for (len = 0; len < sizeof(readme_msg); len++) {
		rc = vici_parse(readme_msg, len, &tracer, &(struct trace){ .s = "" }, NULL, 0);
		/* only the empty body and "key1=value1" (14 bytes) end on a boundary */
		bad += rc != ((len == 0 || len == 14) ? 0 : -1);
	}
	is_int(bad, 0, "strict prefixes of the README example: refused unless on a top-level boundary");
	bad = 0;
	for (i = 0; i < 20000; i++) {
		len = rand_r(&seed) % sizeof(buf);
		for (j = 0; j < len; j++) {
			unsigned r = (unsigned)rand_r(&seed);
			/* mostly element types and short lengths so deep paths are reached */
			buf[j] = (uint8_t)(r % 4 ? r % 8 : r >> 8);
		}
		rc = vici_parse(buf, len, &tracer, &(struct trace){ .s = "" }, NULL, 0);
		bad += rc != 0 && rc != -1;
		zero += rc == 0;
	}
	is_int(bad, 0, "20000 random bodies: result is always 0 or -1");
	ok(zero > 0, "random bodies: some are well formed (the walk reaches the end)");
}

/* -------------------------------------------------------- packet helpers */

/* A whole packet: length, op, optional name, body. */
static size_t make_packet(uint8_t *out, size_t cap, int op, const char *name,
                          const uint8_t *body, size_t blen)
{
	size_t n = 5, nl = name ? strlen(name) : 0;

	if (name)
		n += 1 + nl;
	n += blen;
	if (n > cap)
		abort();
	out[0] = (uint8_t)((n - 4) >> 24);
	out[1] = (uint8_t)((n - 4) >> 16);
	out[2] = (uint8_t)((n - 4) >> 8);
	out[3] = (uint8_t)(n - 4);
	out[4] = (uint8_t)op;
	if (name) {
		out[5] = (uint8_t)nl;
		memcpy(out + 6, name, nl);
	}
	if (blen)
		memcpy(out + n - blen, body, blen);
	return n;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	ssize_t w;

	while (n) {
		w = write(fd, q, n);
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *q = p;
	ssize_t r;

	while (n) {
		r = read(fd, q, n);
		if (r <= 0)
			return -1;
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Events seen by a callback. */
struct seen {
	int count;
	char names[512];
	char last_body[8192];
};

static void on_ev(void *arg, const char *event, const uint8_t *body, size_t len)
{
	struct seen *s = arg;
	struct trace t;
	size_t n = strlen(s->names);

	s->count++;
	snprintf(s->names + n, sizeof(s->names) - n, "%s%s", n ? "," : "", event);
	if (parse_trace(body, len, &t, NULL, 0) == 0)
		snprintf(s->last_body, sizeof(s->last_body), "%s", t.s);
	else
		snprintf(s->last_body, sizeof(s->last_body), "(malformed)");
}

/* ------------------------------------------------ event framing tests */

static void test_event_framing(void)
{
	struct vici_conn c = VICI_CONN_INIT;
	struct vici_buf body = { 0 };
	struct seen s;
	uint8_t pk[256], two[512];
	char err[200];
	size_t n, m, i;
	int sv[2], rc, early = 0;

	vici_add_kv_str(&body, "up", "yes");
	n = make_packet(pk, sizeof(pk), VICI_EVENT, "ike-updown", body.data, body.len);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	c.fd = sv[0];
	memset(&s, 0, sizeof(s));
	for (i = 0; i < n; i++) {
		rc = write_all(sv[1], pk + i, 1);
		rc |= vici_read_events(&c, on_ev, &s, err, sizeof(err));
		if (i + 1 < n)
			early += s.count != 0 || rc != 0;
	}
	is_int(early, 0, "event split byte by byte: nothing delivered before the last byte");
	is_int(s.count, 1, "event split byte by byte: delivered once complete");
	is_str(s.names, "ike-updown", "event name decoded");
	is_str(s.last_body, "up=yes", "event body decoded");
	is_int(c.in.len, 0, "nothing left buffered");

	memset(&s, 0, sizeof(s));
	m = make_packet(two, sizeof(two), VICI_EVENT, "child-updown", NULL, 0);
	memcpy(two + m, pk, n);
	write_all(sv[1], two, m + n);
	is_int(vici_read_events(&c, on_ev, &s, err, sizeof(err)), 0, "two events in one write");
	is_str(s.names, "child-updown,ike-updown", "both delivered in order");

	memset(&s, 0, sizeof(s));
	is_int(vici_read_events(&c, on_ev, &s, err, sizeof(err)), 0, "nothing to read: 0");
	is_int(s.count, 0, "nothing to read: no callback");

	/* events before a close are delivered, then the close is reported */
	write_all(sv[1], pk, n);
	close(sv[1]);
	rc = vici_read_events(&c, on_ev, &s, err, sizeof(err));
	ok(rc == -1 && strstr(err, "closed"), "peer close reported");
	is_int(s.count, 1, "event sent before the close still delivered");
	vici_close(&c);
	vici_close(&c);
	is_int(c.fd, -1, "close is idempotent");
	vici_buf_free(&body);
}

/* One bad input on an event connection must be refused with reason. */
static void expect_bad_stream(const uint8_t *bytes, size_t n, const char *reason, const char *what)
{
	struct vici_conn c = VICI_CONN_INIT;
	struct seen s;
	char err[200] = "";
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	c.fd = sv[0];
	memset(&s, 0, sizeof(s));
	write_all(sv[1], bytes, n);
	rc = vici_read_events(&c, on_ev, &s, err, sizeof(err));
	ok(rc == -1 && strstr(err, reason) && s.count == 0, what);
	if (rc != -1 || !strstr(err, reason))
		printf("#   rc %d err '%s'\n", rc, err);
	close(sv[1]);
	vici_close(&c);
}

static void test_bad_streams(void)
{
	static const uint8_t over[] = { 0, 8, 0, 1 }, zero[] = { 0, 0, 0, 0 };
	uint8_t pk[64];
	size_t n;

	expect_bad_stream(over, 4, "out of range", "oversize length refused from header alone");
	expect_bad_stream(zero, 4, "out of range", "zero-length packet refused");
	n = make_packet(pk, sizeof(pk), 9, NULL, NULL, 0);
	expect_bad_stream(pk, n, "unknown vici packet type", "unknown packet type refused");
	n = make_packet(pk, sizeof(pk), VICI_CMD_RESPONSE, NULL, NULL, 0);
	expect_bad_stream(pk, n, "unexpected packet", "response on an event connection refused");
	n = make_packet(pk, sizeof(pk), VICI_EVENT, NULL, NULL, 0);
	expect_bad_stream(pk, n, "invalid vici packet name", "EVENT without its name refused");
	pk[0] = 0, pk[1] = 0, pk[2] = 0, pk[3] = 3, pk[4] = VICI_EVENT, pk[5] = 5, pk[6] = 'a';
	expect_bad_stream(pk, 7, "invalid vici packet name", "name longer than the packet refused");
}

/* ------------------------------------------------- scripted peer tests */

/* Read one packet in the peer; returns op or -1. name and body are filled. */
static int peer_read(int fd, char *name, uint8_t *body, size_t cap, size_t *blen)
{
	uint8_t h[4], op, nl = 0;
	uint32_t n;

	if (read_all(fd, h, 4) < 0 || read_all(fd, &op, 1) < 0)
		return -1;
	n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	name[0] = '\0';
	if (op == 0 || op == 3 || op == 4 || op == 7) {
		if (read_all(fd, &nl, 1) < 0 || read_all(fd, name, nl) < 0)
			return -1;
		name[nl] = '\0';
		n -= 1 + nl;
	}
	if (n - 1 > cap || read_all(fd, body, n - 1) < 0)
		return -1;
	*blen = n - 1;
	return op;
}

/* Expect a packet of this op and name; exit the peer with code on mismatch. */
static void peer_expect(int fd, int op, const char *name, int code)
{
	char nm[256];
	uint8_t body[1024];
	size_t blen;

	if (peer_read(fd, nm, body, sizeof(body), &blen) != op || strcmp(nm, name) != 0)
		_exit(code);
}

static void peer_send(int fd, int op, const char *name, const uint8_t *body, size_t blen)
{
	uint8_t pk[2048];
	size_t n = make_packet(pk, sizeof(pk), op, name, body, blen);

	if (write_all(fd, pk, n) < 0)
		_exit(90);
}

typedef void (*peer_fn)(int fd);

/* Run the client side against a forked peer; returns the peer's exit status. */
static int with_peer(peer_fn peer, struct vici_conn *c)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(sv[0]);
		peer(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	*c = (struct vici_conn)VICI_CONN_INIT;
	c->fd = sv[0];
	return (int)pid;
}

static int peer_status(int pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void peer_version(int fd)
{
	static const uint8_t want[] = { 3, 1, 'a', 0, 1, 'b' };
	struct vici_buf r = { 0 };
	uint8_t body[64], pk[256];
	char nm[256];
	size_t blen, n, i;
	struct timespec ms = { 0, 1000000 };

	if (peer_read(fd, nm, body, sizeof(body), &blen) != VICI_CMD_REQUEST)
		_exit(1);
	if (strcmp(nm, "version") || blen != sizeof(want) || memcmp(body, want, blen))
		_exit(2);
	vici_add_kv_str(&r, "daemon", "charon");
	vici_add_kv_str(&r, "version", "5.9.8");
	n = make_packet(pk, sizeof(pk), VICI_CMD_RESPONSE, NULL, r.data, r.len);
	for (i = 0; i < n; i++) {
		write_all(fd, pk + i, 1);
		nanosleep(&ms, NULL);
	}
	vici_buf_free(&r);
}

static void test_request_simple(void)
{
	struct vici_conn c;
	struct vici_buf req = { 0 }, reply = { 0 };
	struct trace t;
	char err[200] = "";
	int pid, rc;

	vici_add_kv_str(&req, "a", "b");
	pid = with_peer(peer_version, &c);
	rc = vici_request(&c, "version", &req, NULL, NULL, NULL, 5.0, &reply, err, sizeof(err));
	is_int(rc, 0, "request: response split byte by byte is assembled");
	parse_trace(reply.data, reply.len, &t, NULL, 0);
	is_str(t.s, "daemon=charon version=5.9.8", "request: reply body");
	is_int(peer_status(pid), 0, "request: peer saw CMD_REQUEST 'version' with the body");
	vici_close(&c);
	vici_buf_free(&req);
	vici_buf_free(&reply);
}

static void peer_stream(int fd)
{
	struct vici_buf a = { 0 }, b = { 0 };
	uint8_t pk[1024];
	size_t n = 0;

	peer_expect(fd, VICI_EVENT_REGISTER, "list-sa", 1);
	peer_send(fd, VICI_EVENT_CONFIRM, NULL, NULL, 0);
	peer_expect(fd, VICI_CMD_REQUEST, "list-sas", 2);
	vici_add_section(&a, "gw");
	vici_add_kv_str(&a, "state", "ESTABLISHED");
	vici_end_section(&a);
	vici_add_kv_str(&b, "up", "yes");
	/* stream events, an unrelated event and the response all in one write */
	n += make_packet(pk + n, sizeof(pk) - n, VICI_EVENT, "list-sa", a.data, a.len);
	n += make_packet(pk + n, sizeof(pk) - n, VICI_EVENT, "ike-updown", b.data, b.len);
	n += make_packet(pk + n, sizeof(pk) - n, VICI_EVENT, "list-sa", a.data, a.len);
	n += make_packet(pk + n, sizeof(pk) - n, VICI_CMD_RESPONSE, NULL, NULL, 0);
	write_all(fd, pk, n);
	peer_expect(fd, VICI_EVENT_UNREGISTER, "list-sa", 3);
	peer_send(fd, VICI_EVENT_CONFIRM, NULL, NULL, 0);
	vici_buf_free(&a);
	vici_buf_free(&b);
}

static void test_request_stream(void)
{
	struct vici_conn c;
	struct vici_buf reply = { 0 };
	struct seen s, later;
	char err[200] = "";
	int pid, rc;

	memset(&s, 0, sizeof(s));
	memset(&later, 0, sizeof(later));
	pid = with_peer(peer_stream, &c);
	rc = vici_request(&c, "list-sas", NULL, "list-sa", on_ev, &s, 5.0, &reply, err, sizeof(err));
	is_int(rc, 0, "stream: request completes");
	is_str(s.names, "list-sa,list-sa", "stream: both list-sa events handed over, in order");
	is_str(s.last_body, "{gw state=ESTABLISHED }", "stream: event body");
	is_int(reply.len, 0, "stream: empty response body");
	is_int(peer_status(pid), 0, "stream: peer saw register, request, unregister");
	rc = vici_read_events(&c, on_ev, &later, err, sizeof(err));
	is_str(later.names, "ike-updown", "stream: unrelated event kept for vici_read_events");
	vici_close(&c);
	vici_buf_free(&reply);
}

static void peer_unknown_cmd(int fd)
{
	peer_expect(fd, VICI_EVENT_REGISTER, "control-log", 1);
	peer_send(fd, VICI_EVENT_CONFIRM, NULL, NULL, 0);
	peer_expect(fd, VICI_CMD_REQUEST, "nosuch", 2);
	peer_send(fd, VICI_CMD_UNKNOWN, NULL, NULL, 0);
	peer_expect(fd, VICI_EVENT_UNREGISTER, "control-log", 3);
	peer_send(fd, VICI_EVENT_CONFIRM, NULL, NULL, 0);
}

static void peer_unknown_event(int fd)
{
	peer_expect(fd, VICI_EVENT_REGISTER, "nosuch-event", 1);
	peer_send(fd, VICI_EVENT_UNKNOWN, NULL, NULL, 0);
}

static void peer_silent(int fd)
{
	char b[1];

	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
	(void)read(fd, b, 1);   /* until the client closes */
}

static void peer_close(int fd)
{
	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
}

static void peer_bad_body(int fd)
{
	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
	peer_send(fd, VICI_CMD_RESPONSE, NULL, (const uint8_t *)"\x01\x01s", 3);
}

static void peer_oversize(int fd)
{
	static const uint8_t h[] = { 0, 8, 0, 1, VICI_CMD_RESPONSE };

	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
	write_all(fd, h, sizeof(h));
}

static void peer_wrong_type(int fd)
{
	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
	peer_send(fd, VICI_EVENT_CONFIRM, NULL, NULL, 0);
}

/* A response of exactly VICI_MSG_MAX bytes: key/values of "k" filling it. */
static void peer_max(int fd)
{
	uint32_t total = VICI_MSG_MAX, left = VICI_MSG_MAX - 1;
	uint8_t h[5] = { (uint8_t)(total >> 24), (uint8_t)(total >> 16), (uint8_t)(total >> 8),
	                 (uint8_t)total, VICI_CMD_RESPONSE };
	static uint8_t el[5 + 60000];
	uint32_t v;

	peer_expect(fd, VICI_CMD_REQUEST, "version", 1);
	write_all(fd, h, 5);
	while (left) {
		v = left > 60005 ? 60000 : left - 5;
		el[0] = 3, el[1] = 1, el[2] = 'k', el[3] = (uint8_t)(v >> 8), el[4] = (uint8_t)v;
		memset(el + 5, 'x', v);
		if (write_all(fd, el, 5 + v) < 0)
			_exit(2);
		left -= 5 + v;
	}
}

/* A request against a peer script: check rc, the error and the peer's verdict. */
static void run_failing(peer_fn peer, const char *stream, double timeout, const char *reason,
                        const char *what)
{
	struct vici_conn c;
	struct vici_buf reply = { 0 };
	char err[200] = "", msg[300];
	int pid, rc;

	pid = with_peer(peer, &c);
	rc = vici_request(&c, stream ? "nosuch" : "version", NULL, stream, NULL, NULL, timeout,
	                  &reply, err, sizeof(err));
	snprintf(msg, sizeof(msg), "%s: -1 '%s'", what, reason);
	ok(rc == -1 && strstr(err, reason), msg);
	if (rc != -1 || !strstr(err, reason))
		printf("#   rc %d err '%s'\n", rc, err);
	vici_close(&c);
	snprintf(msg, sizeof(msg), "%s: peer saw what it expected", what);
	is_int(peer_status(pid), 0, msg);
	vici_buf_free(&reply);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_request_failures(void)
{
	struct vici_conn c;
	struct vici_buf reply = { 0 }, big = { 0 };
	char err[200] = "";
	double t0;
	int pid, rc;

	run_failing(peer_unknown_cmd, "control-log", 5.0, "unknown command 'nosuch'",
	            "CMD_UNKNOWN (with stream event, still unregistered)");
	run_failing(peer_close, NULL, 5.0, "closed", "peer closes before answering");
	run_failing(peer_bad_body, NULL, 5.0, "unterminated section", "malformed response body");
	run_failing(peer_oversize, NULL, 5.0, "out of range", "oversize response");
	run_failing(peer_wrong_type, NULL, 5.0, "unexpected packet", "EVENT_CONFIRM instead of response");

	pid = with_peer(peer_unknown_event, &c);
	rc = vici_register(&c, "nosuch-event", 5.0, err, sizeof(err));
	ok(rc == -1 && strstr(err, "unknown event 'nosuch-event'"), "register: EVENT_UNKNOWN -> -1");
	vici_close(&c);
	is_int(peer_status(pid), 0, "register: peer saw EVENT_REGISTER");

	pid = with_peer(peer_silent, &c);
	t0 = mono();
	rc = vici_request(&c, "version", NULL, NULL, NULL, NULL, 0.2, &reply, err, sizeof(err));
	t0 = mono() - t0;
	ok(rc == -1 && strstr(err, "timeout"), "silent peer: -1 timeout");
	ok(t0 >= 0.19 && t0 < 1.0, "silent peer: returned after about the timeout");
	vici_close(&c);
	is_int(peer_status(pid), 0, "silent peer: saw the request");

	pid = with_peer(peer_max, &c);
	rc = vici_request(&c, "version", NULL, NULL, NULL, NULL, 10.0, &reply, err, sizeof(err));
	is_int(rc, 0, "response of exactly VICI_MSG_MAX bytes accepted");
	is_int(reply.len, VICI_MSG_MAX - 1, "its whole body returned");
	vici_close(&c);
	is_int(peer_status(pid), 0, "max-size peer done");

	vici_add_list_item(&big, "x", 70000);
	pid = with_peer(peer_close, &c);
	rc = vici_request(&c, "version", &big, NULL, NULL, NULL, 1.0, &reply, err, sizeof(err));
	ok(rc == -1 && strstr(err, "request body incomplete"), "failed body is not sent");
	vici_close(&c);
	peer_status(pid);
	c = (struct vici_conn)VICI_CONN_INIT;
	rc = vici_request(&c, "version", NULL, NULL, NULL, NULL, 1.0, &reply, err, sizeof(err));
	ok(rc == -1 && strstr(err, "not connected"), "request on a closed connection refused");
	vici_buf_free(&reply);
	vici_buf_free(&big);
}

static void test_connect(void)
{
	struct vici_conn c = VICI_CONN_INIT;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[200] = "", path[200], longp[200];
	int ls, rc;

	snprintf(path, sizeof(path), "/tmp/test_vici.%d.sock", (int)getpid());
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = vici_connect(&c, path, err, sizeof(err));
	ok(rc == -1 && c.fd == -1 && strstr(err, "connect"), "connect to a missing socket fails");
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ok(vici_connect(&c, longp, err, sizeof(err)) == -1 && strstr(err, "too long"),
	   "over-long socket path refused");
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0)
		abort();
	is_int(vici_connect(&c, path, err, sizeof(err)), 0, "connect to a listening socket");
	ok(c.fd >= 0 && (fcntl(c.fd, F_GETFD) & FD_CLOEXEC), "connection fd is close-on-exec");
	vici_close(&c);
	close(ls);
	unlink(path);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_readme_example();
	test_round_trip();
	test_visitor_stop();
	test_malformed();
	test_fuzz();
	test_event_framing();
	test_bad_streams();
	test_request_simple();
	test_request_stream();
	test_request_failures();
	test_connect();
	return unit_done();
}
