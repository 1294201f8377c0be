#!/usr/bin/env python3
"""Node-level tests of xdsd over real sockets (make check).

Starts xdsd on a free loopback port with a temporary state directory and
checks what the issue's "done when" asks of the core:
  * XXE, billion laughs, a 2 GB chunked body and a slow-drip client are each
    refused cleanly while the node keeps serving others;
  * with TLS on, a client without a certificate is refused at the handshake
    and one with a certificate from the configured CA is served;
  * every request leaves exactly one audit line;
  * /health, /metrics, ?wsdl, 404/405, SIGTERM stops gracefully.
Prints one line per case and a final "N passed, M failed".
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append((name, bool(cond)))
    print("%s: %s%s" % ("PASS" if cond else "FAIL", name,
                        "" if cond or not detail else " -- " + str(detail)))
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Node:
    def __init__(self, xdsd, extra=(), tls=None):
        self.dir = tempfile.mkdtemp(prefix="xdsnode-test-")
        self.port = free_port()
        self.tls = tls
        args = [xdsd, "-f", "-C", "http.listen=127.0.0.1:%d" % self.port,
                "-C", "node.state_dir=%s" % os.path.join(self.dir, "state"),
                "-C", "dicom.enabled=no"]  # no DICOM port to share; extra may turn it on
        for e in extra:
            args += ["-C", e]
        self.log = open(os.path.join(self.dir, "xdsd.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.get("/health")[0] == 200:
                    return
            except Exception:
                time.sleep(0.1)
        self.dump_log()
        raise RuntimeError("xdsd did not become ready")

    def ctx(self, with_cert=True):
        c = ssl.create_default_context(cafile=self.tls["ca"])
        c.check_hostname = False
        if with_cert:
            c.load_cert_chain(self.tls["client_cert"], self.tls["client_key"])
        return c

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)

    def get(self, path, timeout=5):
        req = urllib.request.Request(self.url(path))
        kw = {"timeout": timeout}
        if self.tls:
            kw["context"] = self.ctx()
        try:
            with urllib.request.urlopen(req, **kw) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def post(self, path, body, ctype='application/soap+xml; charset=UTF-8', timeout=10):
        req = urllib.request.Request(self.url(path), data=body, method="POST",
                                     headers={"Content-Type": ctype})
        kw = {"timeout": timeout}
        if self.tls:
            kw["context"] = self.ctx()
        try:
            with urllib.request.urlopen(req, **kw) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def audit_lines(self):
        lines = []
        for f in sorted(glob.glob(os.path.join(self.dir, "state", "audit", "*.jsonl"))):
            with open(f) as fp:
                lines += [json.loads(l) for l in fp if l.strip()]
        return lines

    def rss_kb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as fp:
                for l in fp:
                    if l.startswith("VmHWM:"):
                        return int(l.split()[1])
        except OSError:
            return -1
        return -1

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        else:
            rc = self.proc.returncode
        return rc

    def dump_log(self):
        self.log.seek(0)
        sys.stdout.write("---- xdsd log ----\n" + self.log.read()[-8000:] + "------------------\n")

    def cleanup(self):
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def envelope(body, action="urn:ihe:iti:2007:RegistryStoredQuery", prolog=""):
    return (prolog + '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header>'
            '<wsa:Action soap:mustUnderstand="true">%s</wsa:Action>'
            '<wsa:MessageID>urn:uuid:0b5b8d5e-4a8e-4e8a-9f3b-2a1c5e7d9f01</wsa:MessageID>'
            '</soap:Header><soap:Body>%s</soap:Body></soap:Envelope>' % (action, body)).encode()


FIND = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
        '<query:ResponseOption returnType="ObjectRef" returnComposedObjects="true"/>'
        '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
        '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'
        "'999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO'</rim:Value></rim:ValueList></rim:Slot>"
        '<rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>'
        "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>"
        '</rim:AdhocQuery></query:AdhocQueryRequest>')


def served_meanwhile(node, during):
    """Run during() in a thread; meanwhile /health must keep answering."""
    t = threading.Thread(target=during)
    t.start()
    ok = True
    t0 = time.time()
    while t.is_alive() and time.time() - t0 < 60:
        try:
            st, _ = node.get("/health", timeout=3)
            ok = ok and st == 200
        except Exception as e:
            ok = False
        time.sleep(0.2)
    t.join(60)
    return ok


def plain_tests(xdsd):
    node = Node(xdsd, extra=["http.header_timeout=2", "http.workers=4"])
    nreq = 1  # the readiness probe that succeeded
    try:
        st, body = node.get("/health")
        nreq += 1
        check("GET /health answers 200 ok", st == 200 and body == b"ok\n", (st, body))
        st, body = node.get("/xds/registry?wsdl")
        nreq += 1
        check("GET /xds/registry?wsdl serves a WSDL", st == 200 and b"definitions" in body, st)
        st, _ = node.get("/nope")
        nreq += 1
        check("unknown path is 404", st == 404, st)
        st, _ = node.get("/xds/registry")
        nreq += 1
        check("GET on a SOAP endpoint is 405", st == 405, st)

        st, body = node.post("/xds/registry", envelope(FIND))
        nreq += 1
        check("FindDocuments answers an AdhocQueryResponse", st == 200 and b"AdhocQueryResponse" in body, (st, body[:300]))

        xxe = envelope("<x>&e;</x>", prolog='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
        st, body = node.post("/xds/registry", xxe)
        nreq += 1
        check("XXE is refused with a SOAP fault and leaks nothing",
              st in (400, 500) and b"Fault" in body and b"root:" not in body, (st, body[:300]))

        lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
            '<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i else "&lol;") * 10) for i in range(10)) + ']>'
        st, body = node.post("/xds/registry", envelope("<x>&lol9;</x>", prolog=lol))
        nreq += 1
        check("billion laughs is refused with a SOAP fault", st in (400, 500) and b"Fault" in body, (st, body[:200]))

        # A 2 GB chunked body: the node must stop it at soap.max_envelope.
        outcome = {}

        def big_chunked():
            s = socket.create_connection(("127.0.0.1", node.port), timeout=30)
            s.sendall(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % (1 << 20) + b"<" * (1 << 20) + b"\r\n"
            sent = 0
            try:
                while sent < (2 << 30):
                    s.sendall(chunk)
                    sent += 1 << 20
            except OSError:
                pass
            outcome["sent"] = sent
            try:
                s.settimeout(10)
                outcome["answer"] = s.recv(200)
            except OSError as e:
                outcome["answer"] = b""
            s.close()

        ok = served_meanwhile(node, big_chunked)
        nreq += 1
        check("2 GB chunked body is cut off with 413 long before 2 GB",
              outcome.get("sent", 1 << 40) < (512 << 20) and outcome.get("answer", b"").startswith(b"HTTP/1.1 413"),
              (outcome.get("sent"), outcome.get("answer", b"")[:40]))
        check("others are served while the 2 GB body arrives", ok)
        check("memory stays bounded under the 2 GB body (VmHWM < 200 MB)", 0 < node.rss_kb() < 200 * 1024, node.rss_kb())

        drip = {}

        def slow_drip():
            s = socket.create_connection(("127.0.0.1", node.port), timeout=20)
            t0 = time.time()
            try:
                for ch in b"POST /xds/registry HTTP/1.1\r\nHost: x\r\n":
                    s.sendall(bytes([ch]))
                    time.sleep(0.5)
                    if time.time() - t0 > 15:
                        break
                drip["answer"] = s.recv(100)
            except OSError:
                drip["answer"] = b"(closed)"
            drip["t"] = time.time() - t0
            s.close()

        ok = served_meanwhile(node, slow_drip)
        nreq += 1
        check("a slow-drip client is cut off after http.header_timeout",
              drip.get("t", 99) < 6, drip)
        check("others are served while a slow-drip client hangs on", ok)

        # More keep-alive clients than workers (4): none starves while the
        # others hold their connections open.
        import http.client
        served = []

        def keepalive_client():
            c = http.client.HTTPConnection("127.0.0.1", node.port, timeout=5)
            n = 0
            try:
                for _ in range(5):
                    c.request("GET", "/health")
                    r = c.getresponse()
                    r.read()
                    n += r.status == 200
                    time.sleep(0.05)
            except Exception:
                pass
            served.append(n)
            c.close()

        t0 = time.time()
        ts = [threading.Thread(target=keepalive_client) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        nreq += 40
        check("8 keep-alive clients on 4 workers are all served promptly",
              sum(served) == 40 and time.time() - t0 < 8, (served, time.time() - t0))

        # Every request above left exactly one audit line (+ the health probes
        # made meanwhile, which are counted from the log itself).
        time.sleep(0.5)
        lines = node.audit_lines()
        health = sum(1 for l in lines if l.get("endpoint") == "/health")
        probes = health - 2 - 40  # minus readiness probe, GET /health, keep-alive clients
        check("every request leaves exactly one audit line",
              len(lines) == nreq + probes, "%d lines for %d requests + %d probes" % (len(lines), nreq, probes))
        fields = {"time", "event", "user", "patient", "outcome", "errors", "address"}
        check("audit records carry the NEN 7513 fields", all(fields <= set(l) for l in lines))
        q = [l for l in lines if l.get("event") == "ITI-18"]
        check("the query's audit record names the patient and the outcome",
              q and q[0]["patient"].startswith("999911120") and q[0]["user"] == "anonymous", q[:1])
        st, body = node.get("/metrics")
        check("GET /metrics counts requests by transaction and outcome",
              st == 200 and b'xds_requests_total{txn="ITI-18"' in body, body[:300])
        rc = node.stop()
        check("SIGTERM stops the node cleanly (exit 0)", rc == 0, rc)
    except Exception as e:
        check("plain-HTTP node tests ran", False, repr(e))
        node.dump_log()
    finally:
        node.stop()
        node.cleanup()


def make_pki(d):
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = lambda n: os.path.join(d, n)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=xdsnode test CA", "-keyout", p("ca.key"), "-out", p("ca.pem"))
    for who in ("server", "client", "rogue"):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=Test Hospital/CN=%s" % who,
            "-keyout", p(who + ".key"), "-out", p(who + ".csr"))
    ext = p("san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who in ("server", "client"):
        run("openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", p(who + ".pem"))
    # a certificate from another CA
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=other CA", "-keyout", p("other.key"), "-out", p("other.pem"))
    run("openssl", "x509", "-req", "-in", p("rogue.csr"), "-CA", p("other.pem"), "-CAkey", p("other.key"),
        "-CAcreateserial", "-days", "2", "-out", p("rogue.pem"))
    return {"ca": p("ca.pem"), "server_cert": p("server.pem"), "server_key": p("server.key"),
            "client_cert": p("client.pem"), "client_key": p("client.key"),
            "rogue_cert": p("rogue.pem"), "rogue_key": p("rogue.key")}


def tls_tests(xdsd):
    if shutil.which("openssl") is None:
        print("SKIP: TLS tests: the openssl command is not installed")
        return
    d = tempfile.mkdtemp(prefix="xdsnode-pki-")
    pki = make_pki(d)
    node = Node(xdsd, extra=["http.tls=yes", "http.cert=" + pki["server_cert"],
                             "http.key=" + pki["server_key"], "http.ca=" + pki["ca"]], tls=pki)
    try:
        st, body = node.get("/health")
        check("TLS: a client with a certificate from the CA is served", st == 200, st)

        def handshake(cert=None, key=None):
            c = ssl.create_default_context(cafile=pki["ca"])
            c.check_hostname = False
            if cert:
                c.load_cert_chain(cert, key)
            s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
            try:
                t = c.wrap_socket(s)
                t.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = t.recv(100)
                t.close()
                return data
            except (ssl.SSLError, OSError) as e:
                return "refused: %s" % e

        r = handshake()
        check("TLS: a client without a certificate is refused", not (isinstance(r, bytes) and r.startswith(b"HTTP/1.1 200")), r)
        r = handshake(pki["rogue_cert"], pki["rogue_key"])
        check("TLS: a client with a certificate from another CA is refused",
              not (isinstance(r, bytes) and r.startswith(b"HTTP/1.1 200")), r)
        st, _ = node.get("/health")
        check("TLS: the node keeps serving after refusing clients", st == 200, st)
        st, body = node.post("/xds/registry", envelope(FIND))
        lines = [l for l in node.audit_lines() if l.get("event") == "ITI-18"]
        check("TLS: the audit record names the client certificate subject",
              lines and "CN=client" in lines[-1]["user"], lines[-1:])
    except Exception as e:
        check("TLS node tests ran", False, repr(e))
        node.dump_log()
    finally:
        node.stop()
        node.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    a = ap.parse_args()
    plain_tests(a.xdsd)
    tls_tests(a.xdsd)
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
