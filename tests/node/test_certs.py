#!/usr/bin/env python3
"""Certificate hygiene of xdsd (make check): revocation and reload.

With a test CA that revokes a client and a server certificate
(xdstest.make_pki(revocation=True), CRLs made by `openssl ca`):
  * xdsd -n refuses an http.crl that is missing or holds no CRL;
  * the HTTPS node with http.crl serves a good client and refuses the
    revoked one in the handshake, counted in xds_tls_refused_total and
    xds_http_refused_total;
  * SIGHUP with a renewed server certificate: a connection opened before
    stays open and is served, a new connection gets the new certificate,
    the reload and the new notAfter are in /metrics and the log;
  * SIGHUP with a key that does not match keeps the certificate in use;
  * SIGHUP with an expired CRL: the good client is refused too
    (fail-closed, crl_expired), and a fresh CRL serves it again;
  * the node calling a registry whose server certificate is revoked:
    served while the CRL does not list it, refused (XDSRegistryNotAvailable,
    "certificate revoked") once a SIGHUP loaded the CRL that does;
  * the ATNA sender does not send to an audit record repository whose
    certificate is revoked, and sends once a SIGHUP loaded a CRL that
    does not list it;
  * xdsctl tls check shows the node's subject and the URA of its UZI
    otherName and accepts it (exit 0), and rejects, with the reason, a
    revoked peer and one whose CA it does not trust (exit 1).
Waits for events (a counter in /metrics, a log line), never sleeps for
them.  Prints one line per case and a final "N passed, M failed".
"""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg as m  # noqa: E402
from xdstest import (DEADLINE, RESULTS, Xdsd, check, command_line, make_pki,  # noqa: E402
                     metrics, ssl_context, summary, tmpdir, wait_until)


def metric(node, name, labels=""):
    return metrics(node).get((name, labels), 0)


def reloads(node, result):
    return metric(node, "xds_tls_reloads_total", '{result="%s"}' % result)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def handshake(port, tls, cert=None, key=None):
    """The server certificate (DER) after a handshake as cert/key (the
    good client by default), or the ssl error's text."""
    c = ssl.create_default_context(cafile=tls["ca"])
    c.check_hostname = False
    c.load_cert_chain(cert or tls["client_cert"], key or tls["client_key"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE / 2)
    try:
        s = c.wrap_socket(raw, server_hostname="127.0.0.1")
        # TLS 1.3: the server's verdict on the client arrives after the
        # handshake; a request shows it.
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(64)
        der = s.getpeercert(binary_form=True)
        s.close()
        return der if data.startswith(b"HTTP/1.1 200") else "answer %r" % data
    except (OSError, ssl.SSLError) as e:
        raw.close()
        return "refused: %s" % e


def not_after(pem_path):
    """notAfter of a certificate as Unix time (openssl x509 -enddate)."""
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", pem_path],
                         check=True, capture_output=True, text=True).stdout
    return ssl.cert_time_to_seconds(out.strip().split("=", 1)[1])


def tls_check(xdsctl, port, *opts):
    """(exit status, stdout, stderr) of xdsctl tls check 127.0.0.1:port."""
    r = subprocess.run([xdsctl, "tls", "check", "127.0.0.1:%d" % port] + list(opts),
                       capture_output=True, text=True, timeout=DEADLINE)
    return r.returncode, r.stdout, r.stderr


def config_errors(xdsd, d, tls):
    def n(crl):
        r = subprocess.run([xdsd, "-n", "-C", "node.state_dir=" + os.path.join(d, "n"),
                            "-C", "http.crl=" + crl], capture_output=True, text=True)
        return r.returncode, r.stderr
    rc, err = n(os.path.join(d, "no-such.crl"))
    check("xdsd -n: a missing http.crl is a configuration error",
          rc != 0 and "http.crl" in err and "no-such.crl" in err, (rc, err))
    rc, err = n(tls["ca"])
    check("xdsd -n: a file without a CRL is a configuration error",
          rc != 0 and "no CRL" in err, (rc, err))
    rc, err = n(tls["crl"])
    check("xdsd -n: a CRL file is accepted", rc == 0, (rc, err))
    empty = os.path.join(d, "crl.d")
    os.makedirs(empty, exist_ok=True)
    rc, err = n(empty)
    check("xdsd -n: a directory without CRLs is a configuration error",
          rc != 0 and "no CRL" in err, (rc, err))
    shutil.copy(tls["crl"], os.path.join(empty, "test-ca.crl"))
    rc, err = n(empty)
    check("xdsd -n: a directory of CRLs is accepted", rc == 0, (rc, err))


