#!/usr/bin/env python3
"""ATNA audit messages to an audit record repository (make check).

A syslog listener over mutual TLS (RFC 5425 octet-counted frames, the
test PKI) stands in for the repository.  A node sends the ATNA message of
every IHE transaction it records: one valid message per access log record
of an IHE transaction, in the log's order.  While the listener is down
(stopped, transactions run, the node even restarted) nothing is lost: the
messages arrive once it is back, in order; a repeat carries the same
sequenceId (delivery is at least once).  The reconnect back-off is set
short (audit.syslog_retry_max=1): nothing waits for it to pass.

Every message received is also validated with xmllint against the DICOM
audit message schema (PS3.15 A.5.1.1, check/schema/dicom-audit-message.rng):
submissions (ITI-41 and the repository's ITI-42), retrieves (ITI-43),
stored queries (ITI-18) and removals (ITI-62), answered with Success and
with Failure.  A message written by hand, valid and then broken, checks
that the validation itself can fail.

ATNA off, then on again: the node runs a while without audit.syslog_url
(the cursor stays), and meanwhile its day is compressed (as the keeper
does once a day is over; here the file is renamed to an earlier day and
gzipped by the test).  Turned on again, the sender reads that day from its
.gz from the cursor on: every message arrives, in order, none twice, and
xds_audit_atna_days_total{form="compressed"} counts the day.  A day removed
meanwhile (gone in both forms) is passed over with a warning naming it and
counted as form="gone"; the records after it are sent.
"""
import os
import re
import shutil
import socket
import datetime
import gzip
import ssl
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import (Xdsd, check, command_line, make_pki, reserve_port,  # noqa: E402
                     soap_envelope, summary, tmpdir, wait_until)
import xdsmsg  # noqa: E402

IHE = {"ITI-18", "ITI-38", "ITI-39", "ITI-41", "ITI-42", "ITI-43", "ITI-57",
       "ITI-62", "RAD-68", "RAD-69", "RAD-75"}
REPO_UID = "1.3.6.1.4.1.21367.13.71.1"
RNG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "check", "schema", "dicom-audit-message.rng")
XMLLINT = shutil.which("xmllint")
HEADER = re.compile(rb'^<85>1 (\S+) xdsnode-test xdsd (\d+) IHE\+RFC-3881 '
                    rb'\[meta sequenceId="(\d+)"\] (<\?xml.*)$', re.S)


class SyslogListener:
    """A syslog receiver over TLS (RFC 5425) on 127.0.0.1:port that
    requires a client certificate of the test CA.  frames: every message
    received, in order; bad: what could not be parsed as a frame."""

    def __init__(self, pki, port):
        self.port = port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pki["server_cert"], pki["server_key"])
        self.ctx.load_verify_locations(pki["ca"])
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.frames, self.bad, self.peers, self.while_down = [], [], [], 0
        self.lock = threading.Lock()
        self.sock, self.conns = None, []

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(8)
        self.sock, self.up = s, True
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def stop(self):
        """Down: no listener, every connection closed.  shutdown() wakes
        the accept() blocked on the socket (close() alone would leave it
        listening until that accept returned)."""
        with self.lock:
            self.up = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            with self.lock:
                up = self.up
                self.while_down += not up
            if not up:
                c.close()
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, raw):
        try:
            c = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self.lock:
            self.conns.append(c)
            self.peers.append(c.getpeercert()["subject"])
        data = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
                while True:
                    sp = data.find(b" ")
                    if sp < 0:
                        break
                    if not data[:sp].isdigit() or sp > 10:
                        with self.lock:
                            self.bad.append(data[:80])
                        return
                    n = int(data[:sp])
                    if len(data) < sp + 1 + n:
                        break
                    with self.lock:
                        self.frames.append(data[sp + 1:sp + 1 + n])
                    data = data[sp + 1 + n:]
        except (OSError, ssl.SSLError):
            pass
        finally:
            c.close()

    def messages(self):
        with self.lock:
            return list(self.frames)


def ihe_records(node):
    return [r for r in node.audit() if r["event"] in IHE]


