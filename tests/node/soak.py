#!/usr/bin/env python3
"""Soak: mixed good clients and a hostile one against one live xdsd.

For XDS_SOAK_SECONDS (default 20; make check-long runs 1800) good clients
submit (ITI-41, and ITI-42 straight to the registry), query (ITI-18),
retrieve (ITI-43) and send images (C-STORE with storescu) in a loop, while
a hostile client, from another loopback address, keeps connections to the
HTTP and DICOM ports parked, half-sent or trickling, and opens and drops
others.  Verdict: no error for any good client and none stalled (LATENCY_MAX),
the node's anonymous resident memory (RssAnon: the heap and stacks; the
registry maps its database, whose pages count in VmRSS as the file grows)
flat over the second half of the run, and its
open sockets back to where they were once the hostile client has gone.
"""
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dicom"))
from xdstest import (DEADLINE, Xdsd, bind_source, check, command_line,  # noqa: E402
                     proc_status_kb, soap_envelope, summary, tmpdir, wait_until)
import xdsmsg  # noqa: E402

REPO_UID = "1.3.6.1.4.1.21367.13.71.1"
LATENCY_MAX = 5                 # s: a good request slower than this was stalled
HOSTILE_ADDR = "127.0.0.2"      # its own peer address: per-peer limits apply to it alone
ACT_ITI42 = "urn:ihe:iti:2007:RegisterDocumentSet-b"


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.errors = []
        self.worst = {}

    def done(self, kind, ok, t0, what=""):
        dt = time.monotonic() - t0
        with self.lock:
            self.ops[kind] = self.ops.get(kind, 0) + 1
            self.worst[kind] = max(self.worst.get(kind, 0), dt)
            if not ok:
                self.errors.append("%s: %s" % (kind, str(what)[:300]))


def good_clients(node, stop, tally, work):
    submitted = []          # (patient, uniqueId, bytes)
    lock = threading.Lock()
    first = threading.Event()   # set once a document is there to ask for

    def iti41():
        while not stop.is_set():
            pat = xdsmsg.patient()
            data = os.urandom(random.randint(100, 200000))
            t0 = time.monotonic()
            try:
                st, err, uids, xml, http = xdsmsg.submit(node.port, [data], pat)
                ok = st == "Success"
                if ok:
                    with lock:
                        submitted.append((pat, uids[0], data))
                    first.set()
            except OSError as e:
                ok, xml = False, repr(e)
            tally.done("ITI-41", ok, t0, xml)

    def iti42():
        while not stop.is_set():
            pat, eid, duid = xdsmsg.patient(), xdsmsg.urn(), xdsmsg.uid()
            data = os.urandom(64)
            entry = xdsmsg.doc_entry(eid, duid, pat, hash_=hashlib.sha1(data).hexdigest(),
                                     size=len(data))
            entry = entry.replace('<rim:Slot name="sourcePatientId">',
                                  xdsmsg._slot("repositoryUniqueId", REPO_UID)
                                  + '<rim:Slot name="sourcePatientId">', 1)
            body = soap_envelope(ACT_ITI42, xdsmsg.submission(pat, [(eid, entry)]))
            t0 = time.monotonic()
            try:
                st, rb = node.post("/xds/registry", body)
                ok = st == 200 and xdsmsg.status_of(rb.decode()) == "Success"
            except OSError as e:
                ok, rb = False, repr(e)
            tally.done("ITI-42", ok, t0, rb)

    def iti18_43():
        while not first.wait(1):
            if stop.is_set():
                return
        while not stop.is_set():
            with lock:
                pat, duid, data = random.choice(submitted)
            t0 = time.monotonic()
            try:
                st, rb = node.post("/xds/registry", soap_envelope(
                    "urn:ihe:iti:2007:RegistryStoredQuery", xdsmsg.find_documents(pat)))
                ok = st == 200 and duid.encode() in rb
            except OSError as e:
                ok, rb = False, repr(e)
            tally.done("ITI-18", ok, t0, rb)
            t0 = time.monotonic()
            try:
                st, err, docs, xml, http = xdsmsg.retrieve(node.port, [(REPO_UID, duid, None)])
                ok = st == "Success" and docs.get(duid, (None, None))[1] == data
            except OSError as e:
                ok, xml = False, repr(e)
            tally.done("ITI-43", ok, t0, xml)

    def cstore():
        import dicomtest
        n = 0
        while not stop.is_set():
            n += 1
            study = "1.2.826.0.1.3680043.9.%d.%d" % (os.getpid(), n)
            path = dicomtest.make_image(work, study, study + ".1", study + ".1.1", size=32)
            t0 = time.monotonic()
            r = dicomtest.storescu(node.dport, [path], timeout=60)
            tally.done("C-STORE", r.returncode == 0, t0, r.stdout + r.stderr)
            os.unlink(path)

    threads = [threading.Thread(target=f, daemon=True)
               for f in (iti41, iti42, iti18_43, iti18_43, cstore)]
    for t in threads:
        t.start()
    return threads