def inbound(xdsd, xdsctl, d, tls):
    """Revoked clients, reload of certificate, key and CRLs."""
    live = {"server_cert": os.path.join(d, "live.pem"), "server_key": os.path.join(d, "live.key"),
            "crl": os.path.join(d, "live.crl")}
    shutil.copy(tls["server_cert"], live["server_cert"])
    shutil.copy(tls["server_key"], live["server_key"])
    shutil.copy(tls["crl"], live["crl"])
    ntls = dict(tls, server_cert=live["server_cert"], server_key=live["server_key"])
    node = Xdsd(xdsd, d, ["gateway.responding=no", "http.crl=" + live["crl"]], name="in",
                tls=ntls)
    if not node.start():
        node.dump_log()
        check("xdsd with http.crl starts", False)
        return
    try:
        got = handshake(node.port, tls)
        check("a good client is served", got == der_of(tls["server_cert"]), got)
        got = handshake(node.port, tls, tls["revoked_cert"], tls["revoked_key"])
        check("a revoked client is refused", isinstance(got, str) and got.startswith("refused"),
              got)
        check("the refusal is counted as revoked",
              wait_until(lambda: metric(node, "xds_tls_refused_total", '{reason="revoked"}') >= 1),
              metrics(node))
        check("and as a failed handshake",
              metric(node, "xds_http_refused_total", '{reason="tls_failed"}') >= 1)
        check("the metrics show the certificate's notAfter",
              metric(node, "xds_tls_cert_not_after_seconds") == not_after(tls["server_cert"]),
              (metric(node, "xds_tls_cert_not_after_seconds"), not_after(tls["server_cert"])))

        # A connection opened before the reload.
        before = http.client.HTTPSConnection("127.0.0.1", node.port, timeout=DEADLINE / 2,
                                             context=ssl_context(tls))
        before.request("GET", "/health")
        r = before.getresponse()
        r.read()
        sock = before.sock
        check("a keep-alive connection is served before the reload", r.status == 200, r.status)

        shutil.copy(tls["server2_cert"], live["server_cert"])
        shutil.copy(tls["server2_key"], live["server_key"])
        node.proc.send_signal(1)    # SIGHUP
        check("SIGHUP: the reload is counted",
              wait_until(lambda: reloads(node, "ok") >= 1), metrics(node))
        check("SIGHUP: the new notAfter is in the metrics",
              metric(node, "xds_tls_cert_not_after_seconds") == not_after(tls["server2_cert"]))
        check("SIGHUP: the reload is logged", "TLS reloaded: certificate valid until" in node.log())
        before.request("GET", "/health")
        r = before.getresponse()
        r.read()
        check("the connection opened before is still open and served",
              r.status == 200 and before.sock is sock, r.status)
        before.close()
        got = handshake(node.port, tls)
        check("a new connection gets the renewed certificate", got == der_of(tls["server2_cert"]),
              got if isinstance(got, str) else "the old one")
        client = ["--cert", tls["client_cert"], "--key", tls["client_key"]]
        rc, out, err = tls_check(xdsctl, node.port, "--ca", tls["ca"], "--crl", tls["crl"], *client)
        check("xdsctl tls check: the node is accepted (exit 0)",
              rc == 0 and "verdict     accept" in out, (rc, out, err))
        check("xdsctl tls check: the subject and the URA of its UZI name",
              "subject     CN=server2,O=Test Hospital" in out and "ura         90000123" in out,
              out)
        rc, out, err = tls_check(xdsctl, node.port, "--ca", tls["ca"], "--json", *client)
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        check("xdsctl tls check --json: subject, URA, protocol, verdict",
              rc == 0 and j.get("accept") is True and j.get("uzi", {}).get("ura") == "90000123"
              and j.get("subject") == "CN=server2,O=Test Hospital"
              and j.get("protocol", "").startswith("TLSv1."), (rc, out, err))

        # A certificate and a key that do not match: nothing changes, and
        # the status page shows the certificate in use, not the new file.
        shutil.copy(tls["server_cert"], live["server_cert"])
        shutil.copy(tls["client_key"], live["server_key"])
        node.proc.send_signal(1)
        check("SIGHUP with a mismatching key: the failed reload is counted",
              wait_until(lambda: reloads(node, "failed") >= 1), metrics(node))
        check("the failure is logged with its reason",
              re.search(r"TLS reload failed.*does not match the certificate", node.log()), node.log()[-600:])
        got = handshake(node.port, tls)
        check("the certificate in use stays", got == der_of(tls["server2_cert"]),
              got if isinstance(got, str) else "another one")
        st, body = node.get("/status.json")
        try:
            cert = json.loads(body).get("certificate") or {}
        except ValueError:
            cert = {}
        check("/status.json shows the certificate in use, not the file on disk",
              st == 200 and "CN=server2" in cert.get("subject", "")
              and cert.get("days_left", -1) >= 0, (st, body[:300]))
        shutil.copy(tls["server2_cert"], live["server_cert"])
        shutil.copy(tls["server2_key"], live["server_key"])

        # An expired CRL refuses every peer it covers (fail-closed).
        shutil.copy(tls["crl_expired"], live["crl"])
        node.proc.send_signal(1)
        # /metrics is behind the expired CRL too: the log says when.
        check("SIGHUP with an expired CRL loads it",
              wait_until(lambda: node.log().count("TLS reloaded:") >= 2), node.log()[-600:])
        check("the expired CRL is said loudly", re.search(r"CRL of .* expired at 2020", node.log()))
        got = handshake(node.port, tls)
        check("an expired CRL refuses the good client too",
              isinstance(got, str) and got.startswith("refused"), got)
        check("and logged at error level", "TLS peer refused: CRL has expired" in node.log())
        shutil.copy(tls["crl"], live["crl"])
        node.proc.send_signal(1)
        # /metrics itself is behind the CRL: it answers again once the
        # fresh one is in.
        check("SIGHUP with a fresh CRL loads it", wait_until(lambda: reloads(node, "ok") >= 3))
        got = handshake(node.port, tls)
        check("a fresh CRL serves the good client again", got == der_of(tls["server2_cert"]), got)
        check("the refusal was counted as crl_expired",
              metric(node, "xds_tls_refused_total", '{reason="crl_expired"}') >= 1, metrics(node))
    finally:
        rc = node.stop()
        check("the node stops cleanly after the reloads", rc == 0, rc)


