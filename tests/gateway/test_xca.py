#!/usr/bin/env python3
"""XCA gateways end to end (make check): several xdsd on loopback play
communities, small HTTP servers in this process play faulty peers.

Communities
    A   the initiating one (its Initiating Gateway is under test), with a
        document of its own, asked in process
    B   three documents; reached through proxy PB (its directory line says
        max_documents=1)
    C   two documents; reached through proxy PC
    S   a peer that accepts connections and never answers (only in the
        last run of A, with gateway.timeout=2)
B and C run their Responding Gateway with gateway.allow=anonymous; A's
gateway.allow is empty.  Every node binds port 0 (read from
state/xdsd.ports), so does every server of this test.

PB and PC are proxies that count what they forward and, when told,
misbehave once or until told otherwise: add a delay before forwarding,
hold a request until the other proxy has one, fail with 502, 503, 504,
an empty body or a reset a given number of times, answer a SOAP fault
with HTTP 500, rewrite one document's patient id or home in an ITI-38
answer, strip its home attribute.

Cases (one PASS/FAIL line each, then a total)
    the plain fan-out: every community's documents with their home
    1  a delay of 1 s in front of B: B's results all the same; B and C are
       asked at once
    3  a rewritten patient id: that object dropped, XDSPatientIdDoesNotMatch
       at C; a stripped home: XDSMissingHomeCommunityId at C; B's home on
       C's object: XDSUnknownCommunity at C
    4  503 once: retried, Success, the proxy saw exactly 2 requests; 502
       then 504, a reset then an empty body: Success after 3 requests;
       503 each time: 3 requests (gateway.retries=2), XDSUnavailableCommunity
    5  a SOAP fault with HTTP 500: not retried, XDSUnavailableCommunity
    6  ITI-43 through A: A's (local), B's and C's documents byte for byte
       with their HomeCommunityId; B's split one a request; an unknown
       community is XDSUnknownCommunity for its document
    7  GetDocuments with @home=B asks B only; without home it is
       XDSMissingHomeCommunityId and asks no one
    8  the Responding Gateway: 403 fault for a peer not in gateway.allow,
       answers with anonymous; $targetCommunityIdList with an unknown id
       (PartialSuccess naming it) and empty (an error)
    2  (A restarted with gateway.timeout=2, gateway.max_documents=1 and S
       in its directory) the silent community is XDSUnavailableCommunity,
       cut off by the timeout (its error says so), the others' documents
       are there; so is a document
       of S in an ITI-43, and C is asked one document a request
    10 8 identical concurrent queries share fan-outs: B asked fewer than 8
       times, every answer complete
    9  A's audit log: one record per ITI-18 at /xca/initiating
    11 A's own records of its requests to other communities (direction
       out): one per community and exchange (retries included) for ITI-38
       and ITI-39, with its outcome, in the log before the answer is back;
       xdsctl audit shows them by the community's name

Waiting is on events (xdstest.wait_until); the only sleep is the proxy's
delay, which is the thing under test.  Every node and server is stopped at
the end; the work directory is kept when a check failed.
"""
import http.client
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402
from xdstest import check, wait_until  # noqa: E402

HA = "urn:oid:1.3.6.1.4.1.21367.13.70.1"
HB = "urn:oid:1.3.6.1.4.1.21367.13.70.2"
HC = "urn:oid:1.3.6.1.4.1.21367.13.70.3"
HS = "urn:oid:1.3.6.1.4.1.21367.13.70.9"
HS2 = "urn:oid:1.3.6.1.4.1.21367.13.70.8"
HP = "urn:oid:1.3.6.1.4.1.21367.13.70.7"       # no responding gateway
HX = "urn:oid:1.3.6.1.4.1.21367.13.70.99"      # in no directory
RA, RB, RC = "1.3.6.1.4.1.21367.13.71.1", "1.3.6.1.4.1.21367.13.71.2", "1.3.6.1.4.1.21367.13.71.3"
IG, RG = "/xca/initiating", "/xca/responding"

ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ACT_ITI38 = "urn:ihe:iti:2007:CrossGatewayQuery"
ACT_ITI39 = "urn:ihe:iti:2007:CrossGatewayRetrieve"
SQ_FINDDOCS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
SQ_GETDOCS = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
EI_PATIENT = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
EI_UNIQUEID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
NS = {"s": "http://www.w3.org/2003/05/soap-envelope",
      "query": "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0",
      "rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0",
      "rs": "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0",
      "xdsb": "urn:ihe:iti:xds-b:2007",
      "xop": "http://www.w3.org/2004/08/xop/include"}

DELAY = 1.0          # s, the delaying proxy's
TIMEOUT_A = 10       # s, gateway.timeout of A's first run
TIMEOUT_SILENT = 2   # s, gateway.timeout of A's second run
MEET = 5             # s the "meet" proxies wait for each other at most


# --- HTTP servers of this test ------------------------------------------------

class HttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1, port 0.  handle(method,
    path, headers, body) returns (status, headers, body), or None to keep
    the connection open and never answer.  Requests are read with
    Content-Length or chunked bodies; answers carry Content-Length."""

    def __init__(self, handle):
        self.handle = handle
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.conns = []
        self.threads = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.stopping.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                if self.stopping.is_set():
                    c.close()
                    return
                self.conns.append(c)
                t = threading.Thread(target=self._serve, args=(c,), daemon=True)
                self.threads.append(t)
            t.start()

    @staticmethod
    def _read_until(c, buf, sep):
        while sep not in buf:
            d = c.recv(65536)
            if not d:
                return None, buf
            buf += d
        i = buf.index(sep) + len(sep)
        return buf[:i], buf[i:]

    @staticmethod
    def _read_n(c, buf, n):
        while len(buf) < n:
            d = c.recv(65536)
            if not d:
                return None, buf
            buf += d
        return buf[:n], buf[n:]

    def _read_request(self, c, buf):
        head, buf = self._read_until(c, buf, b"\r\n\r\n")
        if head is None:
            return None, buf
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if headers.get("expect", "").lower() == "100-continue":
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size, buf = self._read_until(c, buf, b"\r\n")
                if size is None:
                    return None, buf
                n = int(size.split(b";")[0].strip(), 16)
                if n == 0:
                    while True:            # trailer, up to the empty line
                        t, buf = self._read_until(c, buf, b"\r\n")
                        if t is None or t == b"\r\n":
                            break
                    break
                data, buf = self._read_n(c, buf, n + 2)
                if data is None:
                    return None, buf
                body += data[:-2]
        else:
            body, buf = self._read_n(c, buf, int(headers.get("content-length", "0")))
            if body is None:
                return None, buf
        return (method, path, headers, body), buf

    def _serve(self, c):
        buf = b""
        try:
            while not self.stopping.is_set():
                req, buf = self._read_request(c, buf)
                if req is None:
                    return
                ans = self.handle(*req)
                if ans is None:                # silent: hold until stop()
                    self.stopping.wait()
                    return
                if ans == "reset":             # RST instead of an answer
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                status, headers, body = ans
                out = ["HTTP/1.1 %d %s" % (status, {200: "OK", 500: "Internal Server Error",
                                                     503: "Service Unavailable"}.get(status, "Status"))]
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        out.append("%s: %s" % (k, v))
                out.append("Content-Length: %d" % len(body))
                close = req[2].get("connection", "").lower() == "close"
                if close:
                    out.append("Connection: close")
                c.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                if close:
                    return
        except OSError:
            return
        finally:
            c.close()

    def stop(self):
        self.stopping.set()
        with self.lock:
            conns, threads = list(self.conns), list(self.threads)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(xdstest.DEADLINE)


def soap_action(headers, body):
    """The SOAP action of a request: the Content-Type's action parameter,
    else the envelope's wsa:Action."""
    m = re.search(r'action="([^"]+)"', headers.get("content-type", ""))
    if m:
        return m.group(1)
    m = re.search(rb"Action[^>]*>\s*([^<\s]+)\s*<", body)
    return m.group(1).decode() if m else ""


SOAP_FAULT = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
              b'<s:Code><s:Value>s:Receiver</s:Value></s:Code>'
              b'<s:Reason><s:Text xml:lang="en">the registry of this community is down</s:Text></s:Reason>'
              b'</s:Fault></s:Body></s:Envelope>')


class Proxy:
    """A proxy in front of upstream_port that records each request's SOAP
    action and behaves as mode says:
        pass            forward
        delay           wait DELAY s, then forward
        meet            wait until the other proxies of self.barrier
                        have a request too (at most MEET s), then forward;
                        self.met says whether they met
        fail            answer the next requests as self.plan says, one
                        entry each ("503", "502", "504": that status with
                        a text body; "empty": 200 without a body; "reset":
                        close the connection with RST), then pass
        fault500        answer a SOAP fault with HTTP 500, never forward
        patient         forward; in an ITI-38 answer, the object holding
                        self.target (a document uniqueId) gets the patient
                        self.other_bsn instead of self.bsn
        nohome          forward; the object holding self.target loses home
        otherhome       forward; the object holding self.target gets
                        self.home as its home
    """

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.mode = "pass"
        self.target = self.bsn = self.other_bsn = self.home = None
        self.plan = []
        self.barrier, self.met = None, []
        self.lock = threading.Lock()
        self.seen = []                         # SOAP actions, in order
        self.server = HttpServer(self.handle)
        self.port = self.server.port

    def set(self, mode, **kw):
        with self.lock:
            self.mode = mode
            self.seen, self.met = [], []
            for k, v in kw.items():
                setattr(self, k, v)

    def count(self, action=None):
        with self.lock:
            return sum(1 for a in self.seen if action is None or a == action)

    def handle(self, method, path, headers, body):
        action = soap_action(headers, body)
        with self.lock:
            self.seen.append(action)
            mode = self.mode
            fail = self.plan.pop(0) if mode == "fail" and self.plan else None
        if fail == "reset":
            return "reset"
        if fail == "empty":
            return 200, {"Content-Type": "application/soap+xml; charset=UTF-8"}, b""
        if fail is not None:
            return int(fail), {"Content-Type": "text/plain"}, b"busy, try again\n"
        if mode == "fault500":
            return 500, {"Content-Type": "application/soap+xml; charset=UTF-8"}, SOAP_FAULT
        if mode == "delay":
            time.sleep(DELAY)                  # the delay under test
        if mode == "meet":
            try:
                self.barrier.wait(MEET)
                met = True
            except threading.BrokenBarrierError:
                met = False
            with self.lock:
                self.met.append(met)
        fwd = {k: v for k, v in headers.items()
               if k not in ("host", "content-length", "connection", "transfer-encoding", "expect")}
        try:
            st, rh, rb = xdstest.request(self.upstream, method, path, body, fwd, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            return 502, {"Content-Type": "text/plain"}, ("proxy: %s\n" % e).encode()
        if mode in ("patient", "nohome", "otherhome") and action == ACT_ITI38:
            rb = self.rewrite(rb, mode)
        return st, {"Content-Type": rh.get("content-type", "application/octet-stream")}, rb

    def rewrite(self, body, mode):
        text = body.decode("utf-8")

        def one(m):
            obj = m.group(0)
            if self.target not in obj:
                return obj
            if mode == "patient":
                return obj.replace(self.bsn, self.other_bsn)
            return re.sub(r'^(<[^>]*?)\shome="[^"]*"', r"\1" + (' home="%s"' % self.home if mode == "otherhome"
                                                              else ""), obj, count=1)
        text = re.sub(r"<(\w+:)?ExtrinsicObject\b.*?</\1ExtrinsicObject>", one, text, flags=re.S)
        return text.encode("utf-8")

    def stop(self):
        self.server.stop()


def silent_peer():
    """A server that reads requests and never answers."""
    return HttpServer(lambda *req: None)


# --- messages -------------------------------------------------------------------

SQ_GETALL = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3"
MAX_RESULTS_B = 4	# B holds 3 documents: FindDocuments fits, GetAll does not


def adhoc(qid, slots, home=None):
    s = "".join('<rim:Slot name="%s"><rim:ValueList>%s</rim:ValueList></rim:Slot>'
                % (n, "".join("<rim:Value>%s</rim:Value>" % xdsmsg.esc(v) for v in vs))
                for n, vs in slots)
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="%s"%s>%s</rim:AdhocQuery></query:AdhocQueryRequest>'
            % (qid, ' home="%s"' % home if home else "", s))


