#!/usr/bin/env python3
"""Periodic reconciliation of pending rows, and xdsctl retrieve of inline
base64 answers (make check: tests/repository-reconcile.test).

1. Node R (registry only) and node A (repository only, registry_url -> R,
   reconcile_interval=1).  R holds the entry of d2 (registered directly
   with ITI-42), then stops.  A takes d1 and d2 while R is down: both
   pending.  R starts again: without a restart of A, d2 becomes
   retrievable (committed) and d1 is rolled back (row and bytes gone).
2. A tiny HTTP server answers ITI-43 with the document inline as base64:
   xdsctl retrieve writes identical bytes; corrupt base64 gives a clear
   error and leaves no file behind.
"""
import base64
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_repository import Node, blobs, check, command_line, finish  # noqa: E402
import xdsmsg as m  # noqa: E402  (test_repository put tests/lib on sys.path)
from xdstest import reserve_port, wait_until  # noqa: E402

REPO_ID = "1.3.6.1.4.1.21367.13.71.1"
ACT_ITI42 = "urn:ihe:iti:2007:RegisterDocumentSet-b"


def register_direct(port, pat, duid, data):
    eid = m.urn()
    de = m.doc_entry(eid, duid, pat, "text/plain", m.sha1(data), len(data))
    de = de.replace("<rim:Name>", m._slot("repositoryUniqueId", REPO_ID) + "<rim:Name>", 1)
    env = m.envelope(ACT_ITI42, m.submission(pat, [(eid, de)]))
    hs, _, rb = m.post(port, "/xds/registry", 'application/soap+xml; charset=UTF-8; action="%s"' % ACT_ITI42,
                       env.encode())
    return m.status_of(rb.decode("utf-8", "replace"))


def submit_to(port, pat, duid, data):
    eid = m.urn()
    sor = m.submission(pat, [(eid, m.doc_entry(eid, duid, pat))])
    ct, body = m.mtom(m.ACT_ITI41, m.pnr_body(sor, [(eid, "d@x", None)]), [("d@x", data)])
    hs, rct, rb = m.post(port, "/xds/repository", ct, body)
    xml, _ = m.split_mtom(rct, rb)
    return m.status_of(xml), m.errors_of(xml)


def periodic_passes(node):
    """The periodic reconcile passes the node has logged so far."""
    return re.findall(r"reconcile \(periodic\): .*", node.log())


def reconcile_case(xdsd, tmp):
    # R comes back on the port A was told: held for this test, so that
    # nothing else takes it while R is down (connections are refused)
    reserved = reserve_port()
    rport = reserved.port
    rstate, astate = os.path.join(tmp, "reg"), os.path.join(tmp, "repo")
    reg_opts = ["repository.enabled=no"]
    r = Node(xdsd, rstate, reg_opts, port=rport)
    pat = m.patient()
    d1, d2 = os.urandom(5000), os.urandom(7000)
    u1, u2 = m.uid(), m.uid()
    st = register_direct(rport, pat, u2, d2)
    check("ITI-42 of d2 directly at the registry", st == "Success", st)
    r.stop()
    a = Node(xdsd, astate, ["registry.enabled=no", "repository.reconcile_interval=1",
                            "repository.registry_url=http://127.0.0.1:%d/xds/registry" % rport])
    try:
        s1, e1 = submit_to(a.port, pat, u1, d1)
        s2, e2 = submit_to(a.port, pat, u2, d2)
        check("registry down: submissions fail (XDSRegistryNotAvailable)",
              s1 == "Failure" and "XDSRegistryNotAvailable" in e1 and s2 == "Failure", (s1, e1, s2, e2))
        check("registry down: both documents kept pending", len(blobs(astate)) == 2, blobs(astate))
        rs, rerrs, _, _, _ = m.retrieve(a.port, [(REPO_ID, u2, None)])
        check("a pending document is not served", rs == "Failure", (rs, rerrs))
        # a pass that saw both rows (one may have begun before the second
        # submission) and could not tell
        n = len(periodic_passes(a))
        passes = wait_until(lambda: [p for p in periodic_passes(a)[n:] if p.startswith(
            "reconcile (periodic): 2 pending row(s): 0 registered") and "2 left; registry" in p])
        check("registry still down: a pass ran and could not tell",
              passes is not None and "cannot tell" in passes[0], periodic_passes(a)[n:])
        check("registry still down: still pending after a pass", len(blobs(astate)) == 2, blobs(astate))
        r = Node(xdsd, rstate, reg_opts, port=rport)
        got, rs = {}, None

        def settled():
            nonlocal got, rs
            rs, _, got, _, _ = m.retrieve(a.port, [(REPO_ID, u2, None)])
            return rs == "Success" and len(blobs(astate)) == 1
        wait_until(settled)
        check("registry back: registered document committed without restart",
              rs == "Success" and got.get(u2, (0, None))[1] == d2, rs)
        check("registry back: unregistered document rolled back (bytes gone)",
              blobs(astate) == [m.hashlib.sha256(d2).hexdigest()], blobs(astate))
        rs, rerrs, _, _, _ = m.retrieve(a.port, [(REPO_ID, u1, None)])
        check("rolled back document unknown", rs == "Failure" and rerrs == ["XDSDocumentUniqueIdError"], (rs, rerrs))
        log = a.log()
        check("one summary line per pass", re.search(r"reconcile \(periodic\): 2 pending row\(s\): 1 registered "
                                                     r"\(committed\), 1 never registered", log) is not None)
        check("no patient id in the log", pat.split("^")[0] not in log)
    finally:
        # promptly: within stop()'s deadline, else it is killed (rc None)
        rc = a.stop()
        check("repository node stops promptly", rc == 0, rc)
        r.stop()
        reserved.close()


