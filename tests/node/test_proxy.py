#!/usr/bin/env python3
"""xdsctl proxy (make check): a live xdsd behind the proxy, xdsctl submit
--patient, query and retrieve through it, an exchange file set for each
with its findings; a message without wsa:Action sent with curl gets its
finding; a query over TLS to the proxy and from it to a node that wants
a client certificate; behind the proxy a recording server (a test double speaking
HTTP/1.1) receives byte for byte what a client sent, Content-Length and
chunked, two exchanges on one kept-alive connection, an Expect:
100-continue, and eight clients at once (the recorder answers none before it holds all eight requests)."""
import glob
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_node import (FIND, Node, Xdsctl, check, command_line, envelope,  # noqa: E402
                       summary, write_file)
from xdstest import make_pki, stop_process, wait_until  # noqa: E402

BSN = "900203638"
FIND_BSN = FIND.replace("999911120", BSN)


class Proxy:
    """xdsctl proxy to url, exchanges into d; its port from its first line."""

    def __init__(self, xdsctl, url, d, extra=()):
        self.p = subprocess.Popen([xdsctl, "proxy", "--listen", "127.0.0.1:0",
                                   "--to", url, "--dir", d, *extra],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        first = self.p.stdout.readline().split()
        self.port = int(first[-1].rsplit(":", 1)[1]) if first else 0
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)

    def stop(self):
        stop_process(self.p)


def exchanges(d):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "*-exchange.json"))):
        try:
            with open(path) as f:
                out.append(json.load(f))
        except ValueError:
            return None         # being written
    return out


