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
import os, re, shutil, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (BSN, Xdsd, bsn_instance, check, finish, publish, stop_nodes,  # noqa: E402
                       storescu, wait_until)
import dicomtest  # noqa: E402

args = dicomtest.arguments()

STUDY = "1.2.826.0.1.3680043.9.77"
SERIES = STUDY + ".0"
ACC, ACC_OID = "ACC-77", "1.2.3.4.5.6.7"
LANG = "en-US"

def find_documents(node, pki):
    """{entryUUID: {status, unique_id, xml}}: ITI-18 FindDocuments (LeafClass) on A."""
    return dicomtest.find_documents(node.port, BSN, ("Approved", "Deprecated"), pki)

def slot_values(xml, name):
    m = re.search(r'<(?:\w+:)?Slot name="%s">(.*?)</(?:\w+:)?Slot>' % re.escape(name), xml, re.S)
    return re.findall(r"<(?:\w+:)?Value>([^<]*)<", m.group(1)) if m else []

def studies(state):
    return dicomtest.studies(args.xdsctl, state)

def wait_published(state, prev=None, timeout=20):
    return dicomtest.wait_published(args.xdsctl, state, STUDY, not_uid=prev, timeout=timeout)

def instance(gen, i):
    """A Part 10 file of the study: BSN in OtherPatientIDsSequence, the
    accession number with an ISO issuer (IssuerOfAccessionNumberSequence)."""
    return bsn_instance(
        os.path.join(gen, "%d.dcm" % i), "%s.%d" % (SERIES, i + 1), STUDY, SERIES, "LOCAL7",
        extra="(0008,0020) DA [20240102]\n(0008,0030) TM [101500]\n"
        "(0008,0050) SH [%s]\n(0008,0051) SQ (Sequence with undefined length)\n"
        "  (fffe,e000) na (Item with undefined length)\n    (0040,0032) UT [%s]\n"
        "    (0040,0033) CS [ISO]\n  (fffe,e00d) na (ItemDelimitationItem)\n"
        "(fffe,e0dd) na (SequenceDelimitationItem)\n" % (ACC, ACC_OID))

def scenario(work, pki, retry_wait):
    tag = "TLS: " if pki else "HTTP: "
    aopts = ["registry.enabled=yes", "repository.enabled=yes", "dicom.enabled=no",
             "gateway.responding=no"]     # with TLS it would need Mitz
    a = Xdsd(args.xdsd, work, aopts, name="a", tls=pki)     # pki: mutual TLS
    pa = a.port
    bopts = ["registry.enabled=no", "repository.enabled=no",
             "dicom.publish_after=1", "dicom.language_code=" + LANG,
             "dicom.repository_url=%s://127.0.0.1:%d/xds/repository" % ("https" if pki else "http", pa)]
    if pki:
        bopts += ["http.cert=" + pki["client_cert"], "http.key=" + pki["client_key"], "http.ca=" + pki["ca"]]
    b = Xdsd(args.xdsd, work, bopts, name="b", dicom=True)
    dport = b.dport
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(a.start(), tag + "node A (registry + repository) started")
        check(b.start(), tag + "node B (DICOM bridge, no repository) started")
        r = storescu(dport, [instance(gen, i) for i in range(3)])
        check(r.returncode == 0, tag + "3 instances stored into B (%s)" % r.stderr.strip()[-200:])
        first = wait_published(b.state)
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
        # the event: B's scheduler made the study ready, tried and failed
        # (its log says so); then the study must still be ready
        wait_until(lambda: re.search(r"publishing %s: " % re.escape(STUDY), b.log()))
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
            r = publish(args.xdsctl, b.state, STUDY)
            check(r.returncode == 0, tag + "xdsctl dicom publish (%s)" % r.stderr.strip())
        second = wait_published(b.state, first["unique_id"] if first else None,
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
        stop_nodes(b, a)

def fault_scenario(work):
    """A SOAP fault in answer (dicom.repository_url names A's registry,
    which has no ITI-41): the study stays ready, the reason is logged and
    audited, nothing is recorded as published."""
    a = Xdsd(args.xdsd, work, ["registry.enabled=yes", "repository.enabled=no", "dicom.enabled=no"], name="a")
    b = Xdsd(args.xdsd, work, ["registry.enabled=no", "repository.enabled=no", "dicom.publish_after=1",
                               "dicom.repository_url=http://127.0.0.1:%d/xds/registry" % a.port],
             name="b", dicom=True)
    dport = b.dport
    gen = os.path.join(work, "gen"); os.makedirs(gen, exist_ok=True)
    try:
        check(a.start() and b.start(), "fault: nodes started")
        check(storescu(dport, [instance(gen, 0)]).returncode == 0, "fault: instance stored into B")
        wait_until(lambda: "publishing %s" % STUDY in b.log())
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
        stop_nodes(b, a)

def main():
    work = tempfile.mkdtemp(prefix="xds-remote-")
    try:
        scenario(os.path.join(work, "plain"), None, True)
        fault_scenario(os.path.join(work, "fault"))
        if shutil.which("openssl"):
            pkid = os.path.join(work, "pki"); os.makedirs(pkid)
            scenario(os.path.join(work, "tls"), dicomtest.xdstest.make_pki(pkid), False)
        else:
            print("skip TLS run: openssl not installed")
    finally:
        rc = finish(work)
    return rc

sys.exit(main())
