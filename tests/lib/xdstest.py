"""What the Python tests and benchmarks share (standard library only).

A test puts this folder on sys.path ($top_srcdir/tests/lib, or found from
its own path) and imports it.  Nothing here decides a verdict; it starts
and stops xdsd, talks HTTP to it and waits for events.

Rules it follows (and helps a test follow): xdsd binds port 0 and says
which port it got in state_dir/xdsd.ports, read here, so no test guesses
a free port; a test waits for the event it needs with wait_until (a
deadline only bounds how long a failing test hangs), it never sleeps for
something to have happened.

Results
    check(name, cond, detail)   one "PASS: name" / "FAIL: name -- detail" line
    summary()                   "N passed, M failed"; the exit status (0/1)
    command_line(ap, xdsctl)    --xdsd (and --xdsctl) and ap's own options;
                                exit 99 when a program is not there
Waiting
    DEADLINE                    seconds a test waits for an event at most
    wait_until(pred, timeout)   pred()'s first truthy value, or None
Processes and ports
    tmpdir(name)                a new temporary directory
    reserve_port()              a loopback port held for this process (not
                                listening, so connections are refused) that
                                a server with SO_REUSEADDR may still bind:
                                for a node that must restart on the same
                                port, or a program that cannot report one
    read_ports(state)           state_dir/xdsd.ports as a dict, or None
    wait_port(port, timeout, proc)  True once 127.0.0.1:port accepts (False
                                once proc has exited, or after timeout s)
    stop_process(p, timeout)    SIGTERM, then SIGKILL: the exit status, None
                                if it was not running or had to be killed
    proc_status_kb(pid, key)    a KiB field of /proc/PID/status (VmHWM, ...)
    Xdsd                        one `xdsd -f` on loopback
TLS
    make_pki(d, rogue, revocation) a test CA, server and client certificates, CRLs
                                (openssl) in d, as Xdsd's tls argument
HTTP
    request(port, method, path, body, headers, tls, timeout)
                                (status, headers, body) over HTTP or TLS
    get(port, path, ...), post(port, path, body, ctype, ...)   (status, body)
    metrics(node)               {(name, labels): value} of a node's GET /metrics
    connect_from(port, addr)    a TCP connection from another loopback address
    soap_envelope(action, body) a SOAP 1.2 envelope with WS-Addressing
"""
import argparse
import glob
import gzip
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

DEADLINE = 60                      # s: the bound of every wait on an event
SOAP12 = "application/soap+xml; charset=UTF-8"
PORTS_FILE = "xdsd.ports"

# --- results ---------------------------------------------------------------

RESULTS = []


def check(name, cond, detail=""):
    """Record one check and print it; cond's truth."""
    RESULTS.append((name, bool(cond)))
    print("%s: %s%s" % ("PASS" if cond else "FAIL", name,
                        "" if cond or detail == "" else " -- %s" % (detail,)))
    sys.stdout.flush()
    return bool(cond)


def summary():
    """Print "N passed, M failed"; the exit status (1 if any failed)."""
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def command_line(ap=None, xdsctl=False):
    """The parsed command line of a test: --xdsd (and with xdsctl
    --xdsctl), the programs it runs, and the options added to ap before;
    exit 99 (a harness error) when a program is not there."""
    ap = ap or argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    if xdsctl:
        ap.add_argument("--xdsctl", required=True)
    a = ap.parse_args()
    for b in (a.xdsd, a.xdsctl if xdsctl else None):
        if b is not None and not os.path.exists(b):
            print("no binary at %s" % b)
            sys.exit(99)
    return a


# --- waiting -----------------------------------------------------------------

def wait_until(pred, timeout=DEADLINE, step=0.02):
    """Poll pred() until it returns something truthy (returned) or timeout
    seconds have passed (None).  The timeout bounds a failure only."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return None
        time.sleep(step)


# --- processes and ports -------------------------------------------------------

def tmpdir(name):
    return tempfile.mkdtemp(prefix="xds-%s-" % name)


class PortReservation:
    """A loopback TCP port held by a bound, not listening socket with
    SO_REUSEADDR: the kernel gives it to no port-0 bind and no outgoing
    connection while it is held, a connection to it is refused until a
    server listens there, and a server that sets SO_REUSEADDR (xdsd,
    dcmtk, Orthanc) binds it explicitly."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def reserve_port():
    return PortReservation()


def read_ports(state):
    """state_dir/xdsd.ports as {"pid": int, "http": (host, port),
    "dicom": (host, port)}; None when there is no such file."""
    try:
        with open(os.path.join(state, PORTS_FILE)) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    out = {}
    for line in lines:
        w = line.split()
        if len(w) == 2 and w[0] == "pid":
            out["pid"] = int(w[1])
        elif len(w) == 3:
            out[w[0]] = (w[1], int(w[2]))
    return out