def unique(frames):
    """The frames with a repeated sequenceId dropped (at-least-once)."""
    seen, out = set(), []
    for f in frames:
        m = HEADER.match(f)
        key = m.group(3) if m else f
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def valid(frame, record):
    """'' when frame is the valid message of record, else what is wrong."""
    m = HEADER.match(frame)
    if not m:
        return "not an RFC 5424 ATNA frame: %r" % frame[:120]
    if m.group(1).decode() != record["time"]:
        return "timestamp %s, record %s" % (m.group(1), record["time"])
    try:
        root = ET.fromstring(m.group(4))
    except ET.ParseError as e:
        return "not XML: %s" % e
    ev = root.find("EventIdentification")
    if root.tag != "AuditMessage" or ev is None:
        return "no AuditMessage/EventIdentification"
    etc = ev.find("EventTypeCode")
    if etc is None or etc.get("csd-code") != record["event"] or \
            etc.get("codeSystemName") != "IHE Transactions":
        return "EventTypeCode %r for %s" % (etc.attrib if etc is not None else None,
                                            record["event"])
    if ev.get("EventDateTime") != record["time"] or ev.find("EventID") is None:
        return "EventIdentification %r" % ev.attrib
    if str(record["outcome_code"]) != ev.get("EventOutcomeIndicator"):
        return "outcome %s, record %s" % (ev.get("EventOutcomeIndicator"), record["outcome_code"])
    roles = [p.find("RoleIDCode").get("csd-code") for p in root.findall("ActiveParticipant")
             if p.find("RoleIDCode") is not None]
    if sorted(roles) != ["110152", "110153"]:
        return "participants %r" % roles
    src = root.find("AuditSourceIdentification")
    if src is None or src.get("AuditSourceID") != "xdsnode-test":
        return "AuditSourceIdentification"
    ids = [o.get("ParticipantObjectID") for o in root.findall("ParticipantObjectIdentification")]
    if record["patient"] and record["patient"] not in ids:
        return "no patient object %s in %r" % (record["patient"], ids)
    if record["object"] and record["object"] not in ids:
        return "no object %s in %r" % (record["object"], ids)
    return ""


def all_valid(frames, records):
    """'' when frames are the messages of records, one each, in order."""
    if len(frames) != len(records):
        return "%d messages for %d records" % (len(frames), len(records))
    for i, (f, r) in enumerate(zip(frames, records)):
        why = valid(f, r)
        if why:
            return "message %d (%s): %s" % (i, r["event"], why)
    seqs = [int(HEADER.match(f).group(3)) for f in frames]
    if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        return "sequenceIds not consecutive: %r" % seqs[:20]
    return ""


