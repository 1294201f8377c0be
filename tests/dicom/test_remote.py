"""RAD-68 to a remote repository (dicom.repository_url), live.

Node A runs the registry and repository (no DICOM); node B runs only the
DICOM bridge, with dicom.repository_url = A's /xds/repository.  storescu
sends a study with a BSN and an accession number whose issuer is an ISO
OID into B; B publishes the KOS to A as an MTOM ITI-41.  Checked on A by
ITI-18 FindDocuments: the entry, referenceIdList (studyInstanceUID and
ACC^^^&OID&ISO^urn:ihe:iti:xds:2013:accession), languageCode from
dicom.language_code; on B: one RAD-68 audit record naming A.  Then A is
stopped: a later instance makes the study ready, publication fails
(connection refused, logged), the study stays ready; A comes back and
the scheduler's retry publishes it, replacing (RPLC) the first entry.
Runs over plain HTTP on loopback, and once more with mutual TLS (A serves
https with a test CA, B presents its client certificate) when openssl is
there."""
import argparse, glob, json, os, re, shutil, signal, socket, ssl, subprocess, sys, tempfile, time
import urllib.request, urllib.error

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
args = ap.parse_args()
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "repo"))
import xdsmsg  # noqa: E402
FAILS = []

BSN = "999911120"
STUDY = "1.2.826.0.1.3680043.9.77"
SERIES = STUDY + ".0"
ACC, ACC_OID = "ACC-77", "1.2.3.4.5.6.7"
LANG = "en-US"
ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"

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

def make_pki(d):
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = lambda n: os.path.join(d, n)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=xdsnode test CA", "-keyout", p("ca.key"), "-out", p("ca.pem"))
    with open(p("san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who in ("server", "client"):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=Test Hospital/CN=%s" % who,
            "-keyout", p(who + ".key"), "-out", p(who + ".csr"))
        run("openssl", "x509", "-req", "-in", p(who + ".csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", p("san.ext"), "-out", p(who + ".pem"))
    return {"ca": p("ca.pem"), "server_cert": p("server.pem"), "server_key": p("server.key"),
            "client_cert": p("client.pem"), "client_key": p("client.key")}

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

    def audit(self):
        out = []
        for f in sorted(glob.glob(os.path.join(self.state, "audit", "*.jsonl"))):
            out += [json.loads(l) for l in open(f) if l.strip()]
        return out

def post(node, pki, path, ctype, body):
    """(status, body) of a POST to node, over mutual TLS when pki."""
    scheme = "https" if pki else "http"
    req = urllib.request.Request("%s://127.0.0.1:%d%s" % (scheme, node.port, path), data=body,
                                 headers={"Content-Type": ctype})
    ctx = None
    if pki:
        ctx = ssl.create_default_context(cafile=pki["ca"])
        ctx.load_cert_chain(pki["client_cert"], pki["client_key"])
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def find_documents(node, pki):
    """{entryUUID: {status, unique_id, xml}}: ITI-18 FindDocuments (LeafClass) on A."""
    pat = xdsmsg.esc("%s^^^&%s&ISO" % (BSN, xdsmsg.BSN_OID))
    st = ",".join("'urn:oasis:names:tc:ebxml-regrep:StatusType:%s'" % x for x in ("Approved", "Deprecated"))
    q = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
         'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
         'returnComposedObjects="true" returnType="LeafClass"/><rim:AdhocQuery '
         'id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
         '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>\'%s\'</rim:Value>'
         '</rim:ValueList></rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
         '<rim:Value>(%s)</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery>'
         '</query:AdhocQueryRequest>' % (pat, st))
    _, body = post(node, pki, "/xds/registry", 'application/soap+xml; charset=UTF-8; action="%s"' % ACT_ITI18,
                   xdsmsg.envelope(ACT_ITI18, q).encode())
    out = {}
    for m in re.finditer(r"<(?:\w+:)?ExtrinsicObject\b([^>]*)>(.*?)</(?:\w+:)?ExtrinsicObject>",
                         body.decode("utf-8", "replace"), re.S):
        attrs, inner = m.group(1), m.group(2)
        eid = re.search(r'\bid="([^"]+)"', attrs).group(1)
        status = re.search(r'\bstatus="[^"]*:([A-Za-z]+)"', attrs)
        uid = None
        for x in re.finditer(r"<(?:\w+:)?ExternalIdentifier\b([^>]*)>", inner):
            if "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" in x.group(1):
                uid = re.search(r'\bvalue="([^"]+)"', x.group(1)).group(1)
        out[eid] = {"status": status.group(1) if status else "", "unique_id": uid, "xml": m.group(0)}
    return out

def slot_values(xml, name):
    m = re.search(r'<(?:\w+:)?Slot name="%s">(.*?)</(?:\w+:)?Slot>' % re.escape(name), xml, re.S)
    return re.findall(r"<(?:\w+:)?Value>([^<]*)<", m.group(1)) if m else []

def studies(state):
    r = subprocess.run([args.xdsctl, "--json", "-C", "node.state_dir=" + state, "dicom", "studies"],
                       capture_output=True, text=True)
    return {s["study"]: s for s in json.loads(r.stdout)} if r.returncode == 0 else {}

def wait_state(state, want, prev=None, timeout=20):
    end = time.time() + timeout
    s = None
    while time.time() < end:
        s = studies(state).get(STUDY)
        if s and s["state"] == want and (want != "published" or s["unique_id"] not in (None, prev)):
            return s
        time.sleep(0.2)
    return None

def instance(gen, i):
    """A Part 10 file of the study: BSN in OtherPatientIDsSequence, the
    accession number with an ISO issuer (IssuerOfAccessionNumberSequence)."""
    dump = os.path.join(gen, "%d.dump" % i)
    open(dump, "w").write(
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.%d]\n"
        "(0008,0020) DA [20240102]\n(0008,0030) TM [101500]\n"
        "(0008,0050) SH [%s]\n(0008,0051) SQ (Sequence with undefined length)\n"
        "  (fffe,e000) na (Item with undefined length)\n    (0040,0032) UT [%s]\n"
        "    (0040,0033) CS [ISO]\n  (fffe,e00d) na (ItemDelimitationItem)\n"
        "(fffe,e0dd) na (SequenceDelimitationItem)\n"
        "(0008,0060) CS [OT]\n(0010,0020) LO [LOCAL7]\n(0010,1002) SQ (Sequence with undefined length)\n"
        "  (fffe,e000) na (Item with undefined length)\n    (0010,0020) LO [%s]\n"
        "    (0010,0021) LO [NLMINBIZA]\n  (fffe,e00d) na (ItemDelimitationItem)\n"
        "(fffe,e0dd) na (SequenceDelimitationItem)\n(0020,000d) UI [%s]\n"
        "(0020,000e) UI [%s]\n(7fe0,0010) OB 00\\01\\02\\03\n"
        % (SERIES, i + 1, ACC, ACC_OID, BSN, STUDY, SERIES))
    out = os.path.join(gen, "%d.dcm" % i)
    subprocess.run(["dump2dcm", "--write-xfer-little", dump, out], check=True, capture_output=True)
    return out

