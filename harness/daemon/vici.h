/*
** vici: the client side of strongSwan's VICI protocol (the control socket of
** charon). Framing: a 32-bit big-endian length, then one byte of operation
** type, then (for named operations) a one-byte name length and the name, then
** the message body: a stream of elements (section start/end, key/value, list
** start/item/end). The decoder walks a body with bounds checks on every read
** and reports each element to a visitor, so callers never touch raw bytes.
*/
#ifndef VPNLAB_VICI_H
#define VPNLAB_VICI_H

#include <stddef.h>
#include <stdint.h>

/* Operation types (first byte of a packet). */
enum vici_op {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

/* Limits: a packet (what follows the length field) may be at most 512 KiB,
** as in charon; sections nest at most VICI_MAX_DEPTH deep (charon's deepest
** message, the child-rekey event, uses 4: IKE SA, child-sas, CHILD_SA,
** old/new); at most VICI_IN_MAX unread bytes are buffered on a connection
** (events a request left for vici_read_events). */
#define VICI_MSG_MAX (512u * 1024u)
#define VICI_MAX_DEPTH 64
#define VICI_IN_MAX (8u * VICI_MSG_MAX)

/* A growable byte buffer; used for message bodies being built or received. */
struct vici_buf {
	uint8_t *data;
	size_t len, cap;
	int failed;               /* an append ran out of memory or a field was too long */
};

void vici_buf_free(struct vici_buf *b);
void vici_buf_reset(struct vici_buf *b);

/* Body builders. Names are at most 255 bytes, values at most 65535. */
void vici_add_section(struct vici_buf *b, const char *name);
void vici_end_section(struct vici_buf *b);
void vici_add_kv(struct vici_buf *b, const char *key, const void *value, size_t len);
void vici_add_kv_str(struct vici_buf *b, const char *key, const char *value);
void vici_add_list(struct vici_buf *b, const char *name);
void vici_add_list_item(struct vici_buf *b, const void *value, size_t len);
void vici_end_list(struct vici_buf *b);

/* Visitor for vici_parse; any callback may be NULL. A non-zero return stops the walk. */
struct vici_visitor {
	int (*section_start)(void *arg, const char *name);
	int (*section_end)(void *arg);
	int (*key_value)(void *arg, const char *key, const uint8_t *value, size_t len);
	int (*list_start)(void *arg, const char *name);
	int (*list_item)(void *arg, const uint8_t *value, size_t len);
	int (*list_end)(void *arg);
};

/*
** Walk one message body. Returns 0 when the whole body was well formed and
** visited, a visitor's non-zero value if it stopped the walk, or -1 for a
** malformed body (truncated element, unbalanced sections/lists, unknown
** element type, list nested or holding anything but items, key/value in a
** list, name with a NUL byte, nesting deeper than VICI_MAX_DEPTH) with a
** reason in err. Names reach the visitor NUL-terminated; values are raw
** bytes (not terminated) pointing into body.
*/
int vici_parse(const uint8_t *body, size_t len, const struct vici_visitor *v, void *arg,
               char *err, size_t errlen);

/* One connection to a charon. Initialise with VICI_CONN_INIT (fd -1) so that
** vici_close on a never-connected struct is harmless. */
struct vici_conn {
	int fd;
	struct vici_buf in;       /* bytes received and not yet consumed */
};
#define VICI_CONN_INIT { -1, { NULL, 0, 0, 0 } }

/* Connect to a unix socket path; returns 0 or -1 with err filled. fd is O_CLOEXEC. */
int vici_connect(struct vici_conn *c, const char *path, char *err, size_t errlen);
void vici_close(struct vici_conn *c);   /* idempotent */

/* Called for each streamed event that arrives while a request is pending.
** body points into the connection's buffer: it is valid only during the call,
** and the callback must not use the same connection. */
typedef void (*vici_event_fn)(void *arg, const char *event, const uint8_t *body, size_t len);

/*
** Send a command and wait up to timeout seconds for its response, which is
** left in *reply (body only). When stream_event is not NULL, register for that
** event first (e.g. "list-sa" for "list-sas"), hand each such event to on_event,
** and unregister after the response. Returns 0, or -1 with err filled
** (timeout, connection closed, unknown command, unknown event, malformed
** reply). Other events arriving meanwhile (the connection is also registered
** for them) are left buffered for vici_read_events. After a timeout or a
** protocol error the connection is out of step: close it. timeout is for the
** whole exchange, including register/unregister.
*/
int vici_request(struct vici_conn *c, const char *cmd, const struct vici_buf *body,
                 const char *stream_event, vici_event_fn on_event, void *arg,
                 double timeout, struct vici_buf *reply, char *err, size_t errlen);

/* Register for an event on a connection used only for events; waits for the
** confirm (-1 "unknown event" for EVENT_UNKNOWN). Events that arrive before
** the confirm stay buffered: call vici_read_events once after registering,
** since poll will not report bytes that are already buffered. */
int vici_register(struct vici_conn *c, const char *event, double timeout, char *err, size_t errlen);

/*
** For an event connection in a poll loop: read what is available without
** blocking and hand every complete EVENT to on_event. Returns 0, or -1 when
** the peer closed or sent garbage (err filled). Complete events received
** before the close are still delivered. Same callback rules as vici_request.
*/
int vici_read_events(struct vici_conn *c, vici_event_fn on_event, void *arg, char *err, size_t errlen);

#endif
