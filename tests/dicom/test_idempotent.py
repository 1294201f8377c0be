"""Idempotent KOS publication (RAD-68) across lost answers and crashes, live.

crash: one node (registry, repository, DICOM bridge).  A study is
published; then the state of a crash between the registry commit and
dicom.db recording it is made on the stopped node (sqlite3): the study
ready again, the registered manifest (KOS UID, entryUUID, SubmissionSet
uniqueId from ITI-18 FindSubmissionSets) only its attempt.  After the
restart the scheduler sends that manifest again, the registry says it
holds it, and the study is published with it: exactly one Approved
entry.  The same once more for a replacing manifest (RPLC of an entry
the lost send deprecated already).

lost answer: node A (registry, repository), node B (bridge,
dicom.repository_url = a proxy in front of A).  The proxy forwards a
RAD-68 to A and drops the connection instead of answering; xdsctl dicom
publish makes B retry at once: same manifest, A answers that it holds
it, B records it: one Approved entry in A, the one B names.  Then a late
instance, its replacing manifest's answer lost the same way: after the
retry one Approved entry (the new one) and the first Deprecated.
"""
import http.client, http.server, os, re, sqlite3
import sys, tempfile, threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (BSN, EI_SS_UNIQUEID, SQ_FINDSS, Xdsd, bsn_instance, check, finish,  # noqa: E402
                       find_documents, objects, publish, registry_query, statuses, stop_nodes, storescu,
                       wait_for)
import dicomtest  # noqa: E402
import xdsmsg  # noqa: E402  (on sys.path by dicomtest)

args = dicomtest.arguments()

STUDY = "1.2.826.0.1.3680043.9.78"
SERIES = STUDY + ".0"


def documents(node):
    """{entryUUID: (status, uniqueId)} of FindDocuments (Approved, Deprecated) for the BSN."""
    return {k: (v["status"], v["unique_id"]) for k, v in
            find_documents(node.port, BSN, ("Approved", "Deprecated")).items()}


def submission_sets(node):
    pat = "'%s'" % xdsmsg.esc("%s^^^&%s&ISO" % (BSN, xdsmsg.BSN_OID))
    return {v["unique_id"] for v in objects(registry_query(node.port, SQ_FINDSS, [
        ("$XDSSubmissionSetPatientId", pat), ("$XDSSubmissionSetStatus", statuses("Approved"))]),
        "RegistryPackage", EI_SS_UNIQUEID).values()}


def studies(state):
    return dicomtest.studies(args.xdsctl, state)


def wait_published(state, unique_id=None, not_uid=None):
    return dicomtest.wait_published(args.xdsctl, state, STUDY, not_uid, unique_id)


def instance(gen, i):
    return bsn_instance(os.path.join(gen, "%d.dcm" % i), "%s.%d" % (SERIES, i + 1), STUDY, SERIES,
                        "LOCAL8", extra="(0008,0020) DA [20240102]\n(0008,0030) TM [101500]\n")


def as_attempt(state, entry, uid, ss, prev_entry=None, prev_uid=None):
    """On a stopped node: the study as a crash after the registry commit
    of (entry, uid, ss) leaves it: ready, that manifest its attempt, the
    previous one (or none) published."""
    db = sqlite3.connect(os.path.join(state, "dicom.db"))
    with db:
        n = db.execute("UPDATE study SET state = 'ready', retry_at = 0, attempt_unique_id = ?,"
                       " attempt_entry_uuid = ?, attempt_ss_uid = ?, attempt_rev = rev,"
                       " unique_id = ?, entry_uuid = ? WHERE study_uid = ?",
                       (uid, entry, ss, prev_uid, prev_entry, STUDY)).rowcount
    db.close()
    return n == 1


def crash_scenario(work):
    n = Xdsd(args.xdsd, work, ["registry.enabled=yes", "repository.enabled=yes", "dicom.publish_after=1"],
             name="n", dicom=True)
    dport = n.dport
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(n.start(), "crash: node started")
        check(storescu(dport, [instance(gen, i) for i in range(2)]).returncode == 0,
              "crash: 2 instances stored")
        first = wait_published(n.state)
        check(first is not None, "crash: published (%s)" % (first,))
        ss1 = submission_sets(n)
        check(len(ss1) == 1, "crash: one SubmissionSet in the registry (%s)" % ss1)
        n.stop()
        check(first is not None and len(ss1) == 1 and
              as_attempt(n.state, first["entry_uuid"], first["unique_id"], next(iter(ss1))),
              "crash: dicom.db as a crash after the registry commit leaves it")
        check(n.start(), "crash: node restarted")
        again = wait_published(n.state)
        check(again is not None and first is not None and again["unique_id"] == first["unique_id"]
              and again["entry_uuid"] == first["entry_uuid"],
              "crash: published with the registered manifest (%s)" % (again,))
        docs = documents(n)
        check(first is not None and list(docs.items()) == [(first["entry_uuid"], ("Approved", first["unique_id"]))],
              "crash: exactly one entry, Approved, the one recorded (%s)" % docs)
        check("is registered already" in n.log(), "crash: the resend's answer is logged as registered already")

        # the same for a replacing manifest: its RPLC target is Deprecated already
        check(storescu(dport, [instance(gen, 2)]).returncode == 0, "crash: a 3rd instance stored")
        second = wait_published(n.state, not_uid=first["unique_id"] if first else None)
        check(second is not None and second["instances"] == 3, "crash: replacing manifest published (%s)"
              % (second,))
        ss2 = submission_sets(n) - ss1
        n.stop()
        check(second is not None and len(ss2) == 1 and
              as_attempt(n.state, second["entry_uuid"], second["unique_id"], next(iter(ss2)),
                         first["entry_uuid"], first["unique_id"]),
              "crash: dicom.db as a crash after the RPLC's registry commit leaves it")
        check(n.start(), "crash: node restarted again")
        again = wait_published(n.state, unique_id=second["unique_id"] if second else None)
        check(again is not None and again["entry_uuid"] == second["entry_uuid"],
              "crash: published with the registered replacement (%s)" % (again,))
        docs = documents(n)
        want = {first["entry_uuid"]: ("Deprecated", first["unique_id"]),
                second["entry_uuid"]: ("Approved", second["unique_id"])} if first and second else None
        check(docs == want, "crash: one Approved entry (the replacement), the first Deprecated (%s)" % docs)
        check(re.search(r"publishing %s:" % re.escape(STUDY), n.log()) is None,
              "crash: no publication failed on the way")
    finally:
        stop_nodes(n, n=4000)


