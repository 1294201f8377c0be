#!/usr/bin/env python3
"""Node-level tests of xdsd over real sockets (make check).

Starts xdsd on loopback port 0 (the port it bound read from
state_dir/xdsd.ports) with a temporary state directory and
checks what the node core must do:
  * XXE, billion laughs, a 2 GB chunked body and a slow-drip client are each
    refused cleanly while the node keeps serving others;
  * with TLS on, a client without a certificate is refused at the handshake
    and one with a certificate from the configured CA is served;
  * every request leaves exactly one audit line;
  * /health, /metrics, ?wsdl, 404/405, SIGTERM stops gracefully.
Prints one line per case and a final "N passed, M failed".
"""
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import (DEADLINE, Xdsd, check, command_line, make_pki, read_ports,  # noqa: E402
                     soap_envelope, summary, tmpdir, wait_until)
from xdsmsg import mtom_package  # noqa: E402


class Node(Xdsd):
    """xdsd on port 0 with its own temporary directory; started.  Used
    with "with" for the tests named what: an exception in the block is a
    failed check "<what> ran" (with the node's log); at the end the node is
    stopped and its directory removed."""

    def __init__(self, xdsd, extra=(), tls=None, what="node tests"):
        super().__init__(xdsd, tmpdir("node-test"), extra, tls=tls)
        self.what = what
        if not self.start():
            self.dump_log()
            raise RuntimeError("xdsd did not become ready")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, etype, value, tb):
        if etype is not None:
            check("%s ran" % self.what, False, repr(value))
            self.dump_log()
        self.stop()
        self.cleanup()
        return etype is None or issubclass(etype, Exception)


class Xdsctl:
    """xdsctl with node's state_dir, and its registry as --url (another
    --url given later wins)."""

    def __init__(self, binary, node, timeout=300):
        self.argv = [binary, "-C", "node.state_dir=" + node.state, "--url",
                     node.url("/xds/registry")]
        self.timeout = timeout

    def __call__(self, *args):
        """Run it: (exit status, stdout, stderr)."""
        p = subprocess.run(self.argv + list(args), capture_output=True, text=True,
                           timeout=self.timeout)
        return p.returncode, p.stdout, p.stderr


def write_file(d, name, data):
    """data (bytes) into d/name: its path."""
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def envelope(body, action="urn:ihe:iti:2007:RegistryStoredQuery", prolog=""):
    return soap_envelope(action, body, prolog)


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
    """Run during(answered) in a thread; meanwhile /health must keep
    answering: every probe 200, and at least one answered while during()
    still ran.  answered (an Event) is set at the first 200, so that
    during() can hold its hostile client open until then instead of
    racing the probes on a loaded machine."""
    answered = threading.Event()
    t = threading.Thread(target=during, args=(answered,))
    t.start()
    ok, meanwhile = True, False
    end = time.monotonic() + DEADLINE
    while t.is_alive() and time.monotonic() < end:
        try:
            st, _ = node.get("/health", timeout=DEADLINE / 2)
            ok = ok and st == 200
            meanwhile = meanwhile or (st == 200 and t.is_alive())
            if st == 200:
                answered.set()
        except Exception:
            ok = False
        time.sleep(0.2)     # pacing of the probes, not an ordering
    t.join(DEADLINE)
    return ok and meanwhile


