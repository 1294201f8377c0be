#!/usr/bin/env python3
"""The HTTPS front end of xdsd under unauthenticated load (make check).

An attacker with nothing but TCP access must not stall the node.  On a
node with mutual TLS (workers 4, queue 8):
  * 150 TCP sockets from one address (127.0.0.2) that never start a TLS
    handshake: the node holds at most http.max_connections_per_peer of
    them, closes the rest at once, and a client with a certificate from
    127.0.0.1 keeps getting answers, each within its 1 s timeout;
  * the idle sockets it held are closed after http.header_timeout;
  * a TLS client whose request body trickles below http.min_body_rate gets
    408, and one sending malformed chunked framing to a SOAP endpoint 400;
  * /metrics counts each kind of refusal (xds_http_refused_total).
Waits for events (a counter in /metrics, an answer), never sleeps for
them.  Prints one line per case and a final "N passed, M failed".
"""
import os
import re
import select
import shutil
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import (DEADLINE, Xdsd, check, command_line, connect_from,  # noqa: E402
                     make_pki, metrics, ssl_context, summary, tmpdir, wait_until)

PER_PEER = 40
IDLE = 150


def refused(node, reason):
    return metrics(node).get(("xds_http_refused_total", '{reason="%s"}' % reason), 0)


def parked(node):
    return metrics(node).get(("xds_http_connections", '{state="parked"}'), 0)


def closed_by_peer(s):
    """True when the node has closed s (EOF or reset), without waiting."""
    if not select.select([s], [], [], 0)[0]:
        return False
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def tls_conn(node):
    raw = socket.create_connection(("127.0.0.1", node.port), timeout=DEADLINE / 2)
    return ssl_context(node.tls).wrap_socket(raw, server_hostname="127.0.0.1")


def answer_of(s):
    """The status line's code of what s receives, or None."""
    data = b""
    try:
        while b"\r\n" not in data:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except OSError:
        pass
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    return int(m.group(1)) if m else None


def main():
    a = command_line()
    d = tmpdir("front-test")
    tls = make_pki(d)
    # No responding gateway: with TLS it would need Mitz, not this test's subject.
    node = Xdsd(a.xdsd, d, ["http.workers=4", "http.queue=8", "http.header_timeout=10",
                            "http.max_connections_per_peer=%d" % PER_PEER,
                            "gateway.responding=no"], tls=tls)
    if not node.start():
        node.dump_log()
        check("xdsd with TLS starts", False)
        return summary()
    socks = []
    try:
        # A request body below http.min_body_rate (1 KiB/s after 5 s of
        # grace): 408 (awaited below), while all that follows happens.
        slow = {}

        def slow_body():
            try:
                s = tls_conn(node)
                s.sendall(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/soap+xml\r\nContent-Length: 100000\r\n\r\n<")
                s.settimeout(DEADLINE)
                slow["status"] = answer_of(s)
                s.close()
            except OSError as e:
                slow["error"] = repr(e)
        t = threading.Thread(target=slow_body)
        t.start()

        # Idle sockets from 127.0.0.2 that never start a handshake.
        socks = [s for s in (connect_from(node.port, "127.0.0.2") for _ in range(IDLE)) if s]
        check("%d idle TCP connections opened" % IDLE, len(socks) == IDLE, len(socks))
        over = wait_until(lambda: refused(node, "peer_limit") >= IDLE - PER_PEER)
        check("connections over http.max_connections_per_peer are refused and counted",
              over, refused(node, "peer_limit"))
        def nclosed():
            return sum(1 for s in socks if closed_by_peer(s))
        wait_until(lambda: nclosed() >= IDLE - PER_PEER)
        check("the node closed exactly the idle connections over the limit, at once",
              nclosed() == IDLE - PER_PEER, nclosed())

        # Meanwhile a client with a certificate is served, each request
        # within its own 1 s timeout.
        held = parked(node)
        answered = 0
        for _ in range(10):
            try:
                st, _ = node.get("/health", timeout=1)
                answered += st == 200
            except OSError:
                pass
        check("an authenticated client is answered while %d idle sockets are parked" % PER_PEER,
              answered == 10 and held >= PER_PEER, "%d/10 answered, %d parked" % (answered, held))

        # The idle ones the node held are closed after http.header_timeout.
        check("idle sockets without a handshake are closed after http.header_timeout",
              wait_until(lambda: refused(node, "tls_timeout") >= PER_PEER),
              refused(node, "tls_timeout"))

        t.join(DEADLINE)
        check("a TLS request body below http.min_body_rate is answered 408",
              slow.get("status") == 408, slow)
        check("the slow body is counted in /metrics",
              wait_until(lambda: refused(node, "slow_body") >= 1), refused(node, "slow_body"))

        # Malformed chunked framing to a SOAP endpoint: 400, not 500.
        s = tls_conn(node)
        s.sendall(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\n<soap\r\nzz\r\n")
        st = answer_of(s)
        s.close()
        check("malformed chunked framing is answered 400", st == 400, st)
        check("bad framing is counted in /metrics",
              wait_until(lambda: refused(node, "bad_body") >= 1), refused(node, "bad_body"))

        audit = node.audit()
        check("the 408 and the 400 are audited",
              wait_until(lambda: {408, 400} <= {r.get("http_status") for r in node.audit()}),
              [r.get("http_status") for r in audit][-5:])
    except Exception as e:  # a failed check with the log, not a traceback only
        check("front-end tests ran", False, repr(e))
        node.dump_log()
    finally:
        for s in socks:
            s.close()
        node.stop()
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
