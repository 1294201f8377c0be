#!/usr/bin/env python3
"""Push by XDR between two nodes on loopback with mutual TLS (make check):
hospital A sends with `xdsctl send --to URA` (its certificate, its
directory), hospital B's Document Recipient (/xdr/recipient) stores and
registers through its own repository and registry.  Two PDFs arrive and are
found by the patient and retrieved byte for byte; a sender B's directory
does not know, and one whose certificate names no URA, are refused with a
403 fault and audited; a hash that does not match and a missing document
are a Failure with the repository's error code and nothing registered; a
node without xdr.recipient answers 404; without TLS any local sender is
taken; the sender is found in ZORG-AB too; a directory file with dicom= and
xdr= is listed by xdsctl."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg  # noqa: E402
from xdstest import Xdsd, check, command_line, make_pki, org_cert, request, summary  # noqa: E402
from test_zorgab import FakeZorgab  # noqa: E402  (tests/node, this script's folder)

HCID_A = "urn:oid:2.16.528.1.1007.3.3.7001.1"
HCID_B = "urn:oid:2.16.528.1.1007.3.3.7002.1"
URA_A, URA_B, URA_X = "00007001", "00007002", "00009999"
URA_P = "00007003"      # an organisation reached by push only
BSN = "900203638"
ACT_ITI41 = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"


def find_count(node, tls, pat):
    """How many Approved DocumentEntries B's registry has for pat."""
    env = xdsmsg.envelope(ACT_ITI18, xdsmsg.find_documents(pat))
    st, _, body = request(node.port, "POST", "/xds/registry", env.encode(),
                          {"Content-Type": 'application/soap+xml; action="%s"' % ACT_ITI18},
                          tls=tls)
    xml = body.decode("utf-8", "replace")
    return len(re.findall(r"<rim:ExtrinsicObject\b", xml)) if st == 200 else -1


def post_pnr(node, tls, pat, docs, hashes=None, drop_part=False):
    """ITI-41 of docs (bytes each) to /xdr/recipient with tls's client
    certificate: (HTTP status, RegistryResponse status, error codes, xml).
    hashes {i: sha1} replaces a document's hash; drop_part leaves the last
    document's MIME part (and its xdsb:Document) out."""
    entries, dl, parts = [], [], []
    for i, data in enumerate(docs):
        eid, duid, cid = xdsmsg.urn(), xdsmsg.uid(), "doc%d@xdsnode.test" % i
        entries.append((eid, xdsmsg.doc_entry(eid, duid, pat, "application/pdf",
                                              (hashes or {}).get(i))))
        if drop_part and i == len(docs) - 1:
            continue
        dl.append((eid, cid, None))
        parts.append((cid, data))
    ct, body = xdsmsg.mtom(ACT_ITI41, xdsmsg.pnr_body(xdsmsg.submission(pat, entries), dl), parts)
    st, h, rb = request(node.port, "POST", "/xdr/recipient", body, {"Content-Type": ct}, tls=tls)
    xml, _ = xdsmsg.split_mtom(h.get("content-type", ""), rb)
    return st, xdsmsg.status_of(xml), xdsmsg.errors_of(xml), xml


def main():
    """Run the tests; the exit status."""
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="xdr-test-")
    pki = make_pki(tmp)
    cert_a = org_cert(tmp, "xdr.a.test", URA_A, "Ziekenhuis A")
    cert_x = org_cert(tmp, "xdr.x.test", URA_X, "Kliniek X")
    tls_a = {"ca": pki["ca"], "client_cert": cert_a[0], "client_key": cert_a[1]}
    tls_x = {"ca": pki["ca"], "client_cert": cert_x[0], "client_key": cert_x[1]}
    tls_plain = {"ca": pki["ca"], "client_cert": pki["client_cert"],
                 "client_key": pki["client_key"]}
    dir_b = os.path.join(tmp, "directory-b")
    with open(dir_b, "w") as f:
        f.write("# the communities hospital B knows\n"
                "%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n" % (HCID_A, URA_A))
    common = ["gateway.responding=no", "gateway.initiating=no"]
    b = Xdsd(a.xdsd, os.path.join(tmp, "b"), common + [
        "node.home_community_id=" + HCID_B, "xdr.recipient=yes",
        "directory.file=" + dir_b, "repository.max_document_size=64k"], tls=pki)
    node_a = Xdsd(a.xdsd, os.path.join(tmp, "a"), common + [
        "node.home_community_id=" + HCID_A], tls=pki)
    try:
        check("node B (xdr.recipient = yes, mutual TLS) starts", b.start(), "")
        check("node A (xdr.recipient off) starts", node_a.start(), "")
        if not b.running() or not node_a.running():
            b.dump_log()
            node_a.dump_log()
            return summary()
        run(a, tmp, pki, b, node_a, tls_a, tls_x, tls_plain, cert_a, cert_x)
    finally:
        b.stop()
        node_a.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