ANSWER = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = ANSWER["body"].encode()
        self.send_response(200)
        self.send_header("Content-Type", 'application/soap+xml; charset=UTF-8; action="%s"'
                         % "urn:ihe:iti:2007:RetrieveDocumentSetResponse")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def inline_answer(duid, b64):
    return ('<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
            '<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="urn:ihe:iti:xds-b:2007">'
            '<rs:RegistryResponse xmlns:rs="%s" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>'
            '<xdsb:DocumentResponse><xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
            '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId><xdsb:mimeType>application/pdf</xdsb:mimeType>'
            '<xdsb:Document>%s</xdsb:Document></xdsb:DocumentResponse>'
            '</xdsb:RetrieveDocumentSetResponse></s:Body></s:Envelope>' % (m.NS_RS, REPO_ID, duid, b64))


def inline_case(xdsctl, tmp):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/xds/repository" % srv.server_address[1]
    try:
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        data = os.urandom(3 * 1024 * 1024 + 7)
        duid = "1.2.3.4.5.77"
        b64 = base64.encodebytes(data).decode()     # 76-column lines
        ANSWER["body"] = inline_answer(duid, b64)
        p = subprocess.run([xdsctl, "--url", url, "-j", "retrieve", duid, "--repository", REPO_ID, "-o", out],
                           capture_output=True, text=True, timeout=60)
        path = os.path.join(out, duid + ".pdf")
        same = os.path.exists(path) and open(path, "rb").read() == data
        check("xdsctl retrieve inline base64: identical bytes", p.returncode == 0 and same, (p.returncode, p.stderr))
        check("xdsctl retrieve inline base64: size and hash reported",
              '"size":%d' % len(data) in p.stdout and m.sha1(data) in p.stdout, p.stdout[:300])
        if os.path.exists(path):
            os.unlink(path)
        ANSWER["body"] = inline_answer(duid, b64[:1000] + "*!" + b64[1000:])
        p = subprocess.run([xdsctl, "--url", url, "retrieve", duid, "--repository", REPO_ID, "-o", out],
                           capture_output=True, text=True, timeout=60)
        check("xdsctl retrieve corrupt base64: clear error, exit 1",
              p.returncode == 1 and "base64" in p.stderr and duid in p.stderr, (p.returncode, p.stderr))
        check("xdsctl retrieve corrupt base64: no file left", os.listdir(out) == [], os.listdir(out))
    finally:
        srv.shutdown()


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="xdsnode-reconcile-")
    reconcile_case(a.xdsd, tmp)
    inline_case(a.xdsctl, tmp)
    return finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