class Proxy(http.server.ThreadingHTTPServer):
    """Forwards POSTs to target; while drop > 0, a forwarded request's
    answer is thrown away and the connection closed without one."""
    daemon_threads = True

    def __init__(self, target_port):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.target_port, self.drop, self.seen, self.dropped = target_port, 0, 0, 0
        self.mu = threading.Lock()


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        c = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=60)
        c.request("POST", self.path, body, {"Content-Type": self.headers.get("Content-Type", "")})
        r = c.getresponse()
        data, ctype, status = r.read(), r.getheader("Content-Type", ""), r.status
        c.close()
        with self.server.mu:
            self.server.seen += 1
            drop = self.server.drop > 0
            if drop:
                self.server.drop -= 1
                self.server.dropped += 1
        if drop:
            self.close_connection = True
            return          # registered at A, answer lost on the way back
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def lost_answer_scenario(work):
    a = Xdsd(args.xdsd, work, ["registry.enabled=yes", "repository.enabled=yes", "dicom.enabled=no"], name="a")
    proxy = Proxy(a.port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    b = Xdsd(args.xdsd, work, ["registry.enabled=no", "repository.enabled=no", "dicom.publish_after=1",
                               "dicom.repository_url=http://127.0.0.1:%d/xds/repository" % proxy.server_port],
             name="b", dicom=True)
    dport = b.dport
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)

    def publish_now():
        return publish(args.xdsctl, b.state, STUDY)

    try:
        check(a.start() and b.start(), "lost: nodes A and B started")
        proxy.drop = 1
        check(storescu(dport, [instance(gen, i) for i in range(2)]).returncode == 0, "lost: 2 instances into B")
        check(wait_for(lambda: proxy.dropped == 1 and
                       re.search(r"publishing %s:" % re.escape(STUDY), b.log()) is not None),
              "lost: the first RAD-68 reached A, its answer was dropped, B logged a failure")
        docs = documents(a)
        check(len(docs) == 1 and list(docs.values())[0][0] == "Approved",
              "lost: A registered the manifest (%s)" % docs)
        s = studies(b.state).get(STUDY)
        check(s is not None and s["state"] == "ready" and s["unique_id"] is None,
              "lost: B does not know it is published (%s)" % (s,))
        r = publish_now()
        check(r.returncode == 0, "lost: xdsctl dicom publish (%s)" % r.stderr.strip())
        first = wait_published(b.state)
        docs = documents(a)
        check(first is not None and list(docs.items()) == [(first["entry_uuid"], ("Approved", first["unique_id"]))],
              "lost: after the retry exactly one entry in A, Approved, the one B recorded (%s, %s)" % (docs, first))
        check(proxy.seen == 2, "lost: the retry went to A once more (%d requests)" % proxy.seen)
        check("is registered already" in b.log(), "lost: B logs the resend as registered already")

        # a late instance; the replacing manifest's answer is lost too
        proxy.drop = 1
        check(storescu(dport, [instance(gen, 2)]).returncode == 0, "lost: a 3rd instance into B")
        check(wait_for(lambda: proxy.dropped == 2), "lost: the replacing RAD-68's answer was dropped")
        # B has taken the lost answer as a failure (logged) before it is asked again
        check(wait_for(lambda: len(re.findall(r"publishing %s:" % re.escape(STUDY), b.log())) >= 2),
              "lost: B logs the second publication as failed")
        r = publish_now()
        check(r.returncode == 0, "lost: xdsctl dicom publish again (%s)" % r.stderr.strip())
        second = wait_published(b.state, not_uid=first["unique_id"] if first else None)
        docs = documents(a)
        want = {first["entry_uuid"]: ("Deprecated", first["unique_id"]),
                second["entry_uuid"]: ("Approved", second["unique_id"])} if first and second else None
        check(second is not None and second["instances"] == 3 and docs == want,
              "lost: one Approved entry (the replacement B recorded), the first Deprecated (%s, %s)"
              % (docs, second))
    finally:
        stop_nodes(b, a, n=4000)
        proxy.shutdown()


def main():
    work = tempfile.mkdtemp(prefix="xds-idem-")
    try:
        crash_scenario(os.path.join(work, "crash"))
        lost_answer_scenario(os.path.join(work, "lost"))
    finally:
        rc = finish(work)
    return rc


sys.exit(main())
