"""The DICOM bridge's listener under idle and unwanted peers, with dcmtk's
echoscu/storescu and raw sockets on loopback (other loopback addresses,
127.0.0.2 and up, stand for other hosts):
  - idle TCP connections (no A-ASSOCIATE-RQ) do not stall it: while some
    are held open and new ones keep arriving, echoscu and storescu succeed
    within their own short ACSE timeout; those over
    dicom.max_peer_associations get an A-ASSOCIATE-RJ at once; a stop does
    not wait for the idle ones;
  - more idle connections than dicom.max_associations: the excess gets an
    A-ASSOCIATE-RJ (transient, local limit exceeded) at once, and service
    is back once they go;
  - dicom.allowed_peers: a peer address not listed is refused at accept, a
    calling AE title not listed gets A-ASSOCIATE-RJ "calling AE title not
    recognized" and one audit record; retried, each refusal is counted but
    recorded once per address and reason a minute; a newline in an AE
    title stays inside its log record; every log line has a timestamp;
  - DICOM over mutual TLS (dicom.tls, http.crl): echoscu and storescu with a client
    certificate of the CA; a certificate of another CA, a revoked one, none,
    or plain TCP are refused; SIGHUP with a renewed certificate: new TLS
    connections to dicom.listen and push.listen get it, an association
    opened before goes on, a key that does not match changes nothing, nor
    does a dicom.ca that cannot be read (HTTP's certificate neither);
  - a non-loopback dicom.listen without TLS is refused at start-up unless
    dicom.allow_plain_lan;
  - GET /metrics counts every refusal by reason.
The node takes port 0 and reports its ports (state/xdsd.ports).  Nothing
sleeps for ordering: each step waits for its event."""
import os, re, shutil, signal, socket, ssl, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import bsn_instance, check, finish, stop_nodes  # noqa: E402
import dicomtest  # noqa: E402
from xdstest import Xdsd, bind_source, make_pki, read_ports, ssl_context, wait_until  # noqa: E402
import xdstest  # noqa: E402

args = dicomtest.arguments()
# The clients' own limit for a whole association: the bridge must answer
# well within it although idle connections are open (before, one idle
# connection held every other for dicom.timeout, 30 s here).
CLIENT_T = "5"
RJ_LIMIT = b"\x03\x00\x00\x00\x00\x04\x00\x02\x03\x02"    # transient, local limit exceeded
RJ_ADDRESS = b"\x03\x00\x00\x00\x00\x04\x00\x01\x01\x01"  # permanent, no reason given
RJ_CALLING = b"\x03\x00\x00\x00\x00\x04\x00\x01\x01\x03"  # permanent, calling AE not recognized


def echo(port, aet="ECHOSCU", extra=()):
    return subprocess.run(["echoscu", "-aet", aet, "-aec", "XDSNODE", "-to", CLIENT_T,
                           "-ta", CLIENT_T, "-td", CLIENT_T, *extra, "127.0.0.1", str(port)],
                          capture_output=True, text=True, timeout=60)


def store(port, f, extra=()):
    return subprocess.run(["storescu", "-aec", "XDSNODE", "-to", CLIENT_T, "-ta", CLIENT_T,
                           "-td", CLIENT_T, *extra, "127.0.0.1", str(port), f],
                          capture_output=True, text=True, timeout=60)


def out(r):
    return (r.stdout + r.stderr).strip().replace("\n", " | ")[-300:]


def idle(port, src):
    """A TCP connection from loopback address src that sends nothing."""
    s = socket.socket()
    bind_source(s, src)
    s.connect(("127.0.0.1", port))
    return s


def answer(s, timeout=20):
    """The first bytes the bridge sends on s (b"" at EOF), None if nothing
    came within timeout (the connection is being waited on)."""
    s.settimeout(timeout)
    try:
        data = s.recv(64)
    except socket.timeout:
        return None
    except OSError:
        return b""
    return data


def fill(n, nheld, nover, what):
    """nheld idle connections from 127.0.0.2 to node n, then nover more,
    which must get an A-ASSOCIATE-RJ (local limit exceeded) at once; the
    held ones."""
    held = [idle(n.dport, "127.0.0.2") for _ in range(nheld)]
    over = [idle(n.dport, "127.0.0.2") for _ in range(nover)]
    socks.extend(held + over)
    check(all(answer(s) == RJ_LIMIT for s in over), what)
    return held


