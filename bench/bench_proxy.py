"""The validating proxy's cost: N FindDocuments (ITI-18) on one keep-alive
connection straight to xdsd, then through `xdsctl proxy` (every exchange
checked against the schemas and the registry's rules and written to its
directory), and through the proxy with a 1 MB ITI-41 each, beside the same
ITI-41 straight.  Latency per request (p50, p99) and requests per second.

usage: python3 bench/bench_proxy.py --xdsd build/xdsd --xdsctl build/xdsctl [--n 1000]
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "lib"))
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--docs", type=int, default=50, help="ITI-41 requests of 1 MB")
args = ap.parse_args()
PAT = xdsmsg.patient("999911120")
FIND = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
        'returnType="LeafClass" returnComposedObjects="true"/><rim:AdhocQuery '
        'id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"><rim:Slot '
        'name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>\'%s\'</rim:Value>'
        '</rim:ValueList></rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
        '<rim:Value>(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value>'
        '</rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>' % PAT.replace("&", "&amp;"))


def run(port, path, make, n):
    """n POSTs of make() on one connection: (p50 ms, p99 ms, per second)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    lat = []
    t0 = time.monotonic()
    for _ in range(n):
        ctype, body = make()
        t = time.monotonic()
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("HTTP %d from %s" % (r.status, path))
        lat.append((time.monotonic() - t) * 1000)
    total = time.monotonic() - t0
    c.close()
    lat.sort()
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], n / total


def find():
    return xdstest.SOAP12, xdstest.soap_envelope("urn:ihe:iti:2007:RegistryStoredQuery", FIND)


BLOB = os.urandom(1 << 20)


def pnr():
    eid, uid = xdsmsg.urn(), xdsmsg.uid()
    body = xdsmsg.pnr_body(xdsmsg.submission(PAT, [(eid, xdsmsg.doc_entry(eid, uid, PAT,
                                                                          "application/pdf"))]),
                           [(eid, "d@bench", None)])
    return xdsmsg.mtom("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b", body,
                       [("d@bench", BLOB)])


work = tempfile.mkdtemp(prefix="xds-bench-proxy-")
node = xdstest.Xdsd(args.xdsd, work, ["node.log_level=warning"], name="node")
if not node.start():
    node.dump_log(3000)
    sys.exit("xdsd did not start")
ex = os.path.join(work, "exchanges")
px = subprocess.Popen([args.xdsctl, "proxy", "--listen", "127.0.0.1:0", "--to",
                       "http://127.0.0.1:%d" % node.port, "--dir", ex],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
first = px.stdout.readline().split()
pport = int(first[-1].rsplit(":", 1)[1]) if first else 0
threading.Thread(target=lambda: [None for _ in px.stdout], daemon=True).start()
try:
    for i in range(20):                      # a patient with 20 entries to find
        run(node.port, "/xds/repository", pnr, 1)
    print("%-44s %8s %8s %8s" % ("", "p50 ms", "p99 ms", "req/s"))
    for name, port, path, make, n in (
            ("ITI-18 FindDocuments, straight", node.port, "/xds/registry", find, args.n),
            ("ITI-18 FindDocuments, through the proxy", pport, "/xds/registry", find, args.n),
            ("ITI-41 of 1 MB, straight", node.port, "/xds/repository", pnr, args.docs),
            ("ITI-41 of 1 MB, through the proxy", pport, "/xds/repository", pnr, args.docs)):
        print("%-44s %8.2f %8.2f %8.0f" % ((name,) + run(port, path, make, n)))
    print("exchanges written by the proxy: %d files" % len(os.listdir(ex)))
finally:
    xdstest.stop_process(px, 20)
    node.stop()
    shutil.rmtree(work, ignore_errors=True)
