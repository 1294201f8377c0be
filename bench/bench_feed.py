#!/usr/bin/env python3
"""ITI-8 Patient Identity Feed: messages per second over one MLLP
connection (bench/run feed).

An xdsd with registry.patient_ids=feed and the feed on loopback; one
source sends COUNT ADT^A01 messages for distinct patients, each waiting
for its ACK (each ACK means the patient is on disk, synchronous=FULL), as
an ADT system does.  The reference, in the same go: the same rows
inserted into a table of the same shape with Python's sqlite3, one
durable transaction each (WAL, synchronous=FULL), nothing else.  Then the
merge: MERGE_SUBMISSIONS ITI-42 submissions (one DocumentEntry and its
SubmissionSet each) for one patient, merged into another by one A40,
whose ACK time is reported as objects moved per second.

    bench_feed.py --xdsd ./xdsd [--bench-submit ./bench/bench_submit]
                  [--count 5000] [--merge 2000]
"""
import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import xdsmsg as m  # noqa: E402
from xdstest import Xdsd, read_ports  # noqa: E402


def a01(i, pat, event="A01", mrg=None):
    segs = ["MSH|^~\\&|HIS|ZH|XDSNODE|NODE|20261206120000||ADT^%s|B%07d|P|2.5" % (event, i),
            "EVN|%s|20261206120000" % event, "PID|||%s||Bench^Patient||19700101|F" % pat]
    if mrg:
        segs.append("MRG|%s" % mrg)
    return b"\x0b" + ("\r".join(segs) + "\r").encode() + b"\x1c\r"


def ask(s, frame):
    s.sendall(frame)
    got = b""
    while not got.endswith(b"\x1c\r"):
        b = s.recv(65536)
        if not b:
            raise SystemExit("the feed closed the connection")
        got += b
    if b"MSA|AA|" not in got:
        raise SystemExit("not accepted: %r" % got[:300])


def bsns(n):
    seen = set()
    while len(seen) < n:
        seen.add(m.bsn())
    return sorted(seen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    ap.add_argument("--bench-submit", default="./bench/bench_submit")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--merge", type=int, default=2000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-feed-", dir=os.environ.get("BENCH_DIR"))
    node = Xdsd(a.xdsd, work, ["registry.patient_ids=feed", "registry.feed_listen=0",
                               "node.log_level=warning"])
    try:
        if not node.start():
            node.dump_log()
            return 1
        port = read_ports(node.state)["feed"][1]
        pats = [m.patient(b) for b in bsns(a.count)]
        s = socket.create_connection(("127.0.0.1", port))
        t0 = time.monotonic()
        for i, p in enumerate(pats):
            ask(s, a01(i, p))
        el = time.monotonic() - t0
        print("xdsd ITI-8 A01, one MLLP connection  %6d messages  %8.0f msg/s  %6.2f ms each"
              % (a.count, a.count / el, 1000 * el / a.count))

        db = sqlite3.connect(os.path.join(work, "ref.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE patient (patient_id TEXT PRIMARY KEY, added TEXT NOT NULL) "
                   "WITHOUT ROWID")
        t0 = time.monotonic()
        for p in pats:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO patient VALUES (?, ?)", (p, "2026-12-06T12:00:00Z"))
            db.execute("COMMIT")
        el = time.monotonic() - t0
        db.close()
        print("raw SQLite FULL, the same rows       %6d inserts   %8.0f /s     %6.2f ms each"
              % (a.count, a.count / el, 1000 * el / a.count))

        if a.merge > 0:
            src, dst = m.bsn(), m.bsn()
            ask(s, a01(a.count + 1, m.patient(src)))
            ask(s, a01(a.count + 2, m.patient(dst)))
            subprocess.run([a.bench_submit, node.url("/xds/registry"), src, "4", str(a.merge)],
                           check=True, stdout=subprocess.DEVNULL)
            t0 = time.monotonic()
            ask(s, a01(a.count + 3, m.patient(dst), "A40^ADT_A39", m.patient(src)))
            el = time.monotonic() - t0
            print("xdsd ITI-8 A40 merge of %d submissions (%d objects moved): %.2f s, %.0f objects/s"
                  % (a.merge, 2 * a.merge, el, 2 * a.merge / el))
        s.close()
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