def schema_errors(work, docs):
    """[(index, first error)] of the XML documents (bytes) that xmllint
    does not validate against the DICOM audit message schema; one xmllint
    run for all of them."""
    d = os.path.join(work, "atna-messages")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    paths = []
    for i, doc in enumerate(docs):
        paths.append(os.path.join(d, "%04d.xml" % i))
        with open(paths[-1], "wb") as f:
            f.write(doc)
    if not paths:
        return []
    p = subprocess.run([XMLLINT, "--noout", "--relaxng", RNG] + paths,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    first = {}
    for line in p.stderr.decode("utf-8", "replace").splitlines():
        for i, path in enumerate(paths):
            if line.startswith(path + ":") and i not in first:
                first[i] = line[len(path) + 1:].strip()
            elif line == path + " fails to validate" and i not in first:
                first[i] = line
    if p.returncode != 0 and not first:
        first[-1] = "xmllint exit %d: %s" % (p.returncode, p.stderr[:300])
    return sorted(first.items())


def frames_schema_errors(work, frames, records):
    """'' when every frame's message validates, else the first error of
    each message that does not (with its record's event and outcome)."""
    docs = [HEADER.match(f).group(4) if HEADER.match(f) else f for f in frames]
    errs = schema_errors(work, docs)
    return "; ".join("message %d (%s, outcome %s): %s" % (
        i, records[i]["event"] if 0 <= i < len(records) else "?",
        records[i]["outcome_code"] if 0 <= i < len(records) else "?", why)
        for i, why in errs)


# A message as a repository would accept it, and the same with one rule of
# the schema broken: the validation can fail.
GOOD = (b'<?xml version="1.0" encoding="UTF-8"?><AuditMessage>'
        b'<EventIdentification EventActionCode="E" EventDateTime="2026-12-06T10:00:00.123Z" '
        b'EventOutcomeIndicator="0"><EventID csd-code="110112" codeSystemName="DCM" '
        b'originalText="Query"/></EventIdentification>'
        b'<ActiveParticipant UserID="a" UserIsRequestor="true"/>'
        b'<AuditSourceIdentification AuditSourceID="xdsnode-test"/>'
        b'<ParticipantObjectIdentification ParticipantObjectID="q"><ParticipantObjectIDTypeCode '
        b'csd-code="ITI-18" codeSystemName="IHE Transactions" originalText="Registry Stored Query"/>'
        b'<ParticipantObjectQuery>PHEvPg==</ParticipantObjectQuery>'
        b'</ParticipantObjectIdentification></AuditMessage>')
BROKEN = [("EventOutcomeIndicator 3", b'EventOutcomeIndicator="0"', b'EventOutcomeIndicator="3"'),
          ("no EventID", b'<EventID csd-code="110112" codeSystemName="DCM" originalText="Query"/>', b""),
          ("no AuditSourceIdentification", b'<AuditSourceIdentification AuditSourceID="xdsnode-test"/>',
           b""),
          ("an object without name or query", b"<ParticipantObjectQuery>PHEvPg==</ParticipantObjectQuery>",
           b"")]


def schema_selftest(work):
    errs = dict(schema_errors(work, [GOOD] + [GOOD.replace(a, b, 1) for _, a, b in BROKEN]))
    check("xmllint validates a hand-written audit message against the schema", 0 not in errs,
          errs.get(0, ""))
    for i, (rule, a, _) in enumerate(BROKEN, 1):
        check("... and rejects it with %s" % rule, a in GOOD and i in errs, "validates")


def remove(node, entry_uuid):
    """An ITI-62 of entry_uuid."""
    return node.post("/xds/registry", soap_envelope(
        "urn:ihe:iti:2010:DeleteDocumentSet",
        '<lcm:RemoveObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:ObjectRefList>'
        '<rim:ObjectRef id="%s"/></rim:ObjectRefList></lcm:RemoveObjectsRequest>' % entry_uuid))


def find(node, pat):
    return node.post("/xds/registry", soap_envelope(
        "urn:ihe:iti:2007:RegistryStoredQuery", xdsmsg.find_documents(pat)))


def failures(node):
    """A transaction of each kind that fails: a stored query without its
    patient, a retrieve of an unknown document, a submission whose hash is
    wrong, a registration without a submission set, a removal of an
    unknown entry."""
    node.post("/xds/registry", soap_envelope(
        "urn:ihe:iti:2007:RegistryStoredQuery", xdsmsg.find_documents("").replace(
            "$XDSDocumentEntryPatientId", "$XDSDocumentEntryNotAParameter")))
    xdsmsg.retrieve(node.port, [(REPO_UID, xdsmsg.uid(), None)])
    xdsmsg.submit(node.port, [b"verslag"], hashes={0: "0" * 40})
    node.post("/xds/registry", soap_envelope(
        "urn:ihe:iti:2007:RegisterDocumentSet-b",
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList/>'
        '</lcm:SubmitObjectsRequest>'))
    remove(node, xdsmsg.urn())


def metric(node, name):
    st, body = node.get("/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if st == 200 and m else -1


def transactions(node, n):
    """n submissions, a retrieve and a query of each: 3n or more IHE
    records."""
    for _ in range(n):
        pat = xdsmsg.patient()
        status, errors, uids, _, _ = xdsmsg.submit(node.port, [b"verslag " + os.urandom(4).hex().encode()],
                                                   pat)
        if status.endswith("Success"):
            xdsmsg.retrieve(node.port, [(REPO_UID, uids[0], None)])
        find(node, pat)
        node.get("/health")      # recorded, but no IHE transaction: no message


def off_for_a_while(node, work, opts):
    """The node stopped, run without audit.syslog_url (two rounds of
    transactions), stopped again; the cursor then still names the newest
    day.  That day's plain file is renamed to the day days earlier, the
    cursor along with it: (the old path, the new name)."""
    node.stop()
    off = Xdsd(node.binary, work, [o for o in opts if not o.startswith("audit.syslog")], name="node")
    if not check("the node runs with ATNA off", off.start(), ""):
        return None
    transactions(off, 2)
    off.stop()
    adir = os.path.join(node.state, "audit")
    cpath = os.path.join(adir, "outbox", "cursor")
    with open(cpath) as f:
        name, offset, seq = f.read().split()
    return adir, cpath, name, offset, seq


def earlier(name, days):
    d = datetime.date.fromisoformat(name[7:17]) - datetime.timedelta(days=days)
    return "access-%s.jsonl" % d.isoformat()


def compressed_days(node, work, opts, listener):
    """ATNA off for a while, its day compressed, then on again."""
    r = off_for_a_while(node, work, opts)
    if r is None:
        return
    adir, cpath, name, offset, seq = r
    past = earlier(name, 2)
    with open(os.path.join(adir, name), "rb") as f, gzip.open(os.path.join(adir, past + ".gz"), "wb") as g:
        shutil.copyfileobj(f, g)
    os.unlink(os.path.join(adir, name))
    with open(cpath, "w") as f:
        f.write("%s %s %s\n" % (past, offset, seq))
    check("a day was compressed behind the cursor, with records the sender has not seen",
          os.path.getsize(os.path.join(adir, past + ".gz")) > 0 and
          len(ihe_records(node)) > len(unique(listener.messages())), "")
    check("ATNA on again", node.start(), "")
    transactions(node, 1)
    recs = ihe_records(node)
    got = wait_until(lambda: len(unique(listener.messages())) >= len(recs))
    check("ATNA on again: the compressed day's unsent messages arrive, then today's", got,
          "%d of %d" % (len(unique(listener.messages())), len(recs)))
    why = all_valid(unique(listener.messages()), recs)
    check("... every one, in order, none lost or twice", not why, why)
    check("... the compressed day is counted and named in the log",
          metric(node, 'xds_audit_atna_days_total{form="compressed"}') == 1
          and "%s was compressed while the sender was off" % past in node.log(),
          metric(node, 'xds_audit_atna_days_total{form="compressed"}'))


def removed_day(node, work, opts, listener):
    """ATNA off for a while, its day removed, then on again."""
    r = off_for_a_while(node, work, opts)
    if r is None:
        return
    adir, cpath, name, offset, seq = r
    gone = earlier(name, 1)
    os.unlink(os.path.join(adir, name))
    with open(cpath, "w") as f:
        f.write("%s %s %s\n" % (gone, offset, seq))
    n, kept = len(unique(listener.messages())), len(ihe_records(node))
    check("ATNA on again after a day was removed", node.start(), "")
    transactions(node, 1)
    new = ihe_records(node)[kept:]
    got = wait_until(lambda: len(unique(listener.messages())) >= n + len(new))
    check("a removed day: the records after it are sent", got and new,
          "%d of %d" % (len(unique(listener.messages())) - n, len(new)))
    why = all_valid(unique(listener.messages())[n:], new)
    check("... in order, as their records", not why, why)
    check("... the day is named in a warning and counted as gone",
          metric(node, 'xds_audit_atna_days_total{form="gone"}') == 1
          and "%s is no longer in the access log" % gone in node.log(),
          metric(node, 'xds_audit_atna_days_total{form="gone"}'))


def main():
    a = command_line()
    work = tmpdir("atna")
    pki = make_pki(work)
    hold = reserve_port()
    listener = SyslogListener(pki, hold.port)
    listener.start()
    opts = ["audit.syslog_url=tls://127.0.0.1:%d" % hold.port, "audit.syslog_retry_max=1",
            "audit.source_id=xdsnode-test", "http.cert=" + pki["client_cert"],
            "http.key=" + pki["client_key"], "http.ca=" + pki["ca"]]
    node = Xdsd(a.xdsd, work, opts, name="node")
    if XMLLINT:
        schema_selftest(work)
    else:
        print("SKIP: the schema checks: xmllint not installed (tools/install-deps --test)")
    try:
        if not check("the node starts with audit.syslog_url", node.start(), ""):
            node.dump_log()
            return summary()
        transactions(node, 3)
        failures(node)
        recs = ihe_records(node)
        got = wait_until(lambda: len(listener.messages()) >= len(recs) and listener.messages())
        check("a message per IHE transaction reaches the repository", got, "%d of %d"
              % (len(listener.messages()), len(recs)))
        why = all_valid(unique(listener.messages()), recs)
        if not check("each is the valid message of its record, in the log's order", not why, why):
            node.dump_log(3000)
        kinds = {(r["event"], r["outcome_code"]) for r in recs}
        want = {(e, o) for e in ("ITI-18", "ITI-41", "ITI-42", "ITI-43", "ITI-62") for o in (0, 8)} - \
            {("ITI-62", 0)}
        check("the test audits each transaction with success and failure", want <= kinds,
              "missing %r" % sorted(want - kinds))
        if XMLLINT:
            why = frames_schema_errors(work, unique(listener.messages()), recs)
            check("every message validates against the DICOM audit message schema (xmllint)",
                  not why, why[:2000])
        check("no repeats on a steady connection", len(listener.messages()) == len(recs),
              "%d for %d" % (len(listener.messages()), len(recs)))
        check("the node authenticated with its certificate",
              any(("commonName", "client") in s for p in listener.peers for s in p), repr(listener.peers[:1]))
        check("sent is counted", wait_until(lambda: metric(node, 'xds_audit_atna_total{result="sent"}')
                                            == len(recs)), "")

        # An outage: the repository goes away, transactions go on.
        listener.stop()
        failed0 = metric(node, 'xds_audit_atna_total{result="failed"}')
        transactions(node, 3)
        # The closed connection, then at least one refused reconnect.
        check("while the repository is down the messages wait (queued > 0, failures counted)",
              wait_until(lambda: metric(node, "xds_audit_atna_queued") > 0 and
                         metric(node, 'xds_audit_atna_total{result="failed"}') >= failed0 + 2),
              "queued %d failed %d" % (metric(node, "xds_audit_atna_queued"),
                                        metric(node, 'xds_audit_atna_total{result="failed"}')))
        # ... and the node restarts meanwhile: its place is on disk.
        node.stop()
        check("the node restarts during the outage", node.start(), "")
        transactions(node, 2)
        listener.start()
        recs = ihe_records(node)
        got = wait_until(lambda: len(unique(listener.messages())) >= len(recs))
        check("after the outage every message arrives", got,
              "%d of %d" % (len(unique(listener.messages())), len(recs)))
        why = all_valid(unique(listener.messages()), recs)
        check("nothing lost, the order kept, across the outage and the restart", not why, why)
        if XMLLINT:
            why = frames_schema_errors(work, unique(listener.messages()), recs)
            check("after the outage too, every message validates against the schema",
                  not why, why[:2000])
        check("the queue drains", wait_until(lambda: metric(node, "xds_audit_atna_queued") == 0),
              "queued %d" % metric(node, "xds_audit_atna_queued"))
        check("the listener saw only whole frames", not listener.bad, repr(listener.bad[:2]))
        check("the outage was one: no connection reached the listener while it was down",
              listener.while_down == 0, listener.while_down)
        check("patient data stays out of the debug log",
              not any(r["patient"] and r["patient"].split("^")[0] in node.log() for r in recs), "")
        compressed_days(node, work, opts, listener)
        removed_day(node, work, opts, listener)
    finally:
        node.stop()
        listener.stop()
        hold.close()
    rc = summary()
    if rc == 0:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