def run(a, tmp, pki, b, node_a, tls_a, tls_x, tls_plain, cert_a, cert_x):
    # A's directory: B with its XDR endpoint (and a DICOM node, for later)
    dir_a = os.path.join(tmp, "directory-a")
    with open(dir_a, "w") as f:
        f.write("%s https://127.0.0.1:%d/xca/responding %s dicom=TWIIN@127.0.0.1:11113 "
                "xdr=%s Ziekenhuis B\n" % (HCID_B, b.port, URA_B, b.url("/xdr/recipient")))
        # an organisation with an XDR recipient and no XCA gateway (B's
        # recipient stands in for it)
        f.write("- - %s xdr=%s Kliniek Push\n" % (URA_P, b.url("/xdr/recipient")))
    ctl_a = [a.xdsctl, "-C", "node.home_community_id=" + HCID_A, "-C", "directory.file=" + dir_a,
             "-C", "http.tls=yes", "-C", "http.cert=" + cert_a[0], "-C", "http.key=" + cert_a[1],
             "-C", "http.ca=" + pki["ca"]]

    def ctl(*args, argv=None):
        p = subprocess.run((argv or ctl_a) + list(args), capture_output=True, text=True,
                           timeout=300)
        return p.returncode, p.stdout, p.stderr

    rc, out, err = ctl("directory", "lookup", URA_B)
    check("xdsctl directory lookup shows the xdr and dicom fields",
          rc == 0 and re.search(r"^xdr\s+%s$" % re.escape(b.url("/xdr/recipient")), out, re.M)
          and re.search(r"^dicom\s+TWIIN@127.0.0.1:11113$", out, re.M), out + err)

    pdfs = []
    for i in range(2):
        path = os.path.join(tmp, "verslag-%d.pdf" % i)
        with open(path, "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(20000 + i) + b"\n%%EOF\n")
        pdfs.append(path)

    rc, out, err = ctl("send", "--to", URA_B, "--patient", BSN, pdfs[0], pdfs[1],
                       "--title", "Verslag", "--title", "Brief")
    check("xdsctl send --to URA of two PDFs: Success at B (exit 0)",
          rc == 0 and "Ziekenhuis B" in out and ": Success (2 documents)" in out, out + err)
    rc, out, err = ctl("--json", "send", "--to", HCID_B, "--patient", BSN, pdfs[0])
    res = json.loads(out) if out.startswith("{") else {}
    check("xdsctl send --to HCID --json: Success", rc == 0 and res.get("status") == "Success",
          out + err)
    uids = [d["uniqueId"] for d in res.get("documents", [])]
    q = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
         'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
         'returnType="LeafClass" returnComposedObjects="true"/><rim:AdhocQuery '
         'id="urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83"><rim:Slot '
         'name="$XDSSubmissionSetUniqueId"><rim:ValueList><rim:Value>\'%s\'</rim:Value>'
         '</rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>'
         % res.get("submissionSet", ""))
    st, _, body = request(b.port, "POST", "/xds/registry",
                          xdsmsg.envelope(ACT_ITI18, q).encode(),
                          {"Content-Type": 'application/soap+xml; action="%s"' % ACT_ITI18},
                          tls=tls_plain)
    check("the submission set at B names B as its intendedRecipient (XON with the URA)",
          st == 200 and "Ziekenhuis B^^^^^&amp;2.16.528.1.1007.3.3&amp;ISO^^^^%s" % URA_B
          in body.decode("utf-8", "replace"), body[-3000:])
    check("at B the patient's documents are registered (FindDocuments: 3)",
          find_count(b, tls_plain, "%s^^^&2.16.840.1.113883.2.4.6.3&ISO" % BSN) == 3, "")

    got = os.path.join(tmp, "got")
    os.mkdir(got)
    ctl_b = [a.xdsctl, "--url", b.url("/xds/registry"), "--cert", pki["client_cert"],
             "--key", pki["client_key"], "--ca", pki["ca"]]
    rc, out, err = ctl("retrieve", *uids, "-o", got, argv=ctl_b)
    files = os.listdir(got)
    same = False
    if rc == 0 and len(files) == 1:
        with open(os.path.join(got, files[0]), "rb") as f1, open(pdfs[0], "rb") as f2:
            same = f1.read() == f2.read()
    check("a sent document is retrieved from B byte for byte (ITI-43)", same, out + err)

    recs = [r for r in b.audit() if r.get("endpoint") == "/xdr/recipient"]
    ok = [r for r in recs if r.get("outcome") == "success"]
    check("each transfer is one ITI-41 record at B naming the sending organisation",
          len(ok) == 2 and all(r.get("event") == "ITI-41" and
                               r.get("organisation") == "%s Ziekenhuis A" % URA_A and
                               "URA-%s" % URA_A in r.get("user", "") for r in ok), recs)

    rc, out, err = ctl("-C", "node.state_dir=" + b.state, "audit", "event=ITI-41",
                       argv=[a.xdsctl])
    check("xdsctl audit at B shows the sending organisation of a transfer",
          rc == 0 and "%s Ziekenhuis A" % URA_A in out, out + err)

    # refusals: an organisation B does not know, a certificate without URA
    pat_x = xdsmsg.patient()
    rc, out, err = ctl("--cert", cert_x[0], "--key", cert_x[1], "--ca", pki["ca"], "send",
                       "--url", b.url("/xdr/recipient"), "--patient", BSN, pdfs[0],
                       argv=[a.xdsctl])
    check("a sender B's directory does not know: refused (HTTP 403 fault, exit 1)",
          rc == 1 and "403" in err and "URA %s is not in this node's community directory"
          % URA_X in err, out + err)
    st, status, errs, xml = post_pnr(b, tls_x, pat_x, [b"%PDF-1.4 x"])
    check("... and nothing of it registered", st == 403 and find_count(b, tls_plain, pat_x) == 0,
          (st, xml))
    st, status, errs, xml = post_pnr(b, tls_plain, pat_x, [b"%PDF-1.4 x"])
    check("a certificate that names no URA: refused (403)",
          st == 403 and "names no URA" in xml and find_count(b, tls_plain, pat_x) == 0, (st, xml))
    # an UZI server certificate names its URA in its UZI string
    cert_u = org_cert(tmp, "xdr.uzi.test", None, "Ziekenhuis A", uzi=URA_A)
    tls_u = {"ca": pki["ca"], "client_cert": cert_u[0], "client_key": cert_u[1]}
    pat_u = xdsmsg.patient()
    st, status, errs, xml = post_pnr(b, tls_u, pat_u, [b"%PDF-1.4 u"])
    check("a sender known by the URA of its UZI server identity is taken",
          st == 200 and status == "Success" and find_count(b, tls_plain, pat_u) == 1, (st, xml))
    cert_w = org_cert(tmp, "xdr.two.test", URA_X, "Ziekenhuis A", uzi=URA_A)
    tls_w = {"ca": pki["ca"], "client_cert": cert_w[0], "client_key": cert_w[1]}
    st, status, errs, xml = post_pnr(b, tls_w, pat_x, [b"%PDF-1.4 w"])
    check("a certificate whose UZI identity and subject name two URAs: refused (403)",
          st == 403 and "in its UZI identity and %s in its subject" % URA_X in xml
          and find_count(b, tls_plain, pat_x) == 0, (st, xml))
    refused = [r for r in b.audit() if r.get("endpoint") == "/xdr/recipient" and
               r.get("outcome") != "success"]
    check("the refusals are audited, the unknown organisation's URA named",
          len(refused) >= 4 and any(r.get("organisation") == URA_X and
                                    r.get("http_status") == 403 for r in refused), refused)

    # broken submissions from a known sender
    pat_bad = xdsmsg.patient()
    st, status, errs, xml = post_pnr(b, tls_a, pat_bad, [b"%PDF-1.4 a", b"%PDF-1.4 b"],
                                     hashes={1: "0" * 40})
    check("a hash that does not match: Failure, XDSRepositoryMetadataError",
          st == 200 and status == "Failure" and "XDSRepositoryMetadataError" in errs, xml)
    st, status, errs, xml = post_pnr(b, tls_a, pat_bad, [b"%PDF-1.4 a", b"%PDF-1.4 b"],
                                     drop_part=True)
    check("a document missing: Failure, XDSMissingDocument",
          st == 200 and status == "Failure" and "XDSMissingDocument" in errs, xml)
    check("... and nothing of either registered", find_count(b, tls_plain, pat_bad) == 0, "")
    st, status, errs, xml = post_pnr(b, tls_a, pat_bad, [b"%PDF-1.4 " + b"x" * 100000])
    check("a document over B's repository.max_document_size: 413 to the sender, nothing registered",
          st == 413 and "over the limit" in xml and find_count(b, tls_plain, pat_bad) == 0,
          (st, xml[-600:]))

    # a node without the recipient
    st, status, errs, xml = post_pnr(node_a, tls_a, xdsmsg.patient(), [b"%PDF-1.4 a"])
    check("xdr.recipient off: /xdr/recipient is 404", st == 404, (st, xml))
    # the loopback demo: no TLS, so no certificates, and known_senders_only
    # is off (auto); any local sender is taken, unnamed
    plain = Xdsd(a.xdsd, os.path.join(tmp, "plain"), [
        "gateway.responding=no", "gateway.initiating=no", "xdr.recipient=yes"])
    try:
        check("a plain loopback node with xdr.recipient starts", plain.start(), "")
        pat_p = xdsmsg.patient()
        st, status, errs, xml = post_pnr(plain, None, pat_p, [b"%PDF-1.4 p"])
        recs = [r for r in plain.audit() if r.get("endpoint") == "/xdr/recipient"]
        check("without TLS (known_senders_only auto: off) a local sender is taken, unnamed",
              st == 200 and status == "Success" and find_count(plain, None, pat_p) == 1
              and len(recs) == 1 and "organisation" not in recs[0], (st, xml, recs))
    finally:
        plain.stop()
    # the directory in ZORG-AB (the fake of test_zorgab.py): the sender's
    # URA is looked up there
    zab = FakeZorgab()
    z = Xdsd(a.xdsd, os.path.join(tmp, "z"), [
        "gateway.responding=no", "gateway.initiating=no", "xdr.recipient=yes",
        "directory.backend=zorgab", "directory.zorgab_url=" + zab.url()], tls=pki)
    try:
        check("a node with ZORG-AB as its directory and the recipient starts", z.start(), "")
        cert_z = org_cert(tmp, "xdr.zab.test", "11111111", "Ziekenhuis A")
        tls_z = {"ca": pki["ca"], "client_cert": cert_z[0], "client_key": cert_z[1]}
        pat_z = xdsmsg.patient()
        st, status, errs, xml = post_pnr(z, tls_z, pat_z, [b"%PDF-1.4 z"])
        recs = [r for r in z.audit() if r.get("endpoint") == "/xdr/recipient"]
        check("a sender ZORG-AB knows by its URA is taken, named as ZORG-AB names it",
              st == 200 and status == "Success" and find_count(z, tls_plain, pat_z) == 1
              and len(recs) == 1 and recs[0].get("organisation") == "11111111 Ziekenhuis A",
              (st, xml, recs))
    finally:
        z.stop()
        zab.stop()

    t = subprocess.run([a.xdsd, "-n", "-C", "xdr.recipient=yes", "-C", "repository.enabled=no"],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n: xdr.recipient without repository.enabled is refused, saying why",
          t.returncode != 0 and "repository.enabled must be on" in t.stdout + t.stderr,
          t.stdout + t.stderr)

    rc, out, err = ctl("send", "--to", URA_P, "--patient", xdsmsg.bsn(), pdfs[1])
    check("xdsctl send --to the URA of an organisation with XDR but no XCA gateway: Success",
          rc == 0 and "Kliniek Push" in out and ": Success (1 document" in out, out + err)
    rc, out, err = ctl("send", "--to", "00001234", "--patient", BSN, pdfs[0])
    check("send to an organisation the directory does not know: exit 1, saying so",
          rc == 1 and "no community with URA 00001234" in err, out + err)
    bad = os.path.join(tmp, "directory-bad")
    with open(bad, "w") as f:
        f.write("# one bad line\n%s https://127.0.0.1:1/x %s color=blue Ziekenhuis B\n"
                % (HCID_B, URA_B))
    rc, out, err = ctl("-C", "directory.file=" + bad, "directory", "list")
    check("a directory line with an unknown key: error with file:line",
          rc == 1 and "%s:2: unknown setting \"color\"" % bad in err, out + err)


if __name__ == "__main__":
    sys.exit(main())