def read_head(sock, data=b""):
    """Read until the end of a head: (head with its empty line, the rest)."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def read_body(sock, head, rest):
    """The rest of the body the head frames (Content-Length or chunked)."""
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return rest
    n = 0
    for line in lower.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest


def read_http(sock):
    """One HTTP message from sock (Content-Length or chunked): its bytes."""
    head, rest = read_head(sock)
    if not rest and not head.endswith(b"\r\n\r\n"):
        return head
    return head + read_body(sock, head, rest)


class Recorder:
    """An HTTP/1.1 server that records every request's bytes and answers
    with a chunked 200; with hold=n it answers nothing before n requests
    have arrived (on any connections)."""

    ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")

    CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(32)
        self.port = self.s.getsockname()[1]
        self.got = []
        self.hold = 0
        self.cv = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with c:
            while True:
                head, rest = read_head(c)
                if not head.endswith(b"\r\n\r\n"):
                    return
                if b"expect: 100-continue" in head.lower():
                    c.sendall(self.CONTINUE)
                m = head + read_body(c, head, rest)
                with self.cv:
                    self.got.append(m)
                    self.cv.notify_all()
                    self.cv.wait_for(lambda: len(self.got) >= self.hold, timeout=60)
                c.sendall(self.ANSWER)


def read_http_rest(sock, data):
    """One HTTP message from sock, data already read of it."""
    head, rest = read_head(sock, data)
    return head + read_body(sock, head, rest)


def raw_exchange(port, *messages):
    """Send each message on one connection, read its answer: the answers."""
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        for m in messages:
            s.sendall(m)
            out.append(read_http(s))
    return out


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="xdsctl-proxy-")
    d = os.path.join(tmp, "exchanges")
    with Node(a.xdsd, extra=["registry.patient_ids=feed"],
              what="xdsctl proxy tests") as node:
        px = Proxy(a.xdsctl, node.url("").rstrip("/"), d)
        try:
            check("the proxy says where it listens", px.port > 0)
            ctl = Xdsctl(a.xdsctl, node)
            via = ["--url", "http://127.0.0.1:%d/xds/registry" % px.port]
            rc, out, err = ctl("patient", "add", BSN)
            txt = write_file(tmp, "brief.txt", b"Geachte collega,\n")
            rc, out, err = ctl(*via, "--json", "submit", txt, "--patient", BSN)
            res = json.loads(out) if out.startswith("{") else {}
            uid = (res.get("documents") or [{}])[0].get("uniqueId", "none")
            check("submit --patient through the proxy", rc == 0, out + err)
            rc, out, err = ctl(*via, "query", "FindDocuments",
                               "patient=" + BSN)
            check("query through the proxy", rc == 0 and uid in out, out + err)
            outdir = os.path.join(tmp, "out")
            os.mkdir(outdir)
            rc, out, err = ctl(*via, "retrieve", uid, "-o", outdir)
            got = os.path.join(outdir, uid + ".txt")
            check("retrieve through the proxy, the document as sent",
                  rc == 0 and os.path.exists(got)
                  and open(got, "rb").read() == b"Geachte collega,\n", out + err)
            ex = wait_until(lambda: (lambda e: e if e and len(e) >= 3 else None)(
                exchanges(d)))
            kinds = sorted(e["transaction"] for e in ex or [])
            check("an exchange file for each: ITI-41, ITI-18, ITI-43",
                  kinds == ["ITI-18", "ITI-41", "ITI-43"], kinds)
            ok = all(e["status"] == 200 and e["checked"] and
                     e["request"]["errors"] == 0 and e["response"]["errors"] == 0
                     and os.path.getsize(os.path.join(d, "%06d-request.http" % e["exchange"]))
                     == e["request_bytes"]
                     for e in ex or [])
            check("each with its request, answer and findings, no errors",
                  ok, json.dumps(ex)[:2000])
            pnr = [e for e in ex or [] if e["transaction"] == "ITI-41"]
            check("the ITI-41 request was MTOM",
                  pnr and pnr[0]["request"]["packaging"] == "mtom",
                  json.dumps(pnr)[:500])
            check("one summary line per exchange",
                  wait_until(lambda: len(px.lines) >= 3) is not None
                  and all(" 200 " in ln for ln in px.lines[:3]), px.lines)

            # A broken message, sent with curl.
            broken = write_file(tmp, "broken.xml", re.sub(
                rb"<wsa:Action[^>]*>[^<]*</wsa:Action>", b"", envelope(FIND_BSN)))
            body = os.path.join(tmp, "broken-answer")
            p = subprocess.run(["curl", "-s", "-o", body, "-w", "%{http_code}",
                                "-H", "Content-Type: application/soap+xml",
                                "--data-binary", "@" + broken,
                                "http://127.0.0.1:%d/xds/registry" % px.port],
                               capture_output=True, text=True, timeout=60)
            ex = wait_until(lambda: (lambda e: e if e and len(e) >= 4 else None)(
                exchanges(d))) or []
            last = ex[-1] if ex else {}
            codes = [f["code"] for f in last.get("request", {}).get("findings", [])]
            check("curl's message without wsa:Action: the node's fault, and its "
                  "finding in the exchange", p.stdout == "400" and
                  "wsa:MessageAddressingHeaderRequired" in codes, p.stdout + str(last)[:1500])
            if last:
                with open(os.path.join(d, "%06d-request.http" % last["exchange"]), "rb") as f:
                    req = f.read()
                with open(os.path.join(d, "%06d-response.http" % last["exchange"]), "rb") as f:
                    rsp = f.read()
                check("the exchange holds curl's bytes and the node's answer",
                      req.endswith(open(broken, "rb").read())
                      and rsp.split(b"\r\n\r\n", 1)[-1] == open(body, "rb").read())
            p = subprocess.run(["curl", "-s", "-o", os.devnull, "-w", "%{http_code}",
                                "http://127.0.0.1:%d/health" % px.port],
                               capture_output=True, text=True, timeout=60)
            ex = wait_until(lambda: (lambda e: e if e and len(e) >= 5 else None)(
                exchanges(d))) or []
            check("a GET passes through, not checked",
                  p.stdout == "200" and ex and not ex[-1]["checked"]
                  and ex[-1]["request"]["errors"] == 0
                  and ex[-1]["response"]["errors"] == 0, p.stdout + str(ex[-1:])[:500])
        finally:
            px.stop()

    # TLS on both sides: the proxy presents the client certificate to a
    # node that requires one, and listens with the server's.
    os.mkdir(os.path.join(tmp, "pki"))
    tls = make_pki(os.path.join(tmp, "pki"))
    with Node(a.xdsd, extra=["registry.patient_ids=feed", "gateway.responding=no"], tls=tls,
              what="xdsctl proxy over TLS") as node:
        d3 = os.path.join(tmp, "tls")
        px = Proxy(a.xdsctl, node.url("").rstrip("/"), d3,
                   ["--cert", tls["client_cert"], "--key", tls["client_key"],
                    "--ca", tls["ca"], "--listen-cert", tls["server_cert"],
                    "--listen-key", tls["server_key"], "--listen-ca", tls["ca"]])
        try:
            ctl = Xdsctl(a.xdsctl, node)
            rc, out, err = ctl("--url", "https://127.0.0.1:%d/xds/registry" % px.port,
                               "--cert", tls["client_cert"], "--key", tls["client_key"],
                               "--ca", tls["ca"], "query", "FindDocuments",
                               "patient=" + BSN)
            ex = wait_until(lambda: exchanges(d3)) or []
            check("a query through the proxy, TLS to it and from it to the node",
                  rc == 0 and len(ex) == 1 and ex[0]["transaction"] == "ITI-18"
                  and ex[0]["status"] == 200, out + err + str(ex)[:500])
            modes = {f: stat.S_IMODE(os.stat(os.path.join(d3, f)).st_mode)
                     for f in os.listdir(d3)}
            check("the exchanges kept are the owner's only (0600)",
                  modes and all(m == 0o600 for m in modes.values()), modes)
            # a client without a certificate: the proxy refuses it, as the node would
            ctx = ssl.create_default_context(cafile=tls["ca"])
            ctx.check_hostname = False
            answer = b""
            try:
                with socket.create_connection(("127.0.0.1", px.port), timeout=30) as raw:
                    with ctx.wrap_socket(raw) as tc:
                        tc.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
                        answer = tc.recv(100)
            except (ssl.SSLError, OSError):
                pass
            check("a client with no certificate is refused by the proxy (--listen-ca)",
                  answer == b"", answer)
        finally:
            px.stop()

    # Byte for byte, behind the proxy: a recording server.
    rec = Recorder()
    d2 = os.path.join(tmp, "raw")
    px = Proxy(a.xdsctl, "http://127.0.0.1:%d" % rec.port, d2)
    try:
        body = os.urandom(200000)
        m1 = (b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body)) + body
        m2 = (b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nabc\r\n10000\r\n" + body[:65536] + b"\r\n0\r\n\r\n")
        answers = raw_exchange(px.port, m1, m2)
        check("two exchanges on one connection, each answered as the server did",
              answers == [Recorder.ANSWER, Recorder.ANSWER], answers)
        check("the server received the bytes sent, Content-Length and chunked",
              rec.got == [m1, m2], [len(g) for g in rec.got])
        rec.got = []
        head = (b"POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: 5\r\n\r\n")
        with socket.create_connection(("127.0.0.1", px.port), timeout=60) as s:
            s.sendall(head)
            cont, rest = read_head(s)
            s.sendall(b"hello")
            final = read_http_rest(s, rest)
        check("Expect: 100-continue: the 100 reaches the client before it sends "
              "the body, then the answer", cont == Recorder.CONTINUE
              and final == Recorder.ANSWER and rec.got == [head + b"hello"],
              [cont, final, rec.got])
        rec.got = []
        rec.hold = 8
        msgs = [b"POST /c%d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi" % i
                for i in range(8)]
        res = [None] * 8

        def client(i):
            try:
                res[i] = raw_exchange(px.port, msgs[i])[0]
            except OSError as e:
                res[i] = repr(e)

        ts = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(90)
        check("eight connections at once, all forwarded together and answered",
              res == [Recorder.ANSWER] * 8 and sorted(rec.got) == sorted(msgs), res)
        n = wait_until(lambda: len(glob.glob(os.path.join(d2, "*-exchange.json"))) >= 11)
        check("an exchange file set for each of the eleven", n is not None)
    finally:
        px.stop()
    # Again into the same directory: the numbers go on.
    px = Proxy(a.xdsctl, "http://127.0.0.1:%d" % rec.port, d2)
    try:
        raw_exchange(px.port, msgs[0])
        check("a second run into the same directory goes on from the last number",
              wait_until(lambda: os.path.exists(os.path.join(d2, "000012-exchange.json")))
              is not None, sorted(os.listdir(d2))[-3:])
    finally:
        px.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