def hostile(ports, stop, counts):
    """Park, half-send, trickle and drop connections from HOSTILE_ADDR."""
    parked = []

    def connect(port):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(2)
        bind_source(s, HOSTILE_ADDR)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        return s

    rng = random.Random(7)
    while not stop.is_set():
        port = rng.choice(ports)
        kind = rng.choice(("idle", "half", "trickle", "reset", "idle", "half"))
        try:
            s = connect(port)
        except OSError:
            counts["refused"] = counts.get("refused", 0) + 1
            stop.wait(0.01)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        try:
            if kind == "half":
                s.send(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\n" if port == ports[0]
                       else b"\x01\x00\x00\x00\x00\xcc\x00\x01")
            elif kind == "trickle":
                s.send(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\nContent-Type: "
                       b"application/soap+xml\r\nContent-Length: 100000\r\n\r\n<")
            elif kind == "reset":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
                continue
        except OSError:
            pass
        parked.append((s, kind))
        while len(parked) > 150:
            old, _ = parked.pop(rng.randrange(len(parked)))
            old.close()
        for s, kind in parked:
            if kind == "trickle" and rng.random() < 0.05:
                try:
                    s.send(b"x")
                except OSError:
                    pass
        stop.wait(0.01)
    for s, _ in parked:
        s.close()


def sockets(pid):
    """Open sockets of pid (listeners, peers; not files, which the
    databases open per thread as the load grows), -1 when unknown."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
            except OSError:
                pass
    except OSError:
        return -1
    return n


def main():
    a = command_line(xdsctl=True)
    seconds = int(os.environ.get("XDS_SOAK_SECONDS", "20"))
    try:
        s = socket.socket()
        s.bind((HOSTILE_ADDR, 0))
        s.close()
    except OSError:
        print("no %s on loopback: skipped" % HOSTILE_ADDR)
        return 77
    if shutil.which("storescu") is None or shutil.which("dump2dcm") is None:
        print("dcmtk not installed: skipped")
        return 77
    work = tmpdir("soak")
    node = Xdsd(a.xdsd, work, ["dicom.publish_after=5", "dicom.timeout=10"], dicom=True)
    if not check("soak: the node starts", node.start(), ""):
        node.dump_log()
        return summary()
    pid = node.proc.pid
    base_socks = sockets(pid)
    stop, hstop = threading.Event(), threading.Event()
    tally, counts = Tally(), {}
    rss = []
    try:
        threads = good_clients(node, stop, tally, work)
        h = threading.Thread(target=hostile, args=([node.port, node.dport], hstop, counts),
                             daemon=True)
        h.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rss.append(proc_status_kb(pid, "RssAnon"))
            stop.wait(min(5, max(end - time.monotonic(), 0.01)))   # sampling period
        hstop.set()
        h.join(DEADLINE)
        stop.set()
        for t in threads:
            t.join(DEADLINE * 2)
        print("good clients: %s; worst latency %s" % (
            tally.ops, {k: "%.2fs" % v for k, v in tally.worst.items()}))
        print("hostile connections: %s" % counts)
        print("RssAnon samples (KiB): %s" % rss)
        check("soak: every good client's request succeeded while the hostile client ran",
              not tally.errors and all(tally.ops.get(k, 0) > 0 for k in
                                       ("ITI-41", "ITI-42", "ITI-18", "ITI-43", "C-STORE")),
              "%d errors, first: %s" % (len(tally.errors), tally.errors[:3]))
        half = rss[len(rss) // 2:]
        if len(half) >= 4:
            mid, last = max(half[:len(half) // 2]), max(half[len(half) // 2:])
            check("soak: anonymous resident memory flat over the second half",
                  last <= mid * 1.10 + 8192, "%d KiB then %d KiB" % (mid, last))
        worst = max(tally.worst.values() or [0])
        check("soak: no good request waited more than %d s" % LATENCY_MAX,
              worst <= LATENCY_MAX, repr(tally.worst))
        settled = wait_until(lambda: sockets(pid) <= base_socks + 4, DEADLINE)
        check("soak: open sockets back to where they were",
              settled, "%d at start, %d now" % (base_socks, sockets(pid)))
        check("soak: the node still runs", node.running(), "")
    finally:
        stop.set()
        hstop.set()
        node.stop()
    rc = summary()
    if rc != 0:
        node.dump_log()
    else:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