def wait_port(port, timeout=DEADLINE, proc=None):
    """True once 127.0.0.1:port accepts; False after timeout s, or once
    proc (the process meant to listen there) has exited."""
    def accepts():
        if proc is not None and proc.poll() is not None:
            return "exited"
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False
    return wait_until(accepts, timeout) is True


def proc_status_kb(pid, key):
    """The field key (VmHWM, VmRSS, ...) of /proc/PID/status in KiB; -1
    when unknown."""
    try:
        with open("/proc/%d/status" % pid) as fp:
            for line in fp:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def stop_process(p, timeout=DEADLINE):
    """SIGTERM p; its exit status if it stops within timeout s, None if it
    was not running or had to be killed."""
    if p is None or p.poll() is not None:
        return None
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def ssl_context(tls, with_cert=True):
    """A client context trusting tls["ca"], with tls["client_cert"/"client_key"]."""
    c = ssl.create_default_context(cafile=tls["ca"])
    c.check_hostname = False
    if with_cert:
        c.load_cert_chain(tls["client_cert"], tls["client_key"])
    return c


class Xdsd:
    """One `xdsd -f` on loopback.  dir (work/name, or work) holds state/
    (or state) and the log (appended to across restarts).  HTTP listens on port
    (0 unless given: xdsd picks one, read from state/xdsd.ports); with
    dicom the bridge runs too, on dport (0 unless given), else
    dicom.enabled=no.  opts are more -C settings; tls {server_cert,
    server_key, ca, client_cert, client_key} turns on mutual TLS and the
    client side of get/post.  start() again restarts on the same state,
    and on the same ports only when they were given (reserve_port())."""

    def __init__(self, binary, work, opts=(), name=None, port=0, dicom=False, dport=0,
                 tls=None, env=None, logname="xdsd.log", state=None):
        self.binary, self.opts, self.env, self.tls = binary, list(opts), env, tls
        self.dir = os.path.join(work, name) if name else work
        os.makedirs(self.dir, exist_ok=True)
        self.state = state or os.path.join(self.dir, "state")
        self.logpath = os.path.join(self.dir, logname)
        self.want_port, self.want_dport, self.dicom = port, dport, dicom
        self.port = port or None
        self.dport = (dport or None) if dicom else None
        self.proc = None

    def command(self):
        cmd = [self.binary, "-f", "-C", "node.state_dir=" + self.state,
               "-C", "http.listen=127.0.0.1:%d" % self.want_port]
        if self.dicom:
            cmd += ["-C", "dicom.enabled=yes", "-C", "dicom.listen=127.0.0.1:%d" % self.want_dport]
        else:
            cmd += ["-C", "dicom.enabled=no"]
        if self.tls:
            cmd += ["-C", "http.tls=yes", "-C", "http.cert=" + self.tls["server_cert"],
                    "-C", "http.key=" + self.tls["server_key"], "-C", "http.ca=" + self.tls["ca"]]
        for o in self.opts:
            cmd += ["-C", o]
        return cmd

    def start(self, timeout=DEADLINE):
        """Start it; True once it wrote state/xdsd.ports (every listener
        bound, the node ready) and GET /health answers 200; False if it
        exits first or not within timeout s."""
        try:
            os.unlink(os.path.join(self.state, PORTS_FILE))   # a killed run's
        except FileNotFoundError:
            pass
        with open(self.logpath, "a") as log:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=self.env)
        end = time.monotonic() + timeout

        def ports():
            if self.proc.poll() is not None:
                return "exited"
            return read_ports(self.state)
        p = wait_until(ports, timeout)
        if not isinstance(p, dict) or "http" not in p:
            return False
        self.port = p["http"][1]
        self.dport = p["dicom"][1] if "dicom" in p else None

        def healthy():
            if self.proc.poll() is not None:
                return "exited"
            try:
                return self.get("/health", timeout=5)[0] == 200
            except OSError:
                return False
        return wait_until(healthy, max(end - time.monotonic(), 1)) is True

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=DEADLINE):
        """Stop it with sig (SIGTERM: a clean stop); its exit status, None
        if it was not running or had to be killed."""
        if not self.running():
            return None
        if sig == signal.SIGTERM:
            return stop_process(self.proc, timeout)
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def kill(self):
        """An unclean stop (SIGKILL)."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def returncode(self):
        return self.proc.returncode if self.proc is not None else None

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)

    def get(self, path, timeout=30, with_cert=True):
        return get(self.port, path, tls=self.tls, timeout=timeout, with_cert=with_cert)

    def post(self, path, body, ctype=SOAP12, timeout=30):
        return post(self.port, path, body, ctype, tls=self.tls, timeout=timeout)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def dump_log(self, n=8000):
        sys.stdout.write("---- xdsd log (%s) ----\n%s\n------------------\n" % (self.logpath, self.log()[-n:]))

    def audit(self):
        """The audit records (state/audit/*.jsonl, past days *.jsonl.gz:
        the plain file when a day has both) as dicts, oldest first."""
        out, days = [], {}
        for f in glob.glob(os.path.join(self.state, "audit", "access-*.jsonl*")):
            if f.endswith(".jsonl") or (f.endswith(".jsonl.gz") and f[:-3] not in days):
                days[f[:-3] if f.endswith(".gz") else f] = f
        for day in sorted(days):
            f = days[day]
            with (gzip.open(f, "rt") if f.endswith(".gz") else open(f)) as fh:
                out += [json.loads(line) for line in fh if line.strip()]
        return out

    def vm_hwm_kb(self):
        """Peak resident memory (VmHWM) in KiB, -1 when unknown."""
        return proc_status_kb(self.proc.pid, "VmHWM") if self.proc else -1


# --- TLS -----------------------------------------------------------------------

def uzi_server_name(ura):
    """The UZI string of a server certificate (otherName 2.5.5.5, card
    type S) for the organisation with this URA."""
    return "2.16.528.1.1003.1.3.5.5.5-1-12345678-S-%s-00.000-00000000" % ura


def make_pki(d, rogue=False, uzi=None, revocation=False):
    """In directory d, with the openssl command: a test CA, a server and a
    client certificate it signed (for 127.0.0.1 and localhost), with
    rogue one signed by another CA, with revocation revoked certificates
    and CRLs (revocation_pki).  The paths as {ca, server_cert,
    server_key, client_cert, client_key[, rogue_cert, rogue_key]}: the
    tls argument of Xdsd, request, get and post.  uzi {"server": URA,
    "client": URA} gives those certificates an UZI server identity
    (subjectAltName otherName 2.5.5.5) with that URA."""
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def p(n):
        return os.path.join(d, n)

    def ca(name, cn):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=" + cn, "-keyout", p(name + ".key"), "-out", p(name + ".pem"))

    def cert(who, by, ext=()):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
            "/O=Test Hospital/CN=%s" % who, "-keyout", p(who + ".key"), "-out", p(who + ".csr"))
        run("openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p(by + ".pem"),
            "-CAkey", p(by + ".key"), "-CAcreateserial", "-days", "2", *ext,
            "-out", p(who + ".pem"))

    ca("ca", "xdsnode test CA")
    for who in ("server", "client"):
        san = "IP:127.0.0.1,DNS:localhost"
        if uzi and who in uzi:
            san += ",otherName:2.5.5.5;IA5STRING:" + uzi_server_name(uzi[who])
        with open(p(who + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        cert(who, "ca", ("-extfile", p(who + ".ext")))
    out = {"ca": p("ca.pem"), "server_cert": p("server.pem"), "server_key": p("server.key"),
           "client_cert": p("client.pem"), "client_key": p("client.key")}
    if rogue:
        ca("other", "other CA")
        cert("rogue", "other")
        out.update(rogue_cert=p("rogue.pem"), rogue_key=p("rogue.key"))
    if revocation:
        out.update(revocation_pki(d, cert))
    return out


def org_cert(d, who, ura, name, uzi=None):
    """A client certificate of make_pki's CA in d for an organisation:
    subject O=name, organizationIdentifier=URA-<ura> (none when ura is
    None), CN=who, as the XDR recipient reads it; with uzi an UZI server
    identity (otherName 2.5.5.5) with that URA too.  (cert, key) paths."""
    subj = "/O=%s/CN=%s" % (name, who)
    if ura:
        subj = "/O=%s/organizationIdentifier=URA-%s/CN=%s" % (name, ura, who)
    p = lambda n: os.path.join(d, n)   # noqa: E731
    ext = []
    if uzi:
        with open(p(who + ".ext"), "w") as f:
            f.write("subjectAltName=otherName:2.5.5.5;IA5STRING:%s\n" % uzi_server_name(uzi))
        ext = ["-extfile", p(who + ".ext")]
    for cmd in (["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", subj,
                 "-keyout", p(who + ".key"), "-out", p(who + ".csr")],
                ["openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p("ca.pem"),
                 "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2"] + ext +
                ["-out", p(who + ".pem")]):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p(who + ".pem"), p(who + ".key")


def revocation_pki(d, cert):
    """For make_pki(revocation=True), in d with the test CA: a client and a
    server certificate that the CA revokes (revoked_*, server_revoked_*),
    a renewed server certificate with a UZI server otherName (URA
    90000123) valid a day longer (server2_*), and three CRLs: crl_none
    (nothing revoked, from before), crl (both revoked) and crl_expired
    (both revoked, its nextUpdate in 2020), made by `openssl ca`."""
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=d)

    def p(n):
        return os.path.join(d, n)

    with open(p("ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = test\n[test]\ndatabase = %s\ncrlnumber = %s\n"
                "certificate = %s\nprivate_key = %s\ndefault_md = sha256\n"
                "default_crl_days = 2\n" % (p("index.txt"), p("crlnumber"), p("ca.pem"),
                                             p("ca.key")))
    with open(p("index.txt"), "w"):
        pass
    with open(p("crlnumber"), "w") as f:
        f.write("01\n")
    with open(p("san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    with open(p("uzi.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,otherName:2.5.5.5;IA5STRING:%s\n"
                % uzi_server_name("90000123"))
    cert("revoked", "ca", ("-extfile", p("san.ext")))
    cert("server_revoked", "ca", ("-extfile", p("san.ext")))
    cert("server2", "ca", ("-extfile", p("uzi.ext"), "-days", "3"))
    cnf = ("-config", p("ca.cnf"))
    run("openssl", "ca", *cnf, "-gencrl", "-out", p("crl_none.pem"))
    run("openssl", "ca", *cnf, "-revoke", p("revoked.pem"))
    run("openssl", "ca", *cnf, "-revoke", p("server_revoked.pem"))
    run("openssl", "ca", *cnf, "-gencrl", "-out", p("crl.pem"))
    run("openssl", "ca", *cnf, "-gencrl", "-crl_lastupdate", "20200101000000Z",
        "-crl_nextupdate", "20200102000000Z", "-out", p("crl_expired.pem"))
    return {k: p(v) for k, v in (
        ("revoked_cert", "revoked.pem"), ("revoked_key", "revoked.key"),
        ("server_revoked_cert", "server_revoked.pem"),
        ("server_revoked_key", "server_revoked.key"),
        ("server2_cert", "server2.pem"), ("server2_key", "server2.key"),
        ("crl_none", "crl_none.pem"), ("crl", "crl.pem"), ("crl_expired", "crl_expired.pem"))}


# --- HTTP ----------------------------------------------------------------------

def request(port, method, path, body=None, headers=None, tls=None, timeout=30, with_cert=True):
    """(status, {header: value} lower-cased, body) of one request to
    127.0.0.1:port; over mutual TLS with tls = {ca, client_cert, client_key}."""
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                        context=ssl_context(tls, with_cert))
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)   # Linux


def bind_source(sock, addr):
    """Bind sock to the loopback address addr (127.0.0.2, ...) for an
    outgoing connection, its port chosen only at connect().  A plain bind
    to (addr, 0) takes any port not bound on addr itself, a reserved port
    (PortReservation, on 127.0.0.1) included, and a server that then binds
    it on 0.0.0.0 (Orthanc's DICOM port) finds it in use; connect() skips
    every port bound anywhere."""
    sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    sock.bind((addr, 0))


def connect_from(port, addr):
    """A TCP connection to 127.0.0.1:port from the loopback address addr
    (127.0.0.2, ...: another peer for per-address limits), or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        bind_source(s, addr)
        s.connect(("127.0.0.1", port))
        return s
    except OSError:
        s.close()
        return None


def metrics(node):
    """{(name, label-text): value} of the node's GET /metrics; {} when it
    does not answer (a TLS node that refuses the test's client, too)."""
    try:
        st, body = node.get("/metrics", timeout=DEADLINE / 2)
    except (OSError, ssl.SSLError):
        return {}
    out = {}
    if st != 200:
        return out
    for line in body.decode().splitlines():
        m = re.match(r"^([a-z_]+)(\{[^}]*\})? ([0-9.e+]+)$", line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def get(port, path, tls=None, timeout=30, with_cert=True):
    st, _, body = request(port, "GET", path, tls=tls, timeout=timeout, with_cert=with_cert)
    return st, body


def post(port, path, body, ctype=SOAP12, tls=None, timeout=30):
    st, _, rb = request(port, "POST", path, body, {"Content-Type": ctype}, tls, timeout)
    return st, rb


def soap_envelope(action, body, prolog=""):
    """A SOAP 1.2 envelope (bytes) with wsa:Action and a fresh MessageID."""
    return (prolog + '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header>'
            '<wsa:Action soap:mustUnderstand="true">%s</wsa:Action>'
            '<wsa:MessageID>urn:uuid:%s</wsa:MessageID>'
            '</soap:Header><soap:Body>%s</soap:Body></soap:Envelope>'
            % (action, uuid.uuid4(), body)).encode()
