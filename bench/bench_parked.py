#!/usr/bin/env python3
"""A well-behaved client's latency while others park connections on xdsd.

Starts xdsd (plain HTTP on loopback, port 0, default http.* options), then
measures --requests sequential GET /health, each on a fresh connection and
each bounded by --timeout s:
  quiet: nothing else connected;
  parked: with --idle TCP connections that never send a byte, and --slow
          request bodies that started and then stall (the attack on thread
          per connection: 16 workers and a queue of 64 were held by ~100
          idle sockets).  The idle ones come from 127.0.0.2, the slow ones
          from 127.0.0.3, the measuring client from 127.0.0.1.
Prints one line per phase: requests, errors (timeouts, resets, non-200),
p50/p99/max latency in ms.  The slow bodies and idle sockets are opened
before the phase starts and closed after it; the phase must end before
the node's header_timeout (10 s) cuts the idle ones: --requests 500 takes
well under a second.

Run from a build directory (xdsd there):  ../bench/bench_parked.py
"""

import argparse
import http.client
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import xdstest  # noqa: E402


def measure(port, n, timeout):
    lat, errors = [], 0
    for _ in range(n):
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors += 1
                continue
            lat.append((time.monotonic() - t0) * 1000)
        except OSError:
            errors += 1
        finally:
            c.close()
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    return errors, q(0.50), q(0.99), lat[-1] if lat else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument("--slow", type=int, default=16)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    work = xdstest.tmpdir("bench-parked")
    node = xdstest.Xdsd(a.xdsd, work, ["node.log_level=warning"])
    try:
        if not node.start():
            node.dump_log()
            return 1
        for phase in ("quiet", "parked"):
            socks = []
            if phase == "parked":
                socks = [xdstest.connect_from(node.port, "127.0.0.2") for _ in range(a.idle)]
                for _ in range(a.slow):
                    s = xdstest.connect_from(node.port, "127.0.0.3")
                    if s is not None:
                        s.sendall(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/soap+xml\r\n"
                                  b"Content-Length: 100000\r\n\r\n<")
                    socks.append(s)
            t0 = time.monotonic()
            errors, p50, p99, mx = measure(node.port, a.requests, a.timeout)
            print("%-6s idle=%d slow=%d requests=%d errors=%d seconds=%.2f p50_ms=%.2f "
                  "p99_ms=%.2f max_ms=%.2f" % (phase, len([s for s in socks if s]) - (
                      a.slow if phase == "parked" else 0), a.slow if phase == "parked" else 0,
                      a.requests, errors, time.monotonic() - t0, p50, p99, mx))
            sys.stdout.flush()
            for s in socks:
                if s is not None:
                    s.close()
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
