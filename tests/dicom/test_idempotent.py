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
import argparse, glob, http.client, http.server, json, os, re, shutil, signal, socket, sqlite3
import subprocess, sys, tempfile, threading, time
import urllib.request, urllib.error

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
args = ap.parse_args()
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "repo"))
import xdsmsg  # noqa: E402
FAILS = []

BSN = "999911120"
STUDY = "1.2.826.0.1.3680043.9.78"
SERIES = STUDY + ".0"
ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
SQ_FINDDOCS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
SQ_FINDSS = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9"
EI_DE_UNIQUEID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
EI_SS_UNIQUEID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); return True
        except OSError:
            time.sleep(0.05)
    return False


class Node:
    def __init__(self, work, name, port, opts):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = os.path.join(self.dir, "state")
        self.port, self.opts, self.proc = port, opts, None
        self.logpath = os.path.join(self.dir, "xdsd.log")

    def start(self):
        cmd = [args.xdsd, "-f", "-C", "node.state_dir=" + self.state,
               "-C", "http.listen=127.0.0.1:%d" % self.port]
        for o in self.opts:
            cmd += ["-C", o]
        self.proc = subprocess.Popen(cmd, stdout=open(self.logpath, "a"), stderr=subprocess.STDOUT)
        return wait_port(self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill(); self.proc.wait()
        self.proc = None

    def log(self):
        return open(self.logpath, errors="replace").read()


def query(node, sq, slots):
    """The body of an ITI-18 (LeafClass) on node's registry."""
    sl = "".join('<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>'
                 % (n, v) for n, v in slots)
    q = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
         'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
         'returnComposedObjects="true" returnType="LeafClass"/><rim:AdhocQuery id="%s">%s'
         '</rim:AdhocQuery></query:AdhocQueryRequest>' % (sq, sl))
    req = urllib.request.Request("http://127.0.0.1:%d/xds/registry" % node.port,
                                 data=xdsmsg.envelope(ACT_ITI18, q).encode(),
                                 headers={"Content-Type": 'application/soap+xml; charset=UTF-8; action="%s"'
                                          % ACT_ITI18})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.read().decode("utf-8", "replace")


def objects(body, elem, scheme):
    """{id: (status, uniqueId)} of the elem objects in a query answer."""
    out = {}
    for m in re.finditer(r"<(?:\w+:)?%s\b([^>]*)>(.*?)</(?:\w+:)?%s>" % (elem, elem), body, re.S):
        attrs, inner = m.group(1), m.group(2)
        oid = re.search(r'\bid="([^"]+)"', attrs).group(1)
        st = re.search(r'\bstatus="[^"]*:([A-Za-z]+)"', attrs)
        uid = None
        for x in re.finditer(r"<(?:\w+:)?ExternalIdentifier\b([^>]*)>", inner):
            if scheme in x.group(1):
                uid = re.search(r'\bvalue="([^"]+)"', x.group(1)).group(1)
        out[oid] = (st.group(1) if st else "", uid)
    return out


def statuses(*names):
    return "(%s)" % ",".join("'urn:oasis:names:tc:ebxml-regrep:StatusType:%s'" % n for n in names)


def documents(node):
    pat = "'%s'" % xdsmsg.esc("%s^^^&%s&ISO" % (BSN, xdsmsg.BSN_OID))
    return objects(query(node, SQ_FINDDOCS, [("$XDSDocumentEntryPatientId", pat),
                                            ("$XDSDocumentEntryStatus", statuses("Approved", "Deprecated"))]),
                   "ExtrinsicObject", EI_DE_UNIQUEID)


def submission_sets(node):
    pat = "'%s'" % xdsmsg.esc("%s^^^&%s&ISO" % (BSN, xdsmsg.BSN_OID))
    return {u for _, u in objects(query(node, SQ_FINDSS, [("$XDSSubmissionSetPatientId", pat),
                                                        ("$XDSSubmissionSetStatus", statuses("Approved"))]),
                                  "RegistryPackage", EI_SS_UNIQUEID).values()}


