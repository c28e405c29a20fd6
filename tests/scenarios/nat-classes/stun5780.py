#!/usr/bin/env python3
"""RFC 5780 NAT behaviour discovery over STUN (RFC 5389 Binding), both halves.

  stun5780.py serve A1 A2 [P1 P2]   answer Binding requests on A1:P1, A1:P2, A2:P1,
                                    A2:P2 (default 3478, 3479), honouring CHANGE-REQUEST;
                                    prints "ready" once all four sockets are bound
  stun5780.py mapped LPORT A [A...]  from local port LPORT, one Binding request to each
                                    A:3478; prints "A -> mapped address:port" (or "none")
  stun5780.py probe A1 [P1]         run the mapping tests (RFC 5780 4.3) and the
                                    filtering tests (4.4) against that server and print
                                    "mapping: <class>" and "filtering: <class>"

Every wait is bounded: a request is sent up to TRIES times, each answer
awaited WAIT seconds; a test without an answer is a fact (filtered), not an
error. Exit status 0 when both classes were measured, 2 when the server never
answered test I.
"""
import os
import socket
import struct
import sys

MAGIC = 0x2112A442
BINDING_REQUEST, BINDING_RESPONSE = 0x0001, 0x0101
XOR_MAPPED_ADDRESS, CHANGE_REQUEST = 0x0020, 0x0003
RESPONSE_ORIGIN, OTHER_ADDRESS = 0x802B, 0x802C
CHANGE_IP, CHANGE_PORT = 0x04, 0x02
TRIES, WAIT = 3, 0.4


def attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def addr_value(host, port, xor):
    a = struct.unpack("!I", socket.inet_aton(host))[0]
    if xor:
        port ^= MAGIC >> 16
        a ^= MAGIC
    return struct.pack("!BBHI", 0, 1, port, a)


def message(kind, tid, attrs):
    body = b"".join(attrs)
    return struct.pack("!HHI", kind, len(body), MAGIC) + tid + body


def parse(data):
    """(type, transaction id, {attr type: value}) or None for anything not STUN."""
    if len(data) < 20:
        return None
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or 20 + length > len(data):
        return None
    attrs, off = {}, 20
    while off + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[off:off + 4])
        if off + 4 + n > 20 + length:
            return None
        attrs[t] = data[off + 4:off + 4 + n]
        off += 4 + n + (4 - n % 4) % 4
    return kind, data[8:20], attrs


def parse_addr(value, xor):
    if value is None or len(value) < 8 or value[1] != 1:
        return None
    port, a = struct.unpack("!HI", value[2:8])
    if xor:
        port ^= MAGIC >> 16
        a ^= MAGIC
    return socket.inet_ntoa(struct.pack("!I", a)), port


def serve(a1, a2, p1, p2):
    import selectors
    socks = {}
    for host in (a1, a2):
        for port in (p1, p2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            socks[(host, port)] = s
    other = {a1: a2, a2: a1}
    otherp = {p1: p2, p2: p1}
    sel = selectors.DefaultSelector()
    for key, s in socks.items():
        sel.register(s, selectors.EVENT_READ, key)
    print("ready", flush=True)
    while True:
        for ev, _ in sel.select():
            host, port = ev.data
            data, peer = ev.fileobj.recvfrom(2048)
            m = parse(data)
            if m is None or m[0] != BINDING_REQUEST:
                continue
            flags = 0
            if CHANGE_REQUEST in m[2] and len(m[2][CHANGE_REQUEST]) == 4:
                flags = struct.unpack("!I", m[2][CHANGE_REQUEST])[0]
            rhost = other[host] if flags & CHANGE_IP else host
            rport = otherp[port] if flags & CHANGE_PORT else port
            reply = message(BINDING_RESPONSE, m[1], [
                attr(XOR_MAPPED_ADDRESS, addr_value(peer[0], peer[1], True)),
                attr(RESPONSE_ORIGIN, addr_value(rhost, rport, False)),
                attr(OTHER_ADDRESS, addr_value(a2, p2, False)),
            ])
            socks[(rhost, rport)].sendto(reply, peer)
            print("%s:%d <- %s:%d flags %d, answered from %s:%d" % (host, port, peer[0], peer[1], flags,
                                                                  rhost, rport), flush=True)


def request(sock, dest, flags=0):
    """The response's (mapped address, origin, other address), or None when none came."""
    tid = os.urandom(12)
    attrs = [attr(CHANGE_REQUEST, struct.pack("!I", flags))] if flags else []
    msg = message(BINDING_REQUEST, tid, attrs)
    sock.settimeout(WAIT)
    for _ in range(TRIES):
        sock.sendto(msg, dest)
        try:
            while True:
                data, _ = sock.recvfrom(2048)
                m = parse(data)
                if m and m[0] == BINDING_RESPONSE and m[1] == tid:
                    return (parse_addr(m[2].get(XOR_MAPPED_ADDRESS), True),
                            parse_addr(m[2].get(RESPONSE_ORIGIN), False),
                            parse_addr(m[2].get(OTHER_ADDRESS), False))
        except socket.timeout:
            continue
    return None


def fresh_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    return s


def probe(a1, p1):
    s = fresh_socket()
    r1 = request(s, (a1, p1))
    if r1 is None or r1[2] is None:
        print("error: no answer (with OTHER-ADDRESS) from %s:%d" % (a1, p1))
        return 2
    a2, p2 = r1[2]
    local = s.getsockname()[1]
    print("test I: local port %d mapped to %s:%d" % (local, r1[0][0], r1[0][1]))
    # RFC 5780 4.3: the same socket to the alternate address, then to the alternate port too.
    r2 = request(s, (a2, p1))
    r3 = request(s, (a2, p2))
    print("test II (%s:%d): %s" % (a2, p1, r2 and "%s:%d" % r2[0]))
    print("test III (%s:%d): %s" % (a2, p2, r3 and "%s:%d" % r3[0]))
    if r2 is None or r3 is None:
        print("error: the alternate address did not answer")
        return 2
    if r2[0] == r1[0]:
        mapping = "endpoint-independent"
    elif r3[0] == r2[0]:
        mapping = "address-dependent"
    else:
        mapping = "address-and-port-dependent"
    # RFC 5780 4.4 on a fresh mapping that has only ever sent to a1:p1.
    f = fresh_socket()
    if request(f, (a1, p1)) is None:
        print("error: no answer to filtering test I")
        return 2
    if request(f, (a1, p1), CHANGE_IP | CHANGE_PORT) is not None:
        filtering = "endpoint-independent"
    elif request(f, (a1, p1), CHANGE_PORT) is not None:
        filtering = "address-dependent"
    else:
        filtering = "address-and-port-dependent"
    print("mapping: %s" % mapping)
    print("filtering: %s" % filtering)
    return 0


def mapped(lport, servers):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", lport))
    for a in servers:
        r = request(s, (a, 3478))
        print("%s -> %s" % (a, "%s:%d" % r[0] if r else "none"))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "serve":
        p1 = int(argv[4]) if len(argv) > 4 else 3478
        p2 = int(argv[5]) if len(argv) > 5 else 3479
        serve(argv[2], argv[3], p1, p2)
        return 0
    if len(argv) >= 4 and argv[1] == "mapped":
        return mapped(int(argv[2]), argv[3:])
    if len(argv) >= 3 and argv[1] == "probe":
        return probe(argv[2], int(argv[3]) if len(argv) > 3 else 3478)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