def plain_tests(xdsd):
    nreq = 1  # the readiness probe that succeeded
    with Node(xdsd, extra=["http.header_timeout=2", "http.workers=4"],
              what="plain-HTTP node tests") as node:
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
        with open("/proc/%d/maps" % node.proc.pid) as f:
            maps = f.read()
        check("a node that has made no outbound request has not loaded libcurl",
              "libcurl" not in maps and "libssl" in maps, "libcurl mapped")

        # Some SOAP stacks (Axis2, CXF with MTOM on) send every call as
        # MTOM: the registry takes it and answers in kind.
        env = envelope(FIND)
        ct, mbody = mtom_package(env.encode() if isinstance(env, str) else env, [],
                                 "urn:ihe:iti:2007:RegistryStoredQuery")
        st, body = node.post("/xds/registry", mbody, ctype=ct)
        nreq += 1
        check("FindDocuments sent as MTOM is answered as MTOM",
              st == 200 and b"AdhocQueryResponse" in body and b"application/xop+xml" in body, (st, body[:300]))

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

        def big_chunked(answered):
            s = socket.create_connection(("127.0.0.1", node.port), timeout=30)
            s.sendall(b"POST /xds/registry HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % (1 << 20) + b"<" * (1 << 20) + b"\r\n"
            sent = 0
            try:
                while sent < (2 << 30):
                    s.sendall(chunk)
                    if sent == 0:   # one probe answered while it is open
                        answered.wait(DEADLINE)
                    sent += 1 << 20
            except OSError:
                pass
            outcome["sent"] = sent
            try:
                s.settimeout(10)
                outcome["answer"] = s.recv(200)
            except OSError:
                outcome["answer"] = b""
            s.close()

        ok = served_meanwhile(node, big_chunked)
        nreq += 1
        check("2 GB chunked body is cut off with 413 long before 2 GB",
              outcome.get("sent", 1 << 40) < (512 << 20) and outcome.get("answer", b"").startswith(b"HTTP/1.1 413"),
              (outcome.get("sent"), outcome.get("answer", b"")[:40]))
        check("others are served while the 2 GB body arrives", ok)
        check("memory stays bounded under the 2 GB body (VmHWM < 200 MB)", 0 < node.vm_hwm_kb() < 200 * 1024, node.vm_hwm_kb())

        drip = {}

        # One byte every 0.5 s: the head would take 20 s; the node must
        # answer 408 (http.header_timeout=2) while it is still unfinished.
        head = b"POST /xds/registry HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40
        def slow_drip(answered):
            s = socket.create_connection(("127.0.0.1", node.port), timeout=DEADLINE)
            drip["sent"] = 0
            try:
                for ch in head:
                    s.sendall(bytes([ch]))
                    drip["sent"] += 1
                    if select.select([s], [], [], 0.5)[0]:
                        break
                drip["answer"] = s.recv(100)
            except OSError as e:
                drip["answer"] = repr(e).encode()
            s.close()

        ok = served_meanwhile(node, slow_drip)
        nreq += 1
        check("a slow-drip client is cut off (408) after http.header_timeout, head unfinished",
              drip.get("answer", b"").startswith(b"HTTP/1.1 408") and drip.get("sent", 0) < len(head), drip)
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

        # (each request within its client's 5 s timeout: a starved client
        # times out and counts fewer than 5)
        ts = [threading.Thread(target=keepalive_client) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(DEADLINE)
        nreq += 40
        check("8 keep-alive clients on 4 workers are all served promptly",
              sum(served) == 40, served)

        # Every request above left exactly one audit line (+ the health probes
        # made meanwhile, which are counted from the log itself).  A record
        # is written once its transaction closes, which may be just after
        # the answer: wait for the count to come right.
        def tally():
            lines = node.audit()
            health = sum(1 for l in lines if l.get("endpoint") == "/health")
            return lines, health - 2 - 40  # minus readiness probe, GET /health, keep-alive clients
        wait_until(lambda: len(tally()[0]) == nreq + tally()[1])
        lines, probes = tally()
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
        ports = read_ports(node.state)
        check("state_dir/xdsd.ports names the pid and the bound HTTP port",
              ports == {"pid": node.proc.pid, "http": ("127.0.0.1", node.port)}, ports)
        check("the log names the bound port", "listening on http://127.0.0.1:%d," % node.port in node.log())
        rc = node.stop()
        check("SIGTERM stops the node cleanly (exit 0)", rc == 0, rc)
        check("a clean stop removes state_dir/xdsd.ports", read_ports(node.state) is None)


def tls_tests(xdsd):
    if shutil.which("openssl") is None:
        print("SKIP: TLS tests: the openssl command is not installed")
        return
    d = tmpdir("node-pki")
    pki = make_pki(d, rogue=True)
    # http.tls with pki's server certificate (no responding gateway: with
    # TLS on it needs Mitz, tests/gateway/test_mitz.py)
    with Node(xdsd, ["gateway.responding=no"], tls=pki, what="TLS node tests") as node:
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
        lines = [l for l in node.audit() if l.get("event") == "ITI-18"]
        check("TLS: the audit record names the client certificate subject",
              lines and "CN=client" in lines[-1]["user"], lines[-1:])
    shutil.rmtree(d, ignore_errors=True)


def private_state_tests(xdsd):
    """The state directory holds patient data: one left 0755 with a 0644
    database (by hand, or by an older version) is made private at start-up,
    saying so, and everything the node then writes (databases, their WAL,
    documents, audit log) is its owner's only."""
    import xdsmsg
    work = tmpdir("node-private")
    state = os.path.join(work, "state")
    os.makedirs(os.path.join(state, "documents"))
    os.chmod(state, 0o755)
    os.chmod(os.path.join(state, "documents"), 0o755)
    db = os.path.join(state, "repository.db")
    open(db, "wb").close()
    os.chmod(db, 0o644)
    node = Xdsd(xdsd, work)
    try:
        check("xdsd starts on a state directory left 0755", node.start())
        st, errs = xdsmsg.submit(node.port, [b"a private document"])[:2]
        check("a document is stored", st == "Success", (st, errs))
        with open(node.logpath, errors="replace") as f:
            log = f.read()
        check("start-up says the state directory was made private", "made private" in log, log[-500:])
        loose = []
        for root, dirs, files in os.walk(state):
            for n in [root] + [os.path.join(root, f) for f in files]:
                if os.lstat(n).st_mode & 0o077:
                    loose.append("%s %o" % (os.path.relpath(n, state), os.lstat(n).st_mode & 0o777))
        check("nothing in the state directory is readable by others (databases, WAL, documents, audit)",
              not loose, loose[:10])
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)


def notify_tests(xdsd):
    """systemd's Type=notify: READY=1 once the node serves, STOPPING=1 at
    SIGTERM, each a datagram on $NOTIFY_SOCKET; the variable is not
    passed on to children."""
    work = tmpdir("notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = os.path.join(work, "notify.sock")
    sock.bind(path)
    sock.settimeout(DEADLINE)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    node = Xdsd(xdsd, work, env=env)
    try:
        started = node.start()
        check("a node with NOTIFY_SOCKET starts", started, node.log()[-500:])
        try:
            msg = sock.recv(4096).decode()
        except OSError as e:
            msg = repr(e)
        check("it sends READY=1 with a STATUS naming its listener once it serves",
              msg.startswith("READY=1\nSTATUS=serving http://") and
              started and ("port %d" % node.port) in msg, msg)
        node.proc.send_signal(signal.SIGHUP)
        try:
            msgs = [sock.recv(4096).decode(), sock.recv(4096).decode()]
        except OSError as e:
            msgs = [repr(e)]
        check("SIGHUP (systemctl reload) sends RELOADING=1, then READY=1 once reloaded",
              len(msgs) == 2 and msgs[0].startswith("RELOADING=1\nMONOTONIC_USEC=")
              and msgs[1].startswith("READY=1\n") and node.running(), msgs)
        node.proc.send_signal(signal.SIGTERM)
        try:
            msg = sock.recv(4096).decode()
        except OSError as e:
            msg = repr(e)
        check("SIGTERM sends STOPPING=1", msg.startswith("STOPPING=1"), msg)
        check("... and the node then stops cleanly", node.proc.wait(DEADLINE) == 0)
    finally:
        node.stop()
        sock.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    a = command_line()
    notify_tests(a.xdsd)
    private_state_tests(a.xdsd)
    plain_tests(a.xdsd)
    tls_tests(a.xdsd)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