def studies(state):
    r = subprocess.run([args.xdsctl, "--json", "-C", "node.state_dir=" + state, "dicom", "studies"],
                       capture_output=True, text=True)
    return {s["study"]: s for s in json.loads(r.stdout)} if r.returncode == 0 else {}


def wait_published(state, unique_id=None, not_uid=None, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        s = studies(state).get(STUDY)
        if s and s["state"] == "published" and s["unique_id"] and \
                (unique_id is None or s["unique_id"] == unique_id) and s["unique_id"] != not_uid:
            return s
        time.sleep(0.2)
    return None


def instance(gen, i):
    dump = os.path.join(gen, "%d.dump" % i)
    open(dump, "w").write(
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.%d]\n"
        "(0008,0020) DA [20240102]\n(0008,0030) TM [101500]\n(0008,0060) CS [OT]\n"
        "(0010,0020) LO [LOCAL8]\n(0010,1002) SQ (Sequence with undefined length)\n"
        "  (fffe,e000) na (Item with undefined length)\n    (0010,0020) LO [%s]\n"
        "    (0010,0021) LO [NLMINBIZA]\n  (fffe,e00d) na (ItemDelimitationItem)\n"
        "(fffe,e0dd) na (SequenceDelimitationItem)\n(0020,000d) UI [%s]\n"
        "(0020,000e) UI [%s]\n(7fe0,0010) OB 00\\01\\02\\03\n" % (SERIES, i + 1, BSN, STUDY, SERIES))
    out = os.path.join(gen, "%d.dcm" % i)
    subprocess.run(["dump2dcm", "--write-xfer-little", dump, out], check=True, capture_output=True)
    return out


def storescu(port, files):
    return subprocess.run(["storescu", "-aec", "XDSNODE", "127.0.0.1", str(port), *files],
                          capture_output=True, text=True, timeout=60)


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
    port, dport = free_port(), free_port()
    n = Node(work, "n", port, ["registry.enabled=yes", "repository.enabled=yes", "dicom.enabled=yes",
                               "dicom.listen=127.0.0.1:%d" % dport, "dicom.publish_after=1"])
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(n.start() and wait_port(dport), "crash: node started")
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
        n.stop()
        if FAILS:
            print("---- %s log" % n.dir); print(n.log()[-4000:])


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


def wait_for(cond, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def lost_answer_scenario(work):
    pa, pb, dport = free_port(), free_port(), free_port()
    proxy = Proxy(pa)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    a = Node(work, "a", pa, ["registry.enabled=yes", "repository.enabled=yes", "dicom.enabled=no"])
    b = Node(work, "b", pb, ["registry.enabled=no", "repository.enabled=no", "dicom.enabled=yes",
                             "dicom.listen=127.0.0.1:%d" % dport, "dicom.publish_after=1",
                             "dicom.repository_url=http://127.0.0.1:%d/xds/repository" % proxy.server_port])
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)

    def publish_now():
        return subprocess.run([args.xdsctl, "-C", "node.state_dir=" + b.state, "dicom", "publish", STUDY],
                              capture_output=True, text=True)

    try:
        check(a.start() and b.start() and wait_port(dport), "lost: nodes A and B started")
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
        time.sleep(0.5)
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
        b.stop(); a.stop()
        proxy.shutdown()
        if FAILS:
            for n in (a, b):
                print("---- %s log" % n.dir); print(n.log()[-4000:])


def main():
    work = tempfile.mkdtemp(prefix="xds-idem-")
    try:
        crash_scenario(os.path.join(work, "crash"))
        lost_answer_scenario(os.path.join(work, "lost"))
    finally:
        san = [f for f in glob.glob(os.path.join(work, "*", "*", "xdsd.log"))
               if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", open(f, errors="replace").read())]
        check(not san, "no sanitizer report in the xdsd logs (%s)" % san)
        if not FAILS and not os.environ.get("XDS_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work directory kept: " + work)
    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


sys.exit(main())