def outbound(xdsd, xdsctl, d, tls):
    """The node calling a registry whose server certificate is revoked."""
    crl = os.path.join(d, "out.crl")
    shutil.copy(tls["crl_none"], crl)
    rtls = dict(tls, server_cert=tls["server_revoked_cert"], server_key=tls["server_revoked_key"])
    reg = Xdsd(xdsd, d, ["gateway.responding=no", "repository.enabled=no"], name="reg", tls=rtls)
    if not reg.start():
        reg.dump_log()
        check("a registry with a revoked certificate starts", False)
        return
    repo = Xdsd(xdsd, d, ["registry.enabled=no", "gateway.responding=no",
                          "http.cert=" + tls["server_cert"], "http.key=" + tls["server_key"],
                          "http.ca=" + tls["ca"], "http.crl=" + crl,
                          "repository.registry_url=https://127.0.0.1:%d/xds/registry" % reg.port],
                name="repo")
    try:
        if not repo.start():
            repo.dump_log()
            check("a repository with http.crl starts", False)
            return
        st, errs, _, xml, _ = m.submit(repo.port, [b"before the CRL lists it"])
        check("the registry is called while the CRL does not list it", st == "Success",
              (st, errs, xml[-400:]))
        shutil.copy(tls["crl"], crl)
        repo.proc.send_signal(1)
        check("SIGHUP: the repository reloads its CRLs",
              wait_until(lambda: reloads(repo, "ok") >= 1), metrics(repo))
        st, errs, _, xml, _ = m.submit(repo.port, [b"after"])
        check("a revoked registry is refused: XDSRegistryNotAvailable",
              st == "Failure" and "XDSRegistryNotAvailable" in errs, (st, errs))
        check("with the reason", "certificate revoked" in xml, xml[-600:])
        check("counted as revoked",
              metric(repo, "xds_tls_refused_total", '{reason="revoked"}') >= 1, metrics(repo))
        client = ["--cert", tls["client_cert"], "--key", tls["client_key"]]
        rc, out, err = tls_check(xdsctl, reg.port, "--ca", tls["ca"], "--crl", tls["crl"], *client)
        check("xdsctl tls check: a revoked peer is rejected with the reason (exit 1)",
              rc == 1 and "verdict     reject: certificate revoked" in out, (rc, out, err))
        rc, out, err = tls_check(xdsctl, reg.port, "--ca", tls["ca"], "--crl", tls["crl_none"],
                                 *client)
        check("xdsctl tls check: the same peer before the CRL lists it is accepted",
              rc == 0 and "verdict     accept" in out, (rc, out, err))
        other = os.path.join(os.path.dirname(tls["ca"]), "other.pem")
        rc, out, err = tls_check(xdsctl, reg.port, "--ca", other, *client)
        check("xdsctl tls check: a peer from a CA not trusted is rejected (exit 1)",
              rc == 1 and "verdict     reject: " in out and "CN=server_revoked" in out,
              (rc, out, err))
    finally:
        repo.stop()
        reg.stop()


