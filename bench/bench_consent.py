#!/usr/bin/env python3
"""What the closed question to Mitz costs the responding gateway, and the
open question the initiating gateway's fan-out.

First N sequential ITI-38 FindDocuments at /xca/responding of one xdsd,
for one patient with 3 documents, in three configurations side by side:

    allow-all     consent.mode allow-all (nothing asked: the reference)
    mitz          consent.mode mitz, cache off (every ITI-38 asks Mitz
                  once per data category: here one, GGC002)
    mitz+cache    consent.mode mitz, consent.cache_ttl=300 (the first asks)

Mitz is tests/gateway/mitz_double.py in a process of its own on loopback
over plain HTTP, answering Permit at once: what is measured is the node's
side (building the XACML query, one HTTP exchange, reading the answer),
not Mitz's own time or the network and TLS handshake to it, which come on
top in a deployment.  Reported per configuration: the client's median and
mean per request, and the node's own median (the audit record's
duration_ms).

Then N sequential ITI-18 FindDocuments at /xca/initiating of a second
xdsd (A) whose directory names the first (B, allow-all), for the same
patient: the fan-out alone, and with consent.location_url (the double
locating the patient at B: one ITI-56 before each fan-out).

Run from a build directory (xdsd there):  ../bench/bench_consent.py
Options: --help.
"""
import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import xdsmsg as m  # noqa: E402
import xdstest  # noqa: E402

ACT_ITI38 = "urn:ihe:iti:2007:CrossGatewayQuery"
ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
HOME = "urn:oid:1.3.6.1.4.1.21367.13.79.1"
HOME_B = "urn:oid:1.3.6.1.4.1.21367.13.79.2"


def find_docs(pat):
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
            '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>\'%s\'</rim:Value>'
            '</rim:ValueList></rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
            '<rim:Value>(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value>'
            '</rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>' % m.esc(pat))


def start(xdsd, work, name, home, opts):
    node = xdstest.Xdsd(xdsd, work, name=name, opts=["node.home_community_id=" + home,
                                                     "gateway.allow=anonymous",
                                                     "node.log_level=warning"] + opts)
    if not node.start():
        node.dump_log()
        raise RuntimeError("xdsd did not start")
    return node


def measure(node, name, path, action, event, pat, n, warm):
    """n sequential FindDocuments at path after warm: the client's times
    and the node's (duration_ms of its event's records)."""
    env = xdstest.soap_envelope(action, find_docs(pat))
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=60)
    times = []
    for i in range(warm + n):
        t0 = time.perf_counter()
        conn.request("POST", path, env,
                     {"Content-Type": 'application/soap+xml; charset=UTF-8; action="%s"' % action})
        r = conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        if r.status != 200 or b"ResponseStatusType:Success" not in body:
            raise RuntimeError("%s: not a Success: %s" % (name, body[:300]))
        if i >= warm:
            times.append(dt)
    conn.close()

    def recs():
        return [x for x in node.audit() if x.get("event") == event and x.get("endpoint") == path]
    xdstest.wait_until(lambda: len(recs()) >= warm + n)
    return times, [x["duration_ms"] for x in recs()[warm:]]


def run(xdsd, work, name, opts, pat, n, warm):
    node = start(xdsd, work, name, HOME, opts)
    try:
        st, errs, _, _, _ = m.submit(node.port, [b"een\n", b"twee\n", b"drie\n"], pat=pat)
        assert st == "Success", errs
        return measure(node, name, "/xca/responding", ACT_ITI38, "ITI-38", pat, n, warm)
    finally:
        node.stop()


def run_fanout(xdsd, work, pat, loc_url, n, warm):
    """ITI-18 at A's initiating gateway, fanned out to B: without and with
    the open question."""
    b = start(xdsd, work, "fan-b", HOME_B, [])
    out = []
    try:
        st, errs, _, _, _ = m.submit(b.port, [b"een\n", b"twee\n", b"drie\n"], pat=pat)
        assert st == "Success", errs
        d = os.path.join(work, "communities")
        with open(d, "w") as f:
            f.write("%s http://127.0.0.1:%d/xca/responding - Ziekenhuis B\n" % (HOME_B, b.port))
        mitz = ["consent.mode=mitz", "consent.mitz_url=" + loc_url, "consent.ura=12345678",
                "consent.org_type=V6", "consent.location_url=" + loc_url]
        for name, opts in (("fan-out", []), ("fan-out+ITI-56", mitz)):
            a = start(xdsd, work, name, HOME, ["directory.file=" + d] + opts)
            try:
                out.append((name,) + measure(a, name, "/xca/initiating", ACT_ITI18, "ITI-18", pat, n,
                                             warm))
            finally:
                a.stop()
    finally:
        b.stop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("-n", type=int, default=1000, help="ITI-38 per configuration")
    ap.add_argument("--warm", type=int, default=50)
    a = ap.parse_args()
    work = xdstest.tmpdir("bench-consent")
    bsn = m.bsn()
    pat = m.patient(bsn)
    mitz = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "tests", "gateway", "mitz_double.py"),
                             "%s=Permit" % bsn, "%s@%s" % (bsn, HOME_B)], stdout=subprocess.PIPE, text=True)
    try:
        url, loc_url = mitz.stdout.readline().split(" at ", 1)[1].split()
        common = ["consent.mode=mitz", "consent.mitz_url=" + url, "consent.ura=12345678",
                  "consent.org_type=V6", "consent.requesters=anonymous|87654321|V4|01.015"]
        print("ITI-38 FindDocuments at /xca/responding, 3 documents, %d sequential requests on one "
              "keep-alive connection (after %d warm-up)" % (a.n, a.warm))
        print("%-12s %10s %10s %12s" % ("", "median ms", "mean ms", "node med ms"))
        for name, opts in (("allow-all", []), ("mitz", common + ["consent.cache_ttl=0"]),
                           ("mitz+cache", common + ["consent.cache_ttl=300"])):
            times, own = run(a.xdsd, work, name, opts, pat, a.n, a.warm)
            print("%-12s %10.3f %10.3f %12.3f" % (name, statistics.median(times) * 1e3,
                                                  statistics.mean(times) * 1e3, statistics.median(own)))
        print("\nITI-18 FindDocuments at /xca/initiating, fanned out to one community, %d sequential "
              "requests (after %d warm-up)" % (a.n, a.warm))
        print("%-16s %10s %10s %12s" % ("", "median ms", "mean ms", "node med ms"))
        for name, times, own in run_fanout(a.xdsd, work, pat, loc_url, a.n, a.warm):
            print("%-16s %10.3f %10.3f %12.3f" % (name, statistics.median(times) * 1e3,
                                                  statistics.mean(times) * 1e3, statistics.median(own)))
    finally:
        mitz.terminate()
        mitz.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
