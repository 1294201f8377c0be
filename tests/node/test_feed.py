#!/usr/bin/env python3
"""ITI-8 Patient Identity Feed over MLLP on a live node (make check).

A node with registry.patient_ids=feed and registry.feed_listen on
loopback port 0.  A small MLLP client (sockets) sends HL7 v2 ADT messages:
  * before A01 a submission for the patient fails (XDSUnknownPatientId),
    after it succeeds, and `xdsctl patient list` shows the patient;
  * A08 updates (AA, the patient stays known);
  * A40 merges: FindDocuments on the surviving id returns the subsumed
    patient's documents too, with the surviving id in their metadata;
    the subsumed id finds nothing and is refused in submissions;
  * malformed HL7, an unknown message type or event, no identifier of the
    affinity domain, an invalid BSN, an oversized message: AE or AR with
    an ERR segment and the reason; bad framing closes the connection;
  * A37 (unlink) is refused AR 201, saying why;
  * every message one ITI-8 audit record; no full BSN in the log;
  * /metrics counts the messages by result (xds_feed_messages_total),
    /status, /status.json and `xdsctl status` show the feed;
  * a restart keeps the patients and the merge;
  * with registry.feed_tls the feed is mutual TLS (a source without a
    certificate gets no answer, one with gets AA and its subject is the
    record's user); SIGHUP with a renewed certificate: the next
    connection gets it without a restart, an open one goes on, a key that
    does not match changes nothing; xdsd -n refuses a plain feed off the
    loopback and a feed without patient_ids=feed.
"""
import os
import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg as m  # noqa: E402
from xdstest import (RESULTS, Xdsd, check, command_line, make_pki, metrics,  # noqa: E402
                     read_ports, ssl_context, summary, tmpdir, wait_until)

ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
SOAP12 = "application/soap+xml; charset=UTF-8"
BSN = m.BSN_OID
SEQ = [0]


def adt(event, pid3, mrg1=None, structure=None, msgtype="ADT", extra=""):
    """An ADT message (bytes); pid3/mrg1 are CX strings (repetitions with ~)."""
    SEQ[0] += 1
    segs = ["MSH|^~\\&|HIS|ZIEKENHUIS|XDSNODE|NODE|20261206120000||%s^%s^%s|MSG%05d|P|2.5"
            % (msgtype, event, structure or "ADT_" + event, SEQ[0]),
            "EVN|%s|20261206120000" % event,
            "PID|||%s||Jansen^Jan||19800101|M%s" % (pid3, extra)]
    if mrg1 is not None:
        segs.append("MRG|%s" % mrg1)
    return ("\r".join(segs) + "\r").encode(), "MSG%05d" % SEQ[0]


class Mllp:
    def __init__(self, port, ctx=None):
        self.port = port
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        if ctx is not None:
            self.s = ctx.wrap_socket(self.s, server_hostname="127.0.0.1")

    def send(self, payload, raw=False):
        """The answer's content (str), or None when the connection closed."""
        self.s.sendall(payload if raw else b"\x0b" + payload + b"\x1c\r")
        got = b""
        while not got.endswith(b"\x1c\r"):
            try:
                b = self.s.recv(65536)
            except (ConnectionError, socket.timeout, ssl.SSLError):
                return None
            if not b:
                return None
            got += b
        return got[1:-2].decode("utf-8", "replace")

    def close(self):
        self.s.close()


def msa(ack):
    """(MSA-1, MSA-2, ERR-3 code) of an ACK."""
    seg = {l.split("|")[0]: l.split("|") for l in ack.split("\r") if l}
    a = seg.get("MSA", ["", "", ""])
    err = seg.get("ERR")
    return a[1], a[2] if len(a) > 2 else "", err[3].split("^")[0] if err and len(err) > 3 else None


def find(node, pat):
    st, rb = node.post("/xds/registry", m.envelope(ACT_ITI18, m.find_documents(pat)).encode(),
                       SOAP12 + '; action="%s"' % ACT_ITI18)
    xml = rb.decode("utf-8", "replace")
    pids = re.findall(r'identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"[^>]*'
                      r'value="([^"]*)"', xml)
    pids += re.findall(r'value="([^"]*)"[^>]*identificationScheme="urn:uuid:58a6f841-87b3-4a3e-'
                       r'92fd-a8ffeff98427"', xml)
    return xml.count("<rim:ExtrinsicObject"), [p.replace("&amp;", "&") for p in pids]


def feed_port(node):
    p = read_ports(node.state)
    return p["feed"][1] if p and "feed" in p else None