def assoc_rq(calling, called="XDSNODE"):
    """An A-ASSOCIATE-RQ PDU (PS3.8 9.3.2) proposing Verification; the AE
    titles are put in raw (16 bytes, space padded)."""
    def item(t, body):
        return struct.pack(">BBH", t, 0, len(body)) + body
    ae = lambda s: s.encode("latin-1")[:16].ljust(16, b" ")
    pc = item(0x20, b"\x01\x00\x00\x00" + item(0x30, b"1.2.840.10008.1.1") +
              item(0x40, b"1.2.840.10008.1.2"))
    ui = item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4"))
    body = (struct.pack(">HH", 1, 0) + ae(called) + ae(calling) + b"\0" * 32 +
            item(0x10, b"1.2.840.10008.3.1.1.1") + pc + ui)
    return struct.pack(">BBI", 1, 0, len(body)) + body


def read_pdu(s):
    """One whole PDU from s (type byte first), b"" when the peer closed."""
    def exactly(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                return None
            b += c
        return b
    h = exactly(6)
    body = exactly(struct.unpack(">I", h[2:])[0]) if h else None
    return h + body if body is not None else b""


def c_echo_rq():
    """A P-DATA-TF PDU with a C-ECHO-RQ command (implicit VR little endian)
    on presentation context 1, the Verification one of assoc_rq."""
    def el(elem, v):
        return struct.pack("<HHI", 0, elem, len(v)) + v
    cmd = (el(0x0002, b"1.2.840.10008.1.1\0") + el(0x0100, struct.pack("<H", 0x0030)) +
           el(0x0110, struct.pack("<H", 1)) + el(0x0800, struct.pack("<H", 0x0101)))
    pdv = b"\x01\x03" + el(0x0000, struct.pack("<I", len(cmd))) + cmd
    item = struct.pack(">I", len(pdv)) + pdv
    return struct.pack(">BBI", 4, 0, len(item)) + item


def echoed(s):
    """True when a C-ECHO-RQ on association s gets a C-ECHO-RSP, Success."""
    s.sendall(c_echo_rq())
    rsp = read_pdu(s)
    return (rsp[:1] == b"\x04" and struct.pack("<HHIH", 0, 0x0100, 2, 0x8030) in rsp and
            struct.pack("<HHIH", 0, 0x0900, 2, 0) in rsp)


def tls_conn(port, pki):
    """A TLS connection to port with the test client's certificate."""
    return ssl_context(pki).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def served(port, pki):
    """The certificate (DER) a new TLS connection to port is served."""
    with tls_conn(port, pki) as c:
        return c.getpeercert(binary_form=True)


def reloads(node, result):
    return xdstest.metrics(node).get(("xds_tls_reloads_total", '{result="%s"}' % result), 0)


def rotate(n, pki, live, push_port):
    """SIGHUP with a renewed certificate: new TLS associations on
    dicom.listen and push.listen get it, one opened before goes on; a key
    that does not match changes nothing."""
    old = tls_conn(n.dport, pki)
    socks.append(old)
    old.sendall(assoc_rq("ECHOSCU"))
    check(read_pdu(old)[:1] == b"\x02", "reload: an association opened before (A-ASSOCIATE-AC)")
    shutil.copy(pki["server2_cert"], live["server_cert"])
    shutil.copy(pki["server2_key"], live["server_key"])
    n.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: reloads(n, "ok") >= 1) is True, "reload: SIGHUP is counted")
    check(served(n.dport, pki) == der_of(pki["server2_cert"]),
          "reload: a new TLS connection to dicom.listen gets the renewed certificate")
    check(served(push_port, pki) == der_of(pki["server2_cert"]),
          "reload: ... and one to push.listen")
    r = echo(n.dport, extra=("+tls", pki["client_key"], pki["client_cert"], "+cf", pki["ca"]))
    check(r.returncode == 0, "reload: echoscu --tls after the reload (%s)" % out(r))
    check(echoed(old) and old.getpeercert(binary_form=True) == der_of(pki["server_cert"]),
          "reload: the association opened before goes on (C-ECHO), with the old certificate")
    old.sendall(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00")     # A-RELEASE-RQ
    check(read_pdu(old)[:1] == b"\x06", "reload: ... and is released (A-RELEASE-RP)")
    old.close()
    shutil.copy(pki["client_key"], live["server_key"])
    n.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: reloads(n, "failed") >= 1) is True,
          "reload: SIGHUP with a key that does not match is counted as failed")
    check(served(n.dport, pki) == der_of(pki["server2_cert"]) and
          served(push_port, pki) == der_of(pki["server2_cert"]),
          "reload: ... and both listeners keep the certificate loaded before")
    r = echo(n.dport, extra=("+tls", pki["client_key"], pki["client_cert"], "+cf", pki["ca"]))
    check(r.returncode == 0, "reload: echoscu --tls after the failed reload (%s)" % out(r))
    # the first certificate back, but dicom.ca unreadable: the DICOM
    # listeners' layers fail, so HTTP's new context is not installed either
    shutil.copy(pki["server_cert"], live["server_cert"])
    shutil.copy(pki["server_key"], live["server_key"])
    os.rename(live["dicom_ca"], live["dicom_ca"] + ".away")
    n.proc.send_signal(signal.SIGHUP)
    check(wait_until(lambda: reloads(n, "failed") >= 2) is True,
          "reload: SIGHUP with dicom.ca unreadable is counted as failed")
    os.rename(live["dicom_ca"] + ".away", live["dicom_ca"])
    check(served(n.port, pki) == der_of(pki["server2_cert"]) and
          served(n.dport, pki) == der_of(pki["server2_cert"]),
          "reload: ... and changes nothing, HTTP's certificate included (all or none)")