class TlsSink:
    """A TLS listener on 127.0.0.1 (port 0) presenting cert/key and asking
    for a client certificate of the CA: how many bytes it got after a
    handshake, for an audit record repository the node sends to."""

    def __init__(self, tls, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.load_verify_locations(tls["ca"])
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.got, self.lock = 0, threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, raw):
        try:
            c = self.ctx.wrap_socket(raw, server_side=True)
            while True:
                b = c.recv(65536)
                if not b:
                    break
                with self.lock:
                    self.got += len(b)
        except (OSError, ssl.SSLError):
            pass
        finally:
            raw.close()

    def bytes(self):
        with self.lock:
            return self.got

    def close(self):
        self.sock.close()


def atna(xdsd, d, tls):
    """The ATNA sender to an audit record repository with a revoked
    certificate."""
    crl = os.path.join(d, "atna.crl")
    shutil.copy(tls["crl"], crl)
    sink = TlsSink(tls, tls["server_revoked_cert"], tls["server_revoked_key"])
    node = Xdsd(xdsd, d, ["audit.syslog_url=tls://127.0.0.1:%d" % sink.port,
                          "audit.syslog_retry_max=1", "http.cert=" + tls["client_cert"],
                          "http.key=" + tls["client_key"], "http.ca=" + tls["ca"],
                          "http.crl=" + crl], name="atna")
    try:
        if not node.start():
            node.dump_log()
            check("a node with audit.syslog_url and http.crl starts", False)
            return
        m.submit(node.port, [b"audited"])
        check("ATNA: a revoked audit record repository is refused",
              wait_until(lambda: metric(node, "xds_tls_refused_total", '{reason="revoked"}') >= 1
                         and metric(node, "xds_audit_atna_total", '{result="failed"}') >= 1),
              metrics(node))
        check("ATNA: nothing was sent to it", sink.bytes() == 0, sink.bytes())
        shutil.copy(tls["crl_none"], crl)
        node.proc.send_signal(1)
        check("ATNA: once the CRL does not list it, the messages go out",
              wait_until(lambda: sink.bytes() > 0 and
                         metric(node, "xds_audit_atna_total", '{result="sent"}') >= 1),
              metrics(node))
    finally:
        node.stop()
        sink.close()


def main():
    a = command_line(xdsctl=True)
    d = tmpdir("certs-test")
    os.makedirs(os.path.join(d, "pki"))
    tls = make_pki(os.path.join(d, "pki"), rogue=True, revocation=True)
    try:
        config_errors(a.xdsd, d, tls)
        inbound(a.xdsd, a.xdsctl, d, tls)
        outbound(a.xdsd, a.xdsctl, d, tls)
        atna(a.xdsd, d, tls)
    finally:
        if all(ok for _, ok in RESULTS):
            shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