def xdsd_n(xdsd, work, *opts):
    cmd = [xdsd, "-n", "-C", "node.state_dir=" + os.path.join(work, "n")]
    for o in opts:
        cmd += ["-C", o]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def operations(a, node, port, started):
    """/metrics, /status.json and `xdsctl status` after the messages above, all sent
    after the wall-clock second started."""
    want = {"accepted": 5, "malformed": 1, "message_type": 1, "event": 3, "domain": 2,
            "invalid": 1, "required": 1, "too_big": 1, "registry": 0}
    mt = metrics(node)
    got = {r: mt.get(("xds_feed_messages_total", '{result="%s"}' % r)) for r in want}
    check("/metrics: xds_feed_messages_total by result", got == want, got)
    last = mt.get(("xds_feed_last_message_seconds", ""), 0)
    check("/metrics: xds_feed_last_message_seconds: a message answered since the start",
          started <= last <= time.time(), (started, last))
    st, body = node.get("/status.json")
    f = json.loads(body).get("feed", {}) if st == 200 else {}
    check("/status.json: the feed's address, port, TLS and messages",
          f.get("listen") == "127.0.0.1" and f.get("port") == port and f.get("tls") is False
          and f.get("accepted") == 5 and f.get("refused") == 10
          and f.get("refused_by_reason", {}).get("event") == 3
          and "registry" not in f.get("refused_by_reason", {})
          and re.match(r"^\d{4}-\d\d-\d\dT", f.get("last_message") or ""), f)
    st, body = node.get("/status")
    page = body.decode() if st == 200 else ""
    check("/status: the feed's rows", "<th>ITI-8 feed</th><td>127.0.0.1 port %d (plain TCP)" % port
          in page and "5 accepted, 10 refused (" in page, page[:200])
    p = subprocess.run([a.xdsctl, "--url", node.url(""), "status"], capture_output=True,
                       text=True, timeout=60)
    check("xdsctl status: the feed and its messages",
          p.returncode == 0 and re.search(r"ITI-8 feed +127\.0\.0\.1 port %d \(plain TCP\)" % port,
                                          p.stdout)
          and "5 accepted, 10 refused (" in p.stdout, p.stdout + p.stderr)


def served(c):
    """The server certificate (DER) of an Mllp over TLS."""
    return c.s.getpeercert(binary_form=True)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def rotate(node, port, pki, live, before):
    """SIGHUP with a renewed certificate: served on the next connection,
    the connection opened before goes on; a key that does not match
    changes nothing."""
    def reloads(result):
        return metrics(node).get(("xds_tls_reloads_total", '{result="%s"}' % result), 0)

    shutil.copy(pki["server2_cert"], live["server_cert"])
    shutil.copy(pki["server2_key"], live["server_key"])
    node.proc.send_signal(signal.SIGHUP)
    check("SIGHUP: the reload is counted", wait_until(lambda: reloads("ok") >= 1))
    c = Mllp(port, ssl_context(pki))
    check("SIGHUP: a new feed connection gets the renewed certificate, no restart",
          served(c) == der_of(pki["server2_cert"]))
    msg, ctl = adt("A01", m.patient())
    check("... and is answered AA", msa(c.send(msg) or "")[:2] == ("AA", ctl))
    c.close()
    msg, ctl = adt("A08", m.patient())
    check("the connection opened before the reload goes on, with the old certificate",
          msa(before.send(msg) or "")[:2] == ("AA", ctl) and
          served(before) == der_of(pki["server_cert"]))
    shutil.copy(pki["client_key"], live["server_key"])
    node.proc.send_signal(signal.SIGHUP)
    check("SIGHUP with a key that does not match: the failed reload is counted",
          wait_until(lambda: reloads("failed") >= 1))
    c = Mllp(port, ssl_context(pki))
    check("... the feed keeps serving the certificate loaded before",
          served(c) == der_of(pki["server2_cert"]))
    c.close()