def find_docs(pat, extra=()):
    return adhoc(SQ_FINDDOCS, [("$XDSDocumentEntryPatientId", ["'%s'" % pat]),
                               ("$XDSDocumentEntryStatus",
                                ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"])] + list(extra))


def get_docs(uuids, home=None):
    return adhoc(SQ_GETDOCS, [("$XDSDocumentEntryEntryUUID",
                               ["(%s)" % ",".join("'%s'" % u for u in uuids)])], home)


class Answer:
    """What a query or retrieve answer says: the HTTP status, the status
    (Success, PartialSuccess, Failure), errors [(code, location, context)],
    objects {document uniqueId: {id, home, patient}} or documents
    {uniqueId: {home, repository, mime, data}}, a SOAP fault's code, the
    seconds it took."""

    def __init__(self, http, xml, att=None, elapsed=0.0):
        self.http, self.xml, self.elapsed = http, xml, elapsed
        self.status, self.errors, self.objects, self.docs, self.fault = None, [], {}, {}, None
        try:
            env = ET.fromstring(xml)
        except ET.ParseError as e:
            self.fault = "not XML: %s" % e
            return
        f = env.find(".//s:Fault", NS)
        if f is not None:
            self.fault = "".join(f.find("s:Code/s:Value", NS).itertext()) if f.find(
                "s:Code/s:Value", NS) is not None else "?"
            return
        resp = env.find("s:Body/*", NS)
        if resp is None:
            return
        if resp.tag.endswith("RetrieveDocumentSetResponse"):
            resp = resp.find("rs:RegistryResponse", NS)
            rresp = env.find("s:Body/*", NS)
        else:
            rresp = None
        st = resp.get("status") if resp is not None else None
        self.status = st.rsplit(":", 1)[-1] if st else None
        for e in env.iter("{%s}RegistryError" % NS["rs"]):
            self.errors.append((e.get("errorCode"), e.get("location"), e.get("codeContext") or ""))
        for o in env.iter("{%s}ExtrinsicObject" % NS["rim"]):
            ids = {ei.get("identificationScheme"): ei.get("value")
                   for ei in o.findall("rim:ExternalIdentifier", NS)}
            self.objects[ids.get(EI_UNIQUEID)] = {"id": o.get("id"), "home": o.get("home"),
                                                   "patient": ids.get(EI_PATIENT)}
        for dr in (rresp.findall("xdsb:DocumentResponse", NS) if rresp is not None else []):
            def t(name):
                n = dr.find("xdsb:" + name, NS)
                return n.text if n is not None else None
            inc = dr.find("xdsb:Document/xop:Include", NS)
            data = None
            if inc is not None and inc.get("href", "").startswith("cid:"):
                data = (att or {}).get(inc.get("href")[4:])
            self.docs[t("DocumentUniqueId")] = {"home": t("HomeCommunityId"),
                                                "repository": t("RepositoryUniqueId"),
                                                "mime": t("mimeType"), "data": data}

    def codes(self):
        return [c for c, _, _ in self.errors]

    def has_error(self, code, location=None, context=None):
        return any(c == code and (location is None or loc == location)
                   and (context is None or context in ctx) for c, loc, ctx in self.errors)

    def __repr__(self):
        return "HTTP %s %s errors=%s objects=%s docs=%s fault=%s (%.2f s)" % (
            self.http, self.status, self.errors, sorted((k or "")[-12:] for k in self.objects),
            sorted((k or "")[-12:] for k in self.docs), self.fault, self.elapsed)


def query(port, path, body, action=ACT_ITI18):
    t0 = time.monotonic()
    st, rb = xdstest.post(port, path, xdstest.soap_envelope(action, body), timeout=60)
    return Answer(st, rb.decode("utf-8", "replace"), elapsed=time.monotonic() - t0)


def retrieve(port, path, reqs):
    ct, body = xdsmsg.mtom(xdsmsg.ACT_ITI43, xdsmsg.retrieve_body(reqs), [])
    t0 = time.monotonic()
    st, rct, rb = xdsmsg.post(port, path, ct, body)
    xml, att = xdsmsg.split_mtom(rct, rb)
    return Answer(st, xml, att, time.monotonic() - t0)


# --- the run ----------------------------------------------------------------------

class Run:
    def __init__(self, xdsd):
        self.xdsd = xdsd
        self.work = xdstest.tmpdir("xca")
        self.nodes, self.servers = [], []
        self.ig_queries = 0          # ITI-18 sent to A's initiating gateway

    def node(self, name, home, repo, opts=()):
        n = xdstest.Xdsd(self.xdsd, self.work, name=name,
                         opts=["node.home_community_id=" + home, "repository.unique_id=" + repo]
                         + list(opts))
        self.nodes.append(n)
        if not n.start():
            n.dump_log(4000)
            raise RuntimeError("xdsd %s did not become ready" % name)
        return n

    def server(self, s):
        self.servers.append(s)
        return s

    def directory(self, name, lines):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write("# hcid  responding gateway  URA  [settings]  name\n")
            for hcid, port, settings, org in lines:
                f.write("%s http://127.0.0.1:%d%s - %s%s\n"
                        % (hcid, port, RG, settings + " " if settings else "", org))
        return path

    def ig_query(self, a, body):
        self.ig_queries += 1
        return query(a.port, IG, body)

    def stop(self):
        for s in self.servers:
            s.stop()
        for n in self.nodes:
            rc = n.stop()
            if n.returncode() is not None:
                check("xdsd %s stops cleanly" % os.path.basename(n.dir), rc == 0, rc)


def outbound(node, txn, since):
    """A's records of its own requests to other communities (direction
    out) of transaction txn, among its access records from index since."""
    return [x for x in node.audit()[since:] if x.get("event") == txn and x.get("direction") == "out"]


def cut_off(ans, hcid):
    """The community's XDSUnavailableCommunity says the deadline ended it
    (the transfer's own bound or the fan-out's), not a refusal or a
    closed connection."""
    return any(c == "XDSUnavailableCommunity" and loc == hcid
               and ("timed out" in ctx or "no answer within" in ctx
                    or "no free request slot within" in ctx)
               for c, loc, ctx in ans.errors)


def expect_docs(ans, want, absent=()):
    """Whether every document uniqueId of want ({uid: home}) is among the
    answer's objects with that home, and none of absent."""
    return (all(u in ans.objects and ans.objects[u]["home"] == h for u, h in want.items())
            and not any(u in ans.objects for u in absent))


def cases(r):
    a_opts = ["gateway.timeout=%d" % TIMEOUT_A]
    b = r.node("b", HB, RB, ["gateway.allow=anonymous", "gateway.max_results=%d" % MAX_RESULTS_B])
    c = r.node("c", HC, RC, ["gateway.allow=anonymous"])
    pb, pc = r.server(Proxy(b.port)), r.server(Proxy(c.port))
    dir1 = r.directory("communities", [(HB, pb.port, "max_documents=1", "Ziekenhuis B"),
                                       (HC, pc.port, "", "Huisarts C")])
    a = r.node("a", HA, RA, ["directory.file=" + dir1] + a_opts)

    bsn = xdsmsg.bsn()
    pat = xdsmsg.patient(bsn)
    other_bsn = xdsmsg.bsn()
    while other_bsn == bsn:
        other_bsn = xdsmsg.bsn()
    content = {}

    def submit(node, repo, home, docs):
        st, errs, uids, _, http = xdsmsg.submit(node.port, docs, pat=pat)
        if not check("submit %d document(s) to %s" % (len(docs), home[-4:]), st == "Success", (http, st, errs)):
            raise RuntimeError("cannot go on without the documents")
        for u, d in zip(uids, docs):
            content[u] = (repo, home, d)
        return uids
    (a1,) = submit(a, RA, HA, [b"A: verslag van de eigen afdeling\n"])
    b1, b2, b3 = submit(b, RB, HB, [b"B: brief een\n", b"B: brief twee\n" + os.urandom(300),
                                    b"B: brief drie\n"])
    c1, c2 = submit(c, RC, HC, [b"C: labuitslag\n", b"C: medicatieoverzicht\n"])
    every = {u: h for u, (_, h, _) in content.items()}

    # The plain fan-out.
    ans = r.ig_query(a, find_docs(pat))
    check("ITI-18 at the initiating gateway: Success with the documents of A, B and C, each with its home",
          ans.http == 200 and ans.status == "Success" and not ans.errors and expect_docs(ans, every)
          and len(ans.objects) == 6, ans)
    check("each community was asked once by ITI-38",
          pb.count(ACT_ITI38) == 1 and pc.count(ACT_ITI38) == 1, (pb.seen, pc.seen))
    with open("/proc/%d/maps" % a.proc.pid) as f:
        check("A loaded libcurl for its first outbound request", "libcurl" in f.read(), "not mapped")

    # 1: a slow community, within gateway.timeout.
    pb.set("delay")
    ans = r.ig_query(a, find_docs(pat))
    check("1: B behind a %.0f s delay: Success with every document" % DELAY,
          ans.status == "Success" and not ans.errors and expect_docs(ans, every), ans)

    # 10: identical queries of one consumer while one is out share its
    # fan-out (B is still slow, so the first is out while the others come)
    before = pb.count(ACT_ITI38)
    answers = []

    def same_query():
        answers.append(r.ig_query(a, find_docs(pat)))
    qs = [threading.Thread(target=same_query) for _ in range(8)]
    for t in qs:
        t.start()
    for t in qs:
        t.join()
    asked = pb.count(ACT_ITI38) - before
    check("10: 8 identical concurrent queries: each answered in full",
          len(answers) == 8 and all(x.status == "Success" and expect_docs(x, every) for x in answers),
          answers[:2])
    check("10: ... sharing fan-outs: B was asked fewer times than there were queries (%d)" % asked,
          1 <= asked < 8, asked)
    pb.set("pass")
    meet = threading.Barrier(2)
    pb.set("meet", barrier=meet)
    pc.set("meet", barrier=meet)
    ans = r.ig_query(a, find_docs(pat))
    check("1: B and C are asked at once (each proxy held its request until the other had one)",
          ans.status == "Success" and expect_docs(ans, every) and pb.met == [True] and pc.met == [True],
          (ans, pb.met, pc.met))
    pb.set("pass")
    pc.set("pass")

    # 3: a community that returns another patient's object, or one without home.
    pc.set("patient", target=c1, bsn=bsn, other_bsn=other_bsn)
    ans = r.ig_query(a, find_docs(pat))
    check("3: an object of another patient from C is not passed on, the rest is",
          ans.status == "PartialSuccess" and expect_docs(ans, {u: h for u, h in every.items() if u != c1}, [c1]),
          ans)
    check("3: ... and is reported as XDSPatientIdDoesNotMatch located at C",
          ans.has_error("XDSPatientIdDoesNotMatch", HC) and len(ans.errors) == 1, ans.errors)
    check("3: C's answer came through the proxy that rewrote it", pc.count(ACT_ITI38) == 1, pc.seen)
    pc.set("nohome", target=c1)
    ans = r.ig_query(a, find_docs(pat))
    check("3: an object without home from C is not passed on, the rest is",
          ans.status == "PartialSuccess" and expect_docs(ans, {u: h for u, h in every.items() if u != c1}, [c1]),
          ans)
    check("3: ... and is reported as XDSMissingHomeCommunityId located at C",
          ans.has_error("XDSMissingHomeCommunityId", HC) and len(ans.errors) == 1, ans.errors)
    pc.set("otherhome", target=c1, home=HB)
    ans = r.ig_query(a, find_docs(pat))
    check("3: an object of C with B's home is not passed on (XDSUnknownCommunity located at C), the rest is",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnknownCommunity", HC) and len(ans.errors) == 1
          and expect_docs(ans, {u: h for u, h in every.items() if u != c1}, [c1]), ans)
    pc.set("pass")

    # 4: transport errors, then an answer: retried (gateway.retries=2).
    pb.set("fail", plan=["503"])
    since = len(a.audit())
    ans = r.ig_query(a, find_docs(pat))
    recs = outbound(a, "ITI-38", since)
    check("11: B retried once: A's access log already holds one outbound ITI-38 record per community "
          "when the answer is back, both success (a retry is the same exchange)",
          sorted(x.get("community") for x in recs) == [HB, HC]
          and all(x.get("outcome") == "success" for x in recs), recs)
    check("4: B answers 503 once: the query is retried and is a Success with every document",
          ans.status == "Success" and not ans.errors and expect_docs(ans, every), ans)
    check("4: the proxy saw exactly 2 requests", pb.count() == 2 and pb.count(ACT_ITI38) == 2, pb.seen)
    for plan in (["502", "504"], ["reset", "empty"]):
        pb.set("fail", plan=plan)
        ans = r.ig_query(a, find_docs(pat))
        check("4: B fails with %s, then answers: Success with every document, 3 requests"
              % " and ".join(plan), ans.status == "Success" and not ans.errors
              and expect_docs(ans, every) and pb.count() == 3, (ans, pb.seen))
    pb.set("fail", plan=["503"] * 5)
    since = len(a.audit())
    ans = r.ig_query(a, find_docs(pat))
    recs = {x.get("community"): x for x in outbound(a, "ITI-38", since)}
    check("11: B answers 503 each time: its one ITI-38 record is a fault after 3 tries, C's a success",
          len(outbound(a, "ITI-38", since)) == 2 and recs.get(HB, {}).get("outcome") == "fault"
          and "after 3 tries" in recs.get(HB, {}).get("reason", "")
          and recs.get(HB, {}).get("http_status") == 503
          and recs.get(HC, {}).get("outcome") == "success", recs)
    check("4: B answers 503 each time: 3 requests (gateway.retries=2), then XDSUnavailableCommunity at B",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnavailableCommunity", HB)
          and len(ans.errors) == 1 and pb.count() == 3
          and expect_docs(ans, {u: h for u, h in every.items() if h != HB}, [b1, b2, b3]), (ans, pb.seen))
    pb.set("pass")

    # 5: a SOAP fault is an answer: never retried.
    pc.set("fault500")
    since = len(a.audit())
    ans = r.ig_query(a, find_docs(pat))
    recs = {x.get("community"): x for x in outbound(a, "ITI-38", since)}
    rb, rc_ = recs.get(HB, {}), recs.get(HC, {})
    check("11: C answers a fault: A's access log holds one outbound ITI-38 record for B (success) and "
          "one for C (fault), each with the patient, the query, the community's URL and name",
          len(recs) == 2 and rb.get("outcome") == "success" and rc_.get("outcome") == "fault"
          and rc_.get("outcome_code") == 8 and rc_.get("reason")
          and all(x.get("patient", "").startswith(bsn) and x.get("object") == SQ_FINDDOCS
                  and x.get("endpoint") == "" and x.get("action") == ACT_ITI38 for x in recs.values())
          and rb.get("user") == "http://127.0.0.1:%d%s" % (pb.port, RG)
          and rc_.get("user") == "http://127.0.0.1:%d%s" % (pc.port, RG)
          and rb.get("organisation") == "Ziekenhuis B" and rc_.get("organisation") == "Huisarts C", recs)
    mid = rb.get("message_id")
    check("11: ... B's record names the wsa:MessageID B's own record of the ITI-38 holds",
          mid and any(x.get("message_id") == mid and x.get("endpoint") == RG and x.get("event") == "ITI-38"
                      for x in b.audit()), (mid, b.audit()[-2:]))
    cons = [x for x in a.audit()[since:] if x.get("event") == "ITI-18"]
    check("11: ... and the consumer's own ITI-18 record stays one, inbound, PartialSuccess",
          len(cons) == 1 and cons[0].get("endpoint") == IG and "direction" not in cons[0]
          and cons[0].get("outcome") == "partial", cons)
    t = subprocess.run([r.xdsctl, "-C", "node.state_dir=" + a.state, "audit", "event=ITI-38",
                        "outcome=fault"], capture_output=True, text=True, timeout=60)
    check("11: xdsctl audit shows A's failed ITI-38 to C by the community's name",
          t.returncode == 0 and any("ITI-38" in l and "Huisarts C" in l for l in t.stdout.splitlines()),
          t.stdout + t.stderr)
    check("5: C answers a SOAP fault (HTTP 500): PartialSuccess, XDSUnavailableCommunity located at C",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnavailableCommunity", HC)
          and len(ans.errors) == 1, ans)
    check("5: ... A's and B's documents are there, C's are not",
          expect_docs(ans, {u: h for u, h in every.items() if h != HC}, [c1, c2]), ans)
    check("5: the fault was not retried (the proxy saw exactly 1 request)", pc.count() == 1, pc.seen)
    pc.set("pass")

    # 6: ITI-43 routed by HomeCommunityId.
    pb.set("pass")
    reqs = [(content[u][0], u, content[u][1]) for u in (a1, b1, c1, b2, c2, b3)]
    since = len(a.audit())
    ans = retrieve(a.port, IG, reqs)
    recs = outbound(a, "ITI-39", since)
    check("11: ITI-43 through A: one outbound ITI-39 record per request to a community (B 3, C 1), "
          "each success, naming the documents it asked for",
          sorted((x.get("community"), x.get("object")) for x in recs)
          == sorted([(HB, b1), (HB, b2), (HB, b3), (HC, "%s %s" % (c1, c2))])
          and all(x.get("outcome") == "success" for x in recs), recs)
    check("6: ITI-43 of A's, B's and C's documents through A: Success, all six",
          ans.http == 200 and ans.status == "Success" and not ans.errors and len(ans.docs) == 6, ans)
    check("6: every document comes back byte for byte",
          all(u in ans.docs and ans.docs[u]["data"] == content[u][2] for u in content),
          {u[-8:]: (ans.docs.get(u) or {}).get("data", b"")[:20] for u in content})
    check("6: every DocumentResponse names its community and repository",
          all(u in ans.docs and ans.docs[u]["home"] == content[u][1]
              and ans.docs[u]["repository"] == content[u][0] for u in content),
          {u[-8:]: (d["home"], d["repository"]) for u, d in ans.docs.items()})
    check("6: B (max_documents=1) got 3 ITI-39 requests, C 1",
          pb.count(ACT_ITI39) == 3 and pb.count() == 3 and pc.count(ACT_ITI39) == 1 and pc.count() == 1,
          (pb.seen, pc.seen))
    pb.set("pass")
    pc.set("pass")
    unknown_uid = xdsmsg.uid()
    ans = retrieve(a.port, IG, [(RB, b1, HB), ("1.2.3.4", unknown_uid, HX)])
    check("6: a document of an unknown community: PartialSuccess, XDSUnknownCommunity for it, B's document there",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnknownCommunity", context=unknown_uid)
          and len(ans.errors) == 1 and list(ans.docs) == [b1]
          and ans.docs[b1]["data"] == content[b1][2], ans)
    check("6: nothing was sent for it (B asked once, C not at all)",
          pb.count() == 1 and pc.count() == 0, (pb.seen, pc.seen))

    # 7: a query by ids goes to the community @home names.
    full = r.ig_query(a, find_docs(pat))
    ub1 = (full.objects.get(b1) or {}).get("id")
    pb.set("pass")
    pc.set("pass")
    ans = r.ig_query(a, get_docs([ub1], home=HB))
    check("7: GetDocuments with @home=B: Success with B's document, home B",
          ans.status == "Success" and not ans.errors and list(ans.objects) == [b1]
          and ans.objects[b1]["home"] == HB, ans)
    check("7: ... asked of B only", pb.count(ACT_ITI38) == 1 and pc.count() == 0, (pb.seen, pc.seen))
    ans = r.ig_query(a, get_docs([ub1]))
    check("7: GetDocuments without home: XDSMissingHomeCommunityId, no objects",
          ans.http == 200 and ans.status == "Failure" and ans.has_error("XDSMissingHomeCommunityId")
          and not ans.objects, ans)
    check("7: ... and no community was asked", pb.count() == 1 and pc.count() == 0, (pb.seen, pc.seen))

    # 8: the responding gateway's door and $targetCommunityIdList.
    ans = query(a.port, RG, find_docs(pat), ACT_ITI38)
    check("8: A's responding gateway (gateway.allow empty) refuses: HTTP 403, a SOAP Sender fault",
          ans.http == 403 and ans.fault is not None and ans.fault.endswith("Sender"), ans)
    ans = query(b.port, RG, find_docs(pat), ACT_ITI38)
    check("8: B's responding gateway (gateway.allow=anonymous) answers with its documents, home B",
          ans.http == 200 and ans.status == "Success" and expect_docs(ans, {b1: HB, b2: HB, b3: HB})
          and len(ans.objects) == 3, ans)
    ans = query(b.port, RG, find_docs(pat, [("$targetCommunityIdList", ["('%s','%s')" % (HB, HX)])]),
                ACT_ITI38)
    check("8: $targetCommunityIdList with B and an unknown id: PartialSuccess naming it, B's documents",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnknownCommunity", context=HX)
          and len(ans.objects) == 3, ans)
    ans = query(b.port, RG, find_docs(pat, [("$targetCommunityIdList", ["()"])]), ACT_ITI38)
    check("8: an empty $targetCommunityIdList: Failure with an error, no objects",
          ans.http == 200 and ans.status == "Failure" and ans.errors and not ans.objects, ans)
    # GetAll: B's 3 documents, its submission set(s) and their associations,
    # more than B's gateway.max_results
    ans = query(b.port, RG, adhoc(SQ_GETALL, [
        ("$patientId", ["'%s'" % pat]),
        ("$XDSDocumentEntryStatus", ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]),
        ("$XDSSubmissionSetStatus", ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]),
        ("$XDSFolderStatus", ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"])]), ACT_ITI38)
    check("8: more objects than gateway.max_results (%d): Failure, XDSTooManyResults located at B, "
          "no objects" % MAX_RESULTS_B,
          ans.status == "Failure" and ans.has_error("XDSTooManyResults", HB) and not ans.objects, ans)

    # 2: a community that never answers (A again, gateway.timeout=2).
    rc = a.stop()
    check("xdsd a stops cleanly before its restart", rc == 0, rc)
    silent = r.server(silent_peer())
    dir2 = r.directory("communities-2", [(HB, pb.port, "max_documents=1", "Ziekenhuis B"),
                                         (HC, pc.port, "", "Huisarts C"),
                                         (HS, silent.port, "", "Stille Kliniek")])
    a.opts = ["node.home_community_id=" + HA, "repository.unique_id=" + RA, "directory.file=" + dir2,
              "gateway.timeout=%d" % TIMEOUT_SILENT, "gateway.max_documents=1"]
    if not a.start():
        a.dump_log(4000)
        raise RuntimeError("xdsd a did not restart")
    ans = r.ig_query(a, find_docs(pat))
    check("2: a silent community: PartialSuccess, XDSUnavailableCommunity located at it",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnavailableCommunity", HS)
          and len(ans.errors) == 1, ans)
    check("2: ... with every document of A, B and C", expect_docs(ans, every) and len(ans.objects) == 6, ans)
    check("2: ... because gateway.timeout (%d s) cut it off, not because the peer went away"
          % TIMEOUT_SILENT, cut_off(ans, HS), ans)

    # the same through xdsctl timeline: every document, and a line for
    # the community that did not answer, by its name
    t = subprocess.run([r.xdsctl, "-C", "http.listen=127.0.0.1:%d" % a.port, "-C", "directory.file=" + dir2,
                        "-C", "node.home_community_id=" + HA, "timeline", "--patient", bsn],
                       capture_output=True, text=True, timeout=60)
    r.ig_queries += 1		# an ITI-18 at A's initiating gateway too
    rows = [l for l in t.stdout.splitlines()[1:] if l[:4].isdigit()]
    check("2: xdsctl timeline at A: the 6 documents, newest first, by community name, and "
          "\"no answer from Stille Kliniek\"",
          t.returncode == 0 and len(rows) == 6 and rows == sorted(rows, reverse=True)
          and sum("Ziekenhuis B" in l for l in rows) == 3 and sum("this community" in l for l in rows) == 1
          and any(l.startswith("no answer from Stille Kliniek (%s)" % HS) for l in t.stdout.splitlines()),
          t.stdout + t.stderr)

    pb.set("pass")
    pc.set("pass")
    lost = xdsmsg.uid()
    ans = retrieve(a.port, IG, [(RC, c1, HC), (RC, c2, HC), ("1.2.3.4", lost, HS)])
    check("2: ITI-43 with a document of the silent community: PartialSuccess, XDSUnavailableCommunity "
          "at it for that document, C's documents there",
          ans.status == "PartialSuccess" and ans.has_error("XDSUnavailableCommunity", HS, lost)
          and len(ans.errors) == 1 and sorted(ans.docs) == sorted([c1, c2])
          and all(ans.docs[u]["data"] == content[u][2] for u in (c1, c2)), ans)
    check("2: ... cut off by gateway.timeout, and C (no max_documents in the directory) was asked "
          "one document a request (gateway.max_documents=1)",
          cut_off(ans, HS) and pc.count(ACT_ITI39) == 2 and pc.count() == 2, (ans, pc.seen))

    # 9: the audit log of A.
    def ig18():
        return [x for x in a.audit() if x.get("event") == "ITI-18" and x.get("endpoint") == IG]
    wait_until(lambda: len(ig18()) >= r.ig_queries)
    recs = ig18()
    check("9: A's audit log has one record per ITI-18 at %s (%d)" % (IG, r.ig_queries),
          len(recs) == r.ig_queries, "%d records" % len(recs))
    check("9: ... each names the patient or the query, and an outcome",
          all(x.get("outcome") in ("success", "partial", "failure") and x.get("object") for x in recs)
          and sum(1 for x in recs if x.get("patient", "").startswith(bsn)) == r.ig_queries - 2,
          recs[-3:])

    # 12: one request slot for the whole gateway (gateway.concurrency=1)
    # and two silent communities: the first takes the slot until the
    # deadline, the second is never sent, and its record says so.
    rc = a.stop()
    check("xdsd a stops cleanly before its restart", rc == 0, rc)
    silent2 = r.server(silent_peer())
    dir3 = r.directory("communities-3", [(HS, silent.port, "", "Stille Kliniek"),
                                         (HS2, silent2.port, "", "Zwijgend Centrum")])
    with open(dir3, "a") as f:     # reached by push only: never asked
        f.write("- - 00007003 xdr=https://127.0.0.1:1/xdr/recipient Kliniek Push\n")
        f.write("%s - - dicom=PACS@127.0.0.1:1 Beeldcentrum\n" % HP)
    a.opts = ["node.home_community_id=" + HA, "repository.unique_id=" + RA, "directory.file=" + dir3,
              "gateway.timeout=%d" % TIMEOUT_SILENT, "gateway.concurrency=1", "gateway.retries=0"]
    if not a.start():
        a.dump_log(4000)
        raise RuntimeError("xdsd a did not restart")
    since = len(a.audit())
    ans = r.ig_query(a, find_docs(pat))
    recs = sorted(outbound(a, "ITI-38", since), key=lambda x: not x.get("reason", "").startswith("not sent"))
    check("12: one slot, two silent communities: both XDSUnavailableCommunity",
          ans.has_error("XDSUnavailableCommunity", HS) and ans.has_error("XDSUnavailableCommunity", HS2), ans)
    check("12: ... A's records: one sent and cut off after 1 try, one not sent for want of a slot; "
          "the organisations without a responding gateway were not asked",
          len(recs) == 2 and recs[0].get("reason", "").startswith("not sent: no free request slot")
          and "after 1 try" in recs[1].get("reason", ""), recs)
    ans = r.ig_query(a, get_docs(["urn:uuid:%s" % uuid.uuid4()], home=HP))
    check("12: a query at a community the directory knows no responding gateway of: "
          "XDSUnknownCommunity naming it",
          ans.status == "Failure" and any(c == "XDSUnknownCommunity" and "no responding gateway" in ctx
                                          for c, _, ctx in ans.errors), ans)


def run_main(cases, xdsctl=False, doubles=()):
    """The main of a test of several nodes: the command line, a Run
    (r.xdsd, and r.xdsctl with xdsctl), cases(r, *doubles), every node and
    double stopped, the summary; the work directory kept when a check
    failed.  The exit status."""
    args = xdstest.command_line(xdsctl=xdsctl)
    r = Run(args.xdsd)
    r.xdsd = args.xdsd
    if xdsctl:
        r.xdsctl = args.xdsctl
    ok = True
    try:
        cases(r, *doubles)
    except Exception as e:       # a harness failure: say so, stop everything
        ok = False
        check("the run completes", False, "%s: %s" % (type(e).__name__, e))
    finally:
        for d in doubles:
            d.stop()
        r.stop()
    rc = xdstest.summary() or (0 if ok else 1)
    if rc == 0:
        shutil.rmtree(r.work, ignore_errors=True)
    else:
        for n in r.nodes:
            n.dump_log(3000)
        print("work directory kept: %s" % r.work)
    return rc


if __name__ == "__main__":
    sys.exit(run_main(cases, xdsctl=True))