def storescu(port, files):
    return subprocess.run(["storescu", "-aec", "XDSNODE", "127.0.0.1", str(port), *files],
                          capture_output=True, text=True, timeout=60)

def scenario(work, pki, retry_wait):
    tag = "TLS: " if pki else "HTTP: "
    pa, pb, dport = free_port(), free_port(), free_port()
    aopts = ["registry.enabled=yes", "repository.enabled=yes", "dicom.enabled=no"]
    bopts = ["registry.enabled=no", "repository.enabled=no", "dicom.enabled=yes",
             "dicom.listen=127.0.0.1:%d" % dport, "dicom.publish_after=1", "dicom.language_code=" + LANG,
             "dicom.repository_url=%s://127.0.0.1:%d/xds/repository" % ("https" if pki else "http", pa)]
    if pki:
        aopts += ["http.tls=yes", "http.cert=" + pki["server_cert"], "http.key=" + pki["server_key"],
                  "http.ca=" + pki["ca"]]
        bopts += ["http.cert=" + pki["client_cert"], "http.key=" + pki["client_key"], "http.ca=" + pki["ca"]]
    a = Node(work, "a", pa, aopts)
    b = Node(work, "b", pb, bopts)
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(a.start(), tag + "node A (registry + repository) started")
        check(b.start() and wait_port(dport), tag + "node B (DICOM bridge, no repository) started")
        r = storescu(dport, [instance(gen, i) for i in range(3)])
        check(r.returncode == 0, tag + "3 instances stored into B (%s)" % r.stderr.strip()[-200:])
        first = wait_state(b.state, "published")
        check(first is not None, tag + "B published the study to A (%s)" % (first,))
        docs = find_documents(a, pki)
        ent = [d for d in docs.values() if first and d["unique_id"] == first["unique_id"]]
        check(len(docs) == 1 and len(ent) == 1 and ent[0]["status"] == "Approved",
              tag + "A holds the manifest, Approved (%s)" % [(d["unique_id"], d["status"]) for d in docs.values()])
        if ent:
            x = ent[0]["xml"]
            refs = slot_values(x, "urn:ihe:iti:xds:2013:referenceIdList")
            want = ["%s^^^^urn:ihe:iti:xds:2016:studyInstanceUID" % STUDY,
                    "%s^^^&amp;%s&amp;ISO^urn:ihe:iti:xds:2013:accession" % (ACC, ACC_OID)]
            check(sorted(refs) == sorted(want), tag + "referenceIdList: study UID and accession with "
                  "its ISO issuer (%s)" % refs)
            check(slot_values(x, "languageCode") == [LANG], tag + "languageCode from dicom.language_code (%s)"
                  % slot_values(x, "languageCode"))
            check('mimeType="application/dicom"' in x, tag + "mimeType application/dicom")
        rad68 = [l for l in b.audit() if l.get("event") == "RAD-68"]
        check(len(rad68) == 1 and rad68[0].get("address") == "127.0.0.1:%d" % pa
              and rad68[0].get("user", "").endswith(":%d/xds/repository" % pa) and rad68[0].get("outcome_code") == 0,
              tag + "one RAD-68 audit record on B naming A, success (%s)" % rad68)
        got = [l for l in a.audit() if l.get("event") == "ITI-41"]
        check(len(got) == 1 and got[0].get("outcome_code") == 0 and
              (not pki or "CN=client" in got[0].get("user", "")),
              tag + "A audited the ITI-41 it received%s (%s)" % (", from B's client certificate" if pki else "",
                                                                   [l.get("user") for l in got]))

        # A down: a later instance makes the study ready; publication fails and is retried
        a.stop()
        r = storescu(dport, [instance(gen, 3)])
        check(r.returncode == 0, tag + "a 4th instance stored into B while A is down")
        time.sleep(3)
        s = studies(b.state).get(STUDY)
        check(s is not None and s["state"] == "ready" and s["instances"] == 4,
              tag + "A down: the study stays ready (%s)" % (s,))
        check(re.search(r"publishing %s: .*(refused|connect)" % re.escape(STUDY), b.log(), re.I) is not None,
              tag + "the failed publication is logged with the reason")
        fails = [l for l in b.audit() if l.get("event") == "RAD-68"][1:]
        check(len(fails) >= 1 and all(l.get("outcome_code") == 8 and "connect" in l.get("reason", "").lower()
                                      for l in fails),
              tag + "the failed attempt is audited, with the reason (%s)" % [l.get("reason") for l in fails])
        check(a.start(), tag + "node A back")
        if not retry_wait:
            r = subprocess.run([args.xdsctl, "-C", "node.state_dir=" + b.state, "dicom", "publish", STUDY],
                               capture_output=True, text=True)
            check(r.returncode == 0, tag + "xdsctl dicom publish (%s)" % r.stderr.strip())
        second = wait_state(b.state, "published", first["unique_id"] if first else None,
                            timeout=45 if retry_wait else 15)
        check(second is not None and second["instances"] == 4,
              tag + "published once A is back (%s)" % ("scheduler retry" if retry_wait else "xdsctl dicom publish")
              + " (%s)" % (second,))
        docs = find_documents(a, pki)
        st = {d["unique_id"]: d["status"] for d in docs.values()}
        check(first is not None and second is not None and st.get(first["unique_id"]) == "Deprecated"
              and st.get(second["unique_id"]) == "Approved" and len(st) == 2,
              tag + "the new manifest replaced the first (RPLC): nothing lost (%s)" % st)
    finally:
        b.stop(); a.stop()
        if FAILS:
            for n in (a, b):
                print("---- %s log" % n.dir); print(n.log()[-3000:])