def metrics(node):
    """{reason: count} of xds_dicom_refused_total."""
    st, body = node.get("/metrics")[:2]
    if st != 200:
        return {}
    if isinstance(body, bytes):
        body = body.decode()
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r'xds_dicom_refused_total\{reason="([a-z_]+)"\} (\d+)', body)}


def wait_metric(node, reason, n):
    """True once the count of reason is at least n."""
    return wait_until(lambda: metrics(node).get(reason, 0) >= n) is True


def start(name, opts, tls=None):
    x = Xdsd(args.xdsd, work, ["dicom.publish_after=3600", *opts], name=name, dicom=True, tls=tls)
    ok = x.start()
    check(ok, "%s: xdsd started" % name)
    return x


work = tempfile.mkdtemp(prefix="xds-dicom-access-")
inst = bsn_instance(os.path.join(work, "i.dcm"), "1.2.826.0.1.3680043.9.7.777.1.1",
                    "1.2.826.0.1.3680043.9.7.777", "1.2.826.0.1.3680043.9.7.777.1", "L1")
nodes, socks = [], []
try:
    # --- idle connections do not stall the bridge --------------------------
    n = start("idle", ["dicom.timeout=3600", "dicom.max_associations=8",
                       "dicom.max_peer_associations=2"])
    nodes.append(n)
    held = fill(n, 2, 2, "idle: connections over dicom.max_peer_associations get A-ASSOCIATE-RJ at once")
    r = echo(n.dport)
    check(r.returncode == 0, "idle: C-ECHO answered while 2 idle connections are held (%s)" % out(r))
    r = store(n.dport, inst)
    check(r.returncode == 0, "idle: C-STORE answered while idle connections are held (%s)" % out(r))
    for i in range(3, 6):       # new idle peers keep arriving
        s = idle(n.dport, "127.0.0.%d" % i)
        socks.append(s)
        held.append(s)
        r1, r2 = echo(n.dport), store(n.dport, inst)
        check(r1.returncode == 0 and r2.returncode == 0,
              "idle: C-ECHO and C-STORE answered after a new idle peer 127.0.0.%d (%s %s)"
              % (i, out(r1), out(r2)))
    check(all(answer(s, 0.2) is None for s in held), "idle: the admitted idle connections are still waited on")
    check(wait_metric(n, "peer_limit", 2), "idle: /metrics counts peer_limit refusals (%s)" % metrics(n))
    for s in held:
        s.close()
    check(wait_metric(n, "protocol", len(held)),
          "idle: connections closed without a request are counted as protocol (%s)" % metrics(n))
    socks += [idle(n.dport, "127.0.0.2") for _ in range(2)]
    check(n.stop() == 0, "idle: SIGTERM stops xdsd cleanly while idle connections wait (no hour-long ACSE wait)")

    # --- more idle connections than dicom.max_associations ------------------
    n = start("limit", ["dicom.timeout=30", "dicom.max_associations=3"])
    nodes.append(n)
    held = fill(n, 3, 2, "limit: connections over dicom.max_associations get A-ASSOCIATE-RJ "
                "(local limit exceeded) at once")
    r = echo(n.dport)
    check(r.returncode != 0 and "Local Limit Exceeded" in out(r),
          "limit: a C-ECHO at the limit is refused at once, not left waiting (%s)" % out(r))
    check(wait_metric(n, "limit", 3), "limit: /metrics counts limit refusals (%s)" % metrics(n))
    for s in held:
        s.close()
    check(wait_until(lambda: echo(n.dport).returncode == 0) is True,
          "limit: C-ECHO answered again once the idle connections are gone")
    stop_nodes(n)

    # --- dicom.allowed_peers ----------------------------------------------
    n = start("peers", ["dicom.allowed_peers=127.0.0.2; GOODAE@127.0.0.1; 10.0.0.0/8"])
    nodes.append(n)
    r = echo(n.dport, "GOODAE")
    check(r.returncode == 0, "peers: GOODAE@127.0.0.1 is admitted (%s)" % out(r))
    r = store(n.dport, inst, ("-aet", "GOODAE"))
    check(r.returncode == 0, "peers: GOODAE may store (%s)" % out(r))
    r = echo(n.dport, "BADAE")
    check(r.returncode != 0 and "Calling AE Title Not Recognized" in out(r),
          "peers: calling AE title not listed: A-ASSOCIATE-RJ, calling AE not recognized (%s)" % out(r))
    check(wait_metric(n, "calling_ae", 1), "peers: /metrics counts calling_ae (%s)" % metrics(n))
    recs = [a for a in n.audit() if a.get("event") == "DICOM-ASSOC"]
    check(len(recs) == 1 and recs[0]["user"] == "BADAE" and recs[0]["address"] == "127.0.0.1"
          and recs[0]["outcome"] != "success",
          "peers: one audit record for the refused association (%s)" % recs)
    for _ in range(6):                      # a peer retrying in a loop
        s = idle(n.dport, "127.0.0.1")
        socks.append(s)
        s.sendall(assoc_rq("BADAE"))
        check(answer(s) == RJ_CALLING, "peers: a retried calling AE title is refused each time")
        s.close()
    check(wait_metric(n, "calling_ae", 7), "peers: every retry is counted (%s)" % metrics(n))
    recs = [a for a in n.audit() if a.get("event") == "DICOM-ASSOC"]
    check(len(recs) == 1, "peers: ... but recorded once per address and reason a minute (%d "
          "records)" % len(recs))
    s = idle(n.dport, "127.0.0.2")          # any AE title from 127.0.0.2
    socks.append(s)
    s.sendall(assoc_rq("WHOEVER"))
    a = answer(s)
    check(a is not None and a[:1] == b"\x02", "peers: 127.0.0.2 is admitted with any AE title (A-ASSOCIATE-AC)")
    s.close()
    s = idle(n.dport, "127.0.0.3")          # not listed: refused at accept
    socks.append(s)
    check(answer(s) == RJ_ADDRESS, "peers: an address not listed gets A-ASSOCIATE-RJ before it sends anything")
    s.close()
    check(wait_metric(n, "address", 1), "peers: /metrics counts address refusals (%s)" % metrics(n))
    s = idle(n.dport, "127.0.0.2")          # a forged log line in an AE title
    socks.append(s)
    s.sendall(assoc_rq("WHOEVER", called="EVIL\nFORGED LINE"))
    a = answer(s)
    check(a is not None and a[:1] == b"\x03", "peers: an AE title with a newline is refused")
    s.close()
    check(wait_metric(n, "called_ae", 1), "peers: that refusal is counted")
    recs = [a for a in n.audit() if a.get("event") == "DICOM-ASSOC"]
    check(len(recs) == 2 and recs[1]["address"] == "127.0.0.2",
          "peers: ... and recorded: another address and reason (%s)" % recs[1:])
    log = n.log()
    check(not re.search(r"^FORGED", log, re.M) and "EVIL\\x0aFORGED" in log,
          "peers: the newline of a peer's AE title is escaped in the log")
    bad = [ln for ln in log.splitlines() if ln and not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", ln)]
    check(not bad, "peers: every log line has a timestamp (DCMTK's too) (%s)" % bad[:3])
    stop_nodes(n)
    r = subprocess.run([args.xdsd, "-f", "-C", "node.state_dir=" + os.path.join(work, "bad"),
                        "-C", "http.listen=127.0.0.1:0", "-C", "dicom.listen=127.0.0.1:0",
                        "-C", "dicom.allowed_peers=10.0.0.0/33"], capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "dicom.allowed_peers" in r.stderr,
          "peers: a bad dicom.allowed_peers stops start-up (%s)" % r.stderr.strip()[-200:])

    # --- DICOM over mutual TLS --------------------------------------------
    os.makedirs(os.path.join(work, "pki"))
    pki = make_pki(os.path.join(work, "pki"), rogue=True, revocation=True)
    # the files the node reads, replaced before a SIGHUP
    live = dict(pki, server_cert=os.path.join(work, "pki", "live.pem"),
                server_key=os.path.join(work, "pki", "live.key"),
                dicom_ca=os.path.join(work, "pki", "live-ca.pem"))
    shutil.copy(pki["server_cert"], live["server_cert"])
    shutil.copy(pki["server_key"], live["server_key"])
    shutil.copy(pki["ca"], live["dicom_ca"])
    n = start("tls", ["dicom.tls=yes", "gateway.responding=no", "http.crl=" + pki["crl"],
                      "push.listen=127.0.0.1:0", "dicom.ca=" + live["dicom_ca"]],
              tls=live)   # with http.tls an RG needs Mitz
    nodes.append(n)
    good = ("+tls", pki["client_key"], pki["client_cert"], "+cf", pki["ca"])
    r = echo(n.dport, extra=good)
    check(r.returncode == 0, "tls: C-ECHO over TLS with a client certificate of the CA (%s)" % out(r))
    r = store(n.dport, inst, good)
    check(r.returncode == 0, "tls: C-STORE over TLS (%s)" % out(r))
    r = echo(n.dport, extra=("+tls", pki["rogue_key"], pki["rogue_cert"], "+cf", pki["ca"]))
    check(r.returncode != 0, "tls: a client certificate of another CA is refused (%s)" % out(r))
    r = echo(n.dport, extra=("+tla", "+cf", pki["ca"]))
    check(r.returncode != 0, "tls: a TLS client without a certificate is refused (%s)" % out(r))
    r = echo(n.dport)
    check(r.returncode != 0, "tls: plain DICOM on the TLS port is refused (%s)" % out(r))
    r = store(n.dport, inst, ("+tls", pki["revoked_key"], pki["revoked_cert"], "+cf", pki["ca"]))
    check(r.returncode != 0, "tls: a client certificate on the CRL (http.crl) is refused (%s)" % out(r))
    check(wait_metric(n, "tls", 4), "tls: /metrics counts the failed handshakes (%s)" % metrics(n))
    check(wait_until(lambda: 'xds_tls_refused_total{reason="revoked"} 1' in
                     n.get("/metrics")[1].decode()), "tls: the revoked certificate is counted as such")
    r = echo(n.dport, extra=good)
    check(r.returncode == 0, "tls: still serving after the refusals (%s)" % out(r))
    rotate(n, pki, live, read_ports(n.state)["push"][1])
    stop_nodes(n)

    # --- plain DICOM off loopback -----------------------------------------
    n = Xdsd(args.xdsd, work, ["dicom.listen=0.0.0.0:0"], name="lan", dicom=True)
    nodes.append(n)
    check(not n.start(15) and n.returncode() not in (None, 0) and
          "plain DICOM on 0.0.0.0:0 is refused" in n.log(),
          "lan: a non-loopback dicom.listen without TLS is refused at start-up")
    n = Xdsd(args.xdsd, work, ["dicom.listen=0.0.0.0:0", "dicom.allow_plain_lan=yes"], name="lan2",
             dicom=True)
    nodes.append(n)
    check(n.start(), "lan: dicom.allow_plain_lan = yes lets it start")
    check("plain DICOM (no TLS) on 0.0.0.0:0" in n.log(), "lan: with a warning")
    r = echo(n.dport)
    check(r.returncode == 0, "lan: loopback peers admitted by the empty dicom.allowed_peers (%s)" % out(r))
    stop_nodes(n)
finally:
    for s in socks:
        s.close()
    stop_nodes(*nodes)
sys.exit(finish(work))