def tls_checks(a, work):
    os.makedirs(os.path.join(work, "pki"))
    pki = make_pki(os.path.join(work, "pki"), revocation=True)
    # the files the node reads, replaced by the test before a SIGHUP
    live = {k: os.path.join(work, "pki", "live-" + k) for k in ("server_cert", "server_key")}
    for k in live:
        shutil.copy(pki[k], live[k])
    rc, err = xdsd_n(a.xdsd, work, "registry.patient_ids=feed", "registry.feed_listen=0.0.0.0:2575")
    check("xdsd -n refuses the plain feed off the loopback", rc != 0 and "feed_tls" in err, err)
    rc, err = xdsd_n(a.xdsd, work, "registry.patient_ids=feed", "registry.feed_listen=0.0.0.0:2575",
                     "registry.feed_allow_plain_lan=yes")
    check("... unless registry.feed_allow_plain_lan", rc == 0, err)
    rc, err = xdsd_n(a.xdsd, work, "registry.feed_listen=2575")
    check("xdsd -n refuses the feed without patient_ids=feed", rc != 0 and "patient_ids" in err, err)
    rc, err = xdsd_n(a.xdsd, work, "registry.patient_ids=feed", "registry.feed_listen=0.0.0.0:2575",
                     "registry.feed_tls=yes")
    check("... and feed_tls without the certificate files", rc != 0 and "http.cert" in err, err)
    node = Xdsd(a.xdsd, work, ["registry.patient_ids=feed", "registry.feed_listen=0",
                               "registry.feed_tls=yes", "http.cert=" + live["server_cert"],
                               "http.key=" + live["server_key"], "http.ca=" + pki["ca"]],
                name="tls")
    if not node.start():
        node.dump_log()
        check("xdsd starts with the feed over TLS", False)
        return
    try:
        port = feed_port(node)
        check("a port alone listens on loopback", read_ports(node.state)["feed"][0] == "127.0.0.1",
              read_ports(node.state))
        try:
            c = Mllp(port, ssl_context(pki, with_cert=False))
            ack = c.send(adt("A01", m.patient())[0])
            c.close()
        except (OSError, ssl.SSLError):
            ack = None
        check("over TLS without a client certificate: no answer", ack is None, ack)
        # a peer that connects and never begins its handshake: dropped
        # after the handshake's own short timeout, not the idle one (300 s)
        with socket.create_connection(("127.0.0.1", port), timeout=120) as raw:
            try:
                closed = raw.recv(1) == b""
            except socket.timeout:
                closed = False      # still open after 120 s
            except OSError:
                closed = True       # reset by the node
        check("a stalled TLS handshake is dropped before the idle timeout", closed)
        c = Mllp(port, ssl_context(pki))
        msg, ctl = adt("A01", m.patient())
        check("over mutual TLS: AA", msa(c.send(msg) or "")[:2] == ("AA", ctl))
        check("... the feed serves http.cert", served(c) == der_of(pki["server_cert"]))
        recs = [r for r in node.audit() if r["event"] == "ITI-8"]
        check("... the record's user is the source's certificate subject",
              len(recs) == 1 and "CN=client" in recs[0]["user"], recs)
        rotate(node, port, pki, live, c)
        c.close()
    finally:
        node.stop()