def fault_scenario(work):
    """A SOAP fault in answer (dicom.repository_url names A's registry,
    which has no ITI-41): the study stays ready, the reason is logged and
    audited, nothing is recorded as published."""
    pa, pb, dport = free_port(), free_port(), free_port()
    a = Node(work, "a", pa, ["registry.enabled=yes", "repository.enabled=no", "dicom.enabled=no"])
    b = Node(work, "b", pb, ["registry.enabled=no", "repository.enabled=no", "dicom.enabled=yes",
                             "dicom.listen=127.0.0.1:%d" % dport, "dicom.publish_after=1",
                             "dicom.repository_url=http://127.0.0.1:%d/xds/registry" % pa])
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(a.start() and b.start() and wait_port(dport), "fault: nodes started")
        check(storescu(dport, [instance(gen, 0)]).returncode == 0, "fault: instance stored into B")
        end = time.time() + 15
        while time.time() < end and "publishing %s" % STUDY not in b.log():
            time.sleep(0.2)
        s = studies(b.state).get(STUDY)
        check(s is not None and s["state"] == "ready" and s["unique_id"] is None,
              "fault: the study stays ready, nothing published (%s)" % (s,))
        m = re.search(r"publishing %s: (.*)" % re.escape(STUDY), b.log())
        check(m is not None and "SOAP fault" in m.group(1), "fault: the fault reason is logged (%s)"
              % (m.group(1) if m else None))
        rad68 = [l for l in b.audit() if l.get("event") == "RAD-68"]
        check(len(rad68) >= 1 and rad68[0].get("outcome_code") == 8 and rad68[0].get("http_status", 0) >= 400,
              "fault: audited as a failed RAD-68 with the HTTP status (%s)"
              % [(l.get("http_status"), l.get("reason")) for l in rad68])
    finally:
        b.stop(); a.stop()
        if FAILS:
            for n in (a, b):
                print("---- %s log" % n.dir); print(n.log()[-3000:])

def main():
    work = tempfile.mkdtemp(prefix="xds-remote-")
    try:
        scenario(os.path.join(work, "plain"), None, True)
        fault_scenario(os.path.join(work, "fault"))
        if shutil.which("openssl"):
            pkid = os.path.join(work, "pki"); os.makedirs(pkid)
            scenario(os.path.join(work, "tls"), make_pki(pkid), False)
        else:
            print("skip TLS run: openssl not installed")
    finally:
        # the logs of a sanitizer build (--enable-sanitizers) must be clean
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