def main():
    a = command_line(xdsctl=True)
    work = tmpdir("feed")
    node = Xdsd(a.xdsd, work, ["registry.patient_ids=feed", "registry.feed_listen=127.0.0.1:0"])
    started = int(time.time())
    if not node.start():
        node.dump_log()
        check("xdsd starts with the feed", False)
        return summary()
    try:
        port = feed_port(node)
        check("xdsd.ports names the feed's port", port, read_ports(node.state))
        b1, b2 = m.bsn(), m.bsn()
        p1, p2 = m.patient(b1), m.patient(b2)
        c = Mllp(port)

        st, errs, _, _, _ = m.submit(node.port, [b"before the feed"], pat=p1)
        check("before A01 a submission is refused: XDSUnknownPatientId",
              st == "Failure" and "XDSUnknownPatientId" in errs, (st, errs))

        msg, ctl = adt("A01", "12345^^^&1.2.3.4&ISO~" + p1)
        ack = c.send(msg)
        check("A01 answered AA, MSA-2 the message's control id", msa(ack or "")[:2] == ("AA", ctl), ack)
        check("... an ACK^A01^ACK in the standard encoding",
              ack is not None and ack.startswith("MSH|^~\\&|XDSNODE|NODE|HIS|ZIEKENHUIS|")
              and "|ACK^A01^ACK|" in ack, ack)
        st, errs, uids1, _, _ = m.submit(node.port, [b"after the feed"], pat=p1)
        check("after A01 the submission succeeds", st == "Success", (st, errs))
        p = subprocess.run([a.xdsctl, "-C", "node.state_dir=" + node.state, "patient", "list"],
                           capture_output=True, text=True, timeout=60)
        check("xdsctl patient list shows the fed patient", p.returncode == 0 and b1 in p.stdout,
              p.stdout + p.stderr)
        check("... and not the identifier of another domain", "12345" not in p.stdout, p.stdout)

        msg, ctl = adt("A08", p1, extra="||||||||||||||||||20261201")
        ack = c.send(msg)
        check("A08 answered AA", msa(ack or "")[:2] == ("AA", ctl), ack)
        msg, ctl = adt("A04", p2)
        check("A04 of a second patient: AA", msa(c.send(msg) or "")[:2] == ("AA", ctl))
        st, errs, uids2, _, _ = m.submit(node.port, [b"the second patient's"], pat=p2)
        check("a document of the second patient", st == "Success", (st, errs))

        msg, ctl = adt("A40", p1, mrg1=p2, structure="ADT_A39")
        ack = c.send(msg)
        check("A40 (MRG-1 the second patient) answered AA", msa(ack or "")[:2] == ("AA", ctl), ack)
        n, pids = find(node, p1)
        check("FindDocuments on the surviving id returns both patients' documents", n == 2, (n, pids))
        check("... every one with the surviving id as its patientId", pids == [p1, p1], pids)
        n, _ = find(node, p2)
        check("FindDocuments on the subsumed id finds nothing", n == 0, n)
        st, errs, _, _, _ = m.submit(node.port, [b"for a merged patient"], pat=p2)
        check("a submission for the subsumed id is refused: XDSUnknownPatientId",
              st == "Failure" and "XDSUnknownPatientId" in errs, (st, errs))

        cases = [
            ("no MSH: AR 100", b"PID|||1\r", "AR", "100"),
            ("an ORU message: AR 200", adt("R01", p1, msgtype="ORU")[0], "AR", "200"),
            ("event A03: AR 201", adt("A03", p1)[0], "AR", "201"),
            ("no identifier of the domain: AE 204", adt("A01", "77^^^&1.2.3&ISO")[0], "AE", "204"),
            ("an invalid BSN: AE 102", adt("A01", "123456789^^^&%s&ISO" % BSN)[0], "AE", "102"),
            ("A40 without MRG-1's identifier: AE 101", adt("A40", p1, mrg1="")[0], "AE", "101"),
            ("A37 (unlink): AR 201", adt("A37", p1, structure="ADT_A37")[0], "AR", "201"),
        ]
        for what, msg, want, code in cases:
            ack = c.send(msg)
            got = msa(ack or "")
            check(what, got[0] == want and got[2] == code and "ERR|" in ack, ack)
        ack = c.send(adt("A01", "77^^^&1.2.3&ISO")[0])
        check("... the reason in MSA-3 and ERR-3", ack is not None and "affinity domain" in ack, ack)
        ack = c.send(adt("A37", p1, structure="ADT_A37")[0])
        check("... A37's reason: no links, a merge is final",
              ack is not None and "A37 (unlink) is not taken" in ack and "merge is final" in ack,
              ack)
        big, ctl = adt("A01", p1, extra="|" + "x" * 70000)
        ack = c.send(big)
        check("a message over 65536 bytes: AR, its control id, the limit named",
              msa(ack or "")[:2] == ("AR", ctl) and "65536" in ack, (ack or "")[:300])
        msg, ctl = adt("A08", p1)
        check("the connection goes on after it", msa(c.send(msg) or "")[:2] == ("AA", ctl))
        check("bytes outside a frame close the connection", c.send(b"hello", raw=True) is None)
        c.close()

        recs = [r for r in node.audit() if r["event"] == "ITI-8"]
        check("every message one ITI-8 audit record (%d)" % len(recs), len(recs) == 15, len(recs))
        ok = [r for r in recs if r["outcome"] == "success"]
        check("... the successes name the patient and the message control id",
              len(ok) == 5 and all(r["patient"] in (p1, p2) and r["object"].startswith("MSG")
                                   for r in ok), ok[:2])
        merge = [r for r in ok if b2 in r["reason"]]
        check("... the merge's record names the subsumed patient", len(merge) == 1 and
              merge[0]["patient"] == p1, merge)
        log = node.log()
        check("no full BSN in the log", b1 not in log and b2 not in log)
        operations(a, node, port, started)

        check("xdsd stops cleanly", node.stop() == 0)
        check("xdsd starts again", node.start())
        n, pids = find(node, p1)
        check("after a restart the merged documents are still the surviving patient's",
              n == 2 and pids == [p1, p1], (n, pids))
        st, errs, _, _, _ = m.submit(node.port, [b"after a restart"], pat=p1)
        check("... the patient still known", st == "Success", (st, errs))
        st, errs, _, _, _ = m.submit(node.port, [b"after a restart"], pat=p2)
        check("... the subsumed id still not", "XDSUnknownPatientId" in errs, (st, errs))
        c = Mllp(feed_port(node))
        msg, ctl = adt("A01", m.patient())
        check("the feed answers after the restart", msa(c.send(msg) or "")[:2] == ("AA", ctl))
        c.close()
        node.stop()
        tls_checks(a, work)
    finally:
        node.stop()
        if not any(not ok for _, ok in RESULTS):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work directory kept: %s" % work)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
