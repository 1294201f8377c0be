"""The shared harness of the DICOM bridge's Python tests
(tests/dicom/test_*.py, tests/nist/replay_rad69.py).  Standard library
only, plus tests/lib (xdstest.py, and xdsmsg.py for SOAP/MTOM building and
parsing), which it puts on sys.path.  A script imports it with its own directory on sys.path
(tests/nist adds ../dicom).  What stays in a test is what only that test
checks; what is here is mechanics, and none of it decides a verdict.

Results (the record of tests/lib/xdstest.py)
    FAILS, check(cond, what)  xdstest.check(what, cond); FAILS collects the
                              failed ones (one list per run: every importer
                              shares it)
    summary()                 xdstest.summary(): "N passed, M failed"; the
                              exit status 0/1
    sanitizer_reports(glob)   the logs matching glob with an ASan/LSan/UBSan
                              report (for a --enable-sanitizers build)
    tail(path, n)             the last n characters of a log
    stop_nodes(*nodes, n)     the nodes stopped; after a failure the tail of
                              each one's log printed
    finish(work, logs)        the end of a test: no sanitizer report in the
                              xdsd logs under work; after a failure the
                              tails of logs printed and work kept, else (and
                              without XDS_KEEP) work removed; summary()
Processes (the common ones from tests/lib/xdstest.py)
    arguments(**more)         the command line: --xdsd, --xdsctl, more
                              options with their defaults
    reserve_port()            a held loopback port for a program that cannot
                              report the port it bound (storescp, Orthanc)
    wait_port(port, timeout, proc)  True once 127.0.0.1:port accepts
    wait_for(cond, timeout, step)  xdstest.wait_until
    stop_process(p)           SIGTERM, then SIGKILL (xdstest)
    Xdsd                      an xdstest.Xdsd on reserved ports: state_dir,
                              HTTP port, optional DICOM port, log, audit
    start_bridge(xdsd, work, extra)  a started Xdsd with the bridge, no publication
    studies(xdsctl, state)    `xdsctl --json dicom studies` as {study: row}
    wait_study(xdsctl, state, study, pred, timeout)  the row once pred(row)
    wait_published(xdsctl, state, study, not_uid, unique_id, timeout)
                              the row once published (with unique_id, not
                              with not_uid)
    publish(xdsctl, state, study, json)  `xdsctl dicom publish study` run
DICOM files (dcmtk)
    meta_split(data, strict)  (transfer syntax, dataset bytes) of a Part 10 file
    pixel_data(data)          PixelData of an uncompressed explicit VR LE file
    dump2dcm(text, out)       a Part 10 file (explicit VR LE) from dump text
    bsn_instance(out, sop, study, series, local_id, bsn, extra)
                              a small instance with the BSN in
                              OtherPatientIDsSequence
    make_image(...)           a 16-bit MONOCHROME2 image with a BSN
    decoded_pixels(...)       PixelData after dcmtk decodes a compressed file
    storescu(port, files, aec, extra, env, timeout)
    qrscp(work, port, env)    dcmqrscp as a PACS with AE PACS on a reserved port,
                              storing under work/pacs, serving C-GET; its -v log
                              in work/pacs.log
    qrscp_associations(work)  the associations it accepted so far
Registry (ITI-18)
    post(port, path, ctype, body, pki)     (HTTP status, body), TLS with pki
    registry_query(port, sq, slots, pki)   the answer of a LeafClass query
    find_documents_slots(bsn, statuses)    FindDocuments by BSN and status
    find_documents(port, bsn, statuses, pki)  objects() of that query
    objects(body, elem, scheme)            {id: {status, status_attr, unique_id, xml}}
RAD-69
    rad69_body(studies, ts, elements)      a RetrieveImagingDocumentSetRequest
    rad69_post(port, body_xml, timeout)    (HTTP status, content type, root xml, {cid: bytes})
    rad69(port, body_xml)                  (status, error codes, error texts, {sop: (mime, bytes)})
    rad69_series(port, study, series, sops, ts)  one series of REPO_UID: docs {sop: bytes or None}
    answer_files(state), no_answer_files(state)  what is left in dicom/tmp/rad69
    check_no_answer_files(state, what)     a check that none is (waited for)
"""
import argparse
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402
from xdstest import DEADLINE, reserve_port, stop_process, wait_port, wait_until  # noqa: E402, F401  (for the tests)

BSN = "999911120"
ELE = "1.2.840.10008.1.2.1"              # Explicit VR Little Endian
ILE = "1.2.840.10008.1.2"                # Implicit VR Little Endian
JLS = "1.2.840.10008.1.2.4.80"           # JPEG-LS lossless
JPEG_BASE = "1.2.840.10008.1.2.4.50"     # JPEG Baseline (lossy)
REPO_UID = "1.3.6.1.4.1.21367.13.71.1"   # repository.unique_id default = Retrieve Location UID
ACT_RAD69 = "urn:ihe:rad:2009:RetrieveImagingDocumentSet"
ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
SQ_FINDDOCS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
SQ_FINDSS = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9"
EI_DE_UNIQUEID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
EI_SS_UNIQUEID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SANITIZER_RE = r"AddressSanitizer|LeakSanitizer|runtime error:"
TESTDATA = os.environ.get("XDS_TESTDATA", "")     # the conformance corpus; "" when absent

# --- results -------------------------------------------------------------------

FAILS = []


def check(cond, what):
    """xdstest.check(what, cond); a failed check is kept in FAILS."""
    if not xdstest.check(what, cond):
        FAILS.append(what)


summary = xdstest.summary


def tail(path, n):
    with open(path, errors="replace") as f:
        return f.read()[-n:]


def sanitizer_reports(pattern):
    """The files matching pattern (xdsd logs) that hold a sanitizer report."""
    out = []
    for f in glob.glob(pattern, recursive=True):
        with open(f, errors="replace") as fh:
            if re.search(SANITIZER_RE, fh.read()):
                out.append(f)
    return out


def stop_nodes(*nodes, n=3000):
    """Stop the nodes (Xdsd); after a failure print the last n characters
    of each one's log."""
    for x in nodes:
        x.stop()
    if FAILS:
        for x in nodes:
            print("---- %s" % x.logpath)
            print(tail(x.logpath, n))


def finish(work, logs=(), n=3000):
    """The end of a test in work: a check that no xdsd log under work holds
    a sanitizer report (a --enable-sanitizers build); after a failure the
    last n characters of the files logs printed and work kept, else work
    removed (kept too with XDS_KEEP).  summary()'s exit status."""
    san = sanitizer_reports(os.path.join(work, "**", "xdsd*.log"))
    check(not san, "no sanitizer report in the xdsd logs (%s)" % san)
    if FAILS or os.environ.get("XDS_KEEP"):
        for p in logs:
            print("---- %s" % p)
            print(tail(p, n))
        print("work directory kept: " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return summary()


# --- processes -----------------------------------------------------------------

def arguments(**more):
    """xdstest.command_line() with --xdsctl, and for each of more an
    option --name with that default."""
    ap = argparse.ArgumentParser()
    for name, default in more.items():
        ap.add_argument("--" + name, default=default)
    return xdstest.command_line(ap, xdsctl=True)


def wait_for(cond, timeout=DEADLINE, step=0.2):
    """cond()'s first truthy value within timeout s, else None."""
    return wait_until(cond, timeout, step)


class Xdsd(xdstest.Xdsd):
    """xdstest.Xdsd whose ports are reserved (reserve_port) when it is
    made: the scenarios here point one node at another before either
    starts, and restart nodes where they were.  dir (work/name, or work)
    holds state/ and xdsd.log; port is the HTTP port, dport the DICOM
    port when dicom=True; opts are more -C settings; tls as in xdstest.  start() waits for
    state/xdsd.ports and /health, as in xdstest."""

    def __init__(self, binary, work, opts=(), name=None, port=None, dicom=False, env=None, tls=None):
        self.reserved = [] if port else [reserve_port()]
        if dicom:
            self.reserved.append(reserve_port())
        super().__init__(binary, work, opts, name=name, port=port or self.reserved[0].port,
                         dicom=dicom, dport=self.reserved[-1].port if dicom else 0, env=env, tls=tls)


def start_bridge(binary, work, extra=()):
    """A started Xdsd in work with the bridge on (dicom.publish_after one
    hour: nothing publishes within a test; dicom.timeout 10 s) and the
    extra settings; "xdsd did not start" printed if its ports stay shut."""
    x = Xdsd(binary, work, ["dicom.publish_after=3600", "dicom.timeout=10", *extra], dicom=True)
    if not x.start(15):
        print("xdsd did not start")
    return x


def studies(xdsctl, state):
    """{study: row} of `xdsctl --json dicom studies`; {} when it fails."""
    r = subprocess.run([xdsctl, "--json", "-C", "node.state_dir=" + state, "dicom", "studies"],
                       capture_output=True, text=True)
    return {s["study"]: s for s in json.loads(r.stdout)} if r.returncode == 0 else {}


def wait_study(xdsctl, state, study, pred, timeout=20):
    """The study's row once pred(row) holds, polled every 0.2 s; None after timeout s."""
    def row():
        s = studies(xdsctl, state).get(study)
        return s if s and pred(s) else None
    return wait_for(row, timeout)


def wait_published(xdsctl, state, study, not_uid=None, unique_id=None, timeout=DEADLINE):
    """The study's row once it is published with a manifest uniqueId:
    unique_id when given, and other than not_uid; None after timeout s."""
    return wait_study(xdsctl, state, study, lambda s: s["state"] == "published" and s["unique_id"]
                      and s["unique_id"] != not_uid and unique_id in (None, s["unique_id"]),
                      timeout)


def publish(xdsctl, state, study, as_json=False):
    """`xdsctl [--json] dicom publish study` on the node of state_dir state:
    its CompletedProcess (text)."""
    return subprocess.run([xdsctl, *(["--json"] if as_json else []), "-C",
                           "node.state_dir=" + state, "dicom", "publish", study],
                          capture_output=True, text=True, timeout=60)


# --- DICOM files -----------------------------------------------------------------

class DicomToolError(subprocess.SubprocessError):
    pass


def meta_split(data, strict=True):
    """(transfer syntax, dataset bytes) of a Part 10 file.  Not a Part 10
    file: ValueError when strict, else (None, b"")."""
    if len(data) < 144 or data[128:132] != b"DICM":
        if strict:
            raise ValueError("not a DICOM Part 10 file (%d bytes, no DICM at 128)" % len(data))
        return None, b""
    glen = struct.unpack("<I", data[140:144])[0]     # (0002,0000) UL group length
    end = 144 + glen
    meta, ts, i = data[132:end], None, 0
    while i + 8 <= len(meta):
        g, e = struct.unpack("<HH", meta[i:i + 4])
        vr = meta[i + 4:i + 6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
            ln = struct.unpack("<I", meta[i + 8:i + 12])[0]
            v = meta[i + 12:i + 12 + ln]
            i += 12 + ln
        else:
            ln = struct.unpack("<H", meta[i + 6:i + 8])[0]
            v = meta[i + 8:i + 8 + ln]
            i += 8 + ln
        if (g, e) == (2, 0x10):
            ts = v.rstrip(b"\0 ").decode("ascii", "replace")
    if strict and i < len(meta):
        raise ValueError("File Meta Information truncated at byte %d" % i)
    return ts, data[end:]


def pixel_data(data):
    """The PixelData value of an uncompressed explicit VR LE Part 10 file, or None."""
    _, ds = meta_split(data)
    i = ds.rfind(b"\xe0\x7f\x10\x00")
    if i < 0 or ds[i + 4:i + 6] not in (b"OW", b"OB"):
        return None
    ln = struct.unpack("<I", ds[i + 8:i + 12])[0]
    return ds[i + 12:i + 12 + ln]


def dump2dcm(text, out, args=()):
    """out, a Part 10 file in explicit VR LE made by dump2dcm from the dump
    text (kept beside it as <out without .dcm>.dump); DicomToolError if not."""
    dump = os.path.splitext(out)[0] + ".dump"
    with open(dump, "w", encoding="latin-1") as f:
        f.write(text)
    r = subprocess.run(["dump2dcm", *args, "--write-xfer-little", dump, out],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not os.path.exists(out):
        raise DicomToolError("dump2dcm %s: %s" % (dump, r.stderr.strip()[:300]))
    return out


def bsn_instance(out, sop, study, series, local_id, bsn=BSN, extra=""):
    """out: a small secondary capture instance (4 bytes of pixel data) of
    study and series with PatientID local_id and the BSN in
    OtherPatientIDsSequence (issuer NLMINBIZA); extra: more dump lines."""
    return dump2dcm(
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s]\n"
        "(0008,0060) CS [OT]\n(0010,0020) LO [%s]\n%s"
        "(0010,1002) SQ (Sequence with undefined length)\n"
        "  (fffe,e000) na (Item with undefined length)\n    (0010,0020) LO [%s]\n"
        "    (0010,0021) LO [NLMINBIZA]\n  (fffe,e00d) na (ItemDelimitationItem)\n"
        "(fffe,e0dd) na (SequenceDelimitationItem)\n(0020,000d) UI [%s]\n"
        "(0020,000e) UI [%s]\n(7fe0,0010) OB 00\\01\\02\\03\n"
        % (sop, local_id, extra, bsn, study, series), out)


def make_image(work, study, series, sop, bsn=BSN, size=64):
    """An Explicit VR LE MONOCHROME2 16-bit (12 stored) image with a BSN; its path."""
    px = "\\".join("%04x" % ((x * 37 + y * 11 + (x * y) % 97) & 0x0fff)
                   for y in range(size) for x in range(size))
    return dump2dcm(
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s]\n"
        "(0008,0020) DA [20260101]\n(0008,0030) TM [101010]\n(0008,0050) SH [ACC1]\n"
        "(0008,0060) CS [OT]\n(0010,0010) PN [Test^Proxy]\n(0010,0020) LO [%s]\n"
        "(0010,0021) LO [NLMINBIZA]\n(0020,000d) UI [%s]\n(0020,000e) UI [%s]\n"
        "(0020,0010) SH [1]\n(0020,0013) IS [1]\n"
        "(0028,0002) US 1\n(0028,0004) CS [MONOCHROME2]\n(0028,0010) US %d\n"
        "(0028,0011) US %d\n(0028,0100) US 16\n(0028,0101) US 12\n(0028,0102) US 11\n"
        "(0028,0103) US 0\n(7fe0,0010) OW %s\n" % (sop, bsn, study, series, size, size, px),
        os.path.join(work, sop + ".dcm"), ("+l", "200000"))


def decoded_pixels(work, data, name):
    """PixelData after decompressing data (any syntax dcmtk decodes) to Explicit VR LE."""
    src, dst = os.path.join(work, name + ".in.dcm"), os.path.join(work, name + ".out.dcm")
    with open(src, "wb") as f:
        f.write(data)
    ts, _ = meta_split(data)
    tool = {JLS: ["dcmdjpls"], "1.2.840.10008.1.2.4.81": ["dcmdjpls"],
            "1.2.840.10008.1.2.5": ["dcmdrle"]}.get(ts, ["dcmdjpeg"] if ".4." in ts else ["dcmconv", "+te"])
    r = subprocess.run(tool + [src, dst], capture_output=True, text=True)
    if r.returncode != 0:
        print("  %s: %s" % (" ".join(tool), r.stderr.strip()[:300]))
        return None
    with open(dst, "rb") as f:
        return pixel_data(f.read())


def qrscp(work, port, env=None):
    """dcmqrscp with AE PACS storing under work/pacs (forks per association),
    taking JPEG lossless (+xs) besides the uncompressed syntaxes; env its
    environment (None: ours)."""
    store = os.path.join(work, "pacs")
    os.makedirs(store, exist_ok=True)
    cfg = os.path.join(work, "dcmqrscp.cfg")
    with open(cfg, "w") as f:
        f.write("NetworkTCPPort  = %d\nMaxPDUSize      = 16384\nMaxAssociations = 16\n"
                "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
                "AETable BEGIN\nPACS   %s   RW (100, 1024mb)   ANY\nAETable END\n" % (port, store))
    p = subprocess.Popen(["dcmqrscp", "-v", "+xs", "-c", cfg], stdout=open(os.path.join(work, "pacs.log"), "a"),
                         stderr=subprocess.STDOUT, env=env)
    if not wait_port(port, proc=p):
        print("dcmqrscp did not start")
    return p


def qrscp_associations(work):
    """Associations dcmqrscp accepted so far (its -v log)."""
    with open(os.path.join(work, "pacs.log"), errors="replace") as f:
        return f.read().count("Association Received")


def storescu(port, files, aec="XDSNODE", extra=(), env=None, timeout=60):
    """storescu's CompletedProcess (text) for files sent to aec on 127.0.0.1:port."""
    return subprocess.run(["storescu", "-aec", aec, *extra, "127.0.0.1", str(port), *files],
                          capture_output=True, text=True, env=env, timeout=timeout)


# --- registry (ITI-18) -------------------------------------------------------------

def post(port, path, ctype, body, pki=None, timeout=30):
    """(HTTP status, body) of a POST to 127.0.0.1:port; over mutual TLS with
    pki = {ca, client_cert, client_key}."""
    return xdstest.post(port, path, body, ctype, tls=pki, timeout=timeout)


def statuses(*names):
    return "(%s)" % ",".join("'urn:oasis:names:tc:ebxml-regrep:StatusType:%s'" % n for n in names)


def find_documents_slots(bsn, status_names):
    """The slots of FindDocuments for the BSN's patient ID in the given statuses."""
    pat = "'%s'" % xdsmsg.esc("%s^^^&%s&ISO" % (bsn, xdsmsg.BSN_OID))
    return [("$XDSDocumentEntryPatientId", pat), ("$XDSDocumentEntryStatus", statuses(*status_names))]


def registry_query(port, sq, slots, pki=None):
    """The answer (text) of an ITI-18 stored query sq (LeafClass) with slots [(name, value)]."""
    sl = "".join('<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>'
                 % (n, v) for n, v in slots)
    q = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
         'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
         'returnComposedObjects="true" returnType="LeafClass"/><rim:AdhocQuery id="%s">%s'
         '</rim:AdhocQuery></query:AdhocQueryRequest>' % (sq, sl))
    _, body = post(port, "/xds/registry", 'application/soap+xml; charset=UTF-8; action="%s"' % ACT_ITI18,
                   xdsmsg.envelope(ACT_ITI18, q).encode(), pki)
    return body.decode("utf-8", "replace")


def find_documents(port, bsn, status_names, pki=None):
    """objects() of ITI-18 FindDocuments (LeafClass) for the BSN's patient in
    the given statuses."""
    return objects(registry_query(port, SQ_FINDDOCS, find_documents_slots(bsn, status_names), pki))


def objects(body, elem="ExtrinsicObject", scheme=EI_DE_UNIQUEID):
    """{id: {status, status_attr, unique_id, xml}} of the elem objects in a
    query answer: status the status's last name (Approved, ...; "" when it
    has none), status_attr the attribute as it is, unique_id the value of
    the ExternalIdentifier of the scheme (None when absent)."""
    out = {}
    for m in re.finditer(r"<(?:\w+:)?%s\b([^>]*)>(.*?)</(?:\w+:)?%s>" % (elem, elem), body, re.S):
        attrs, inner = m.group(1), m.group(2)
        oid = re.search(r'\bid="([^"]+)"', attrs).group(1)
        st = re.search(r'\bstatus="[^"]*:([A-Za-z]+)"', attrs)
        sa = re.search(r'\bstatus="([^"]+)"', attrs)
        uid = None
        for x in re.finditer(r"<(?:\w+:)?ExternalIdentifier\b([^>]*)>", inner):
            if scheme in x.group(1):
                uid = re.search(r'\bvalue="([^"]+)"', x.group(1)).group(1)
        out[oid] = {"status": st.group(1) if st else "", "status_attr": sa.group(1) if sa else "",
                    "unique_id": uid, "xml": m.group(0)}
    return out


# --- RAD-69 ------------------------------------------------------------------------

def rad69_body(studies_, ts, elements=False):
    """A RetrieveImagingDocumentSetRequest; studies_: [(study, [(series, [(repo, sop)])])],
    study/series UIDs as attributes, or as elements when elements."""
    out = ['<xdsiB:RetrieveImagingDocumentSetRequest xmlns:xdsiB="urn:ihe:rad:xdsi-b:2009" '
           'xmlns:xdsb="urn:ihe:iti:xds-b:2007">']
    for st, series in studies_:
        out.append('<xdsiB:StudyRequest>' + '<xdsiB:StudyInstanceUID>%s</xdsiB:StudyInstanceUID>' % st
                   if elements else '<xdsiB:StudyRequest studyInstanceUID="%s">' % st)
        for se, docs in series:
            out.append('<xdsiB:SeriesRequest>' + '<xdsiB:SeriesInstanceUID>%s</xdsiB:SeriesInstanceUID>' % se
                       if elements else '<xdsiB:SeriesRequest seriesInstanceUID="%s">' % se)
            for repo, sop in docs:
                out.append('<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
                           '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>' % (repo, sop))
            out.append('</xdsiB:SeriesRequest>')
        out.append('</xdsiB:StudyRequest>')
    out.append('<xdsiB:TransferSyntaxUIDList>%s</xdsiB:TransferSyntaxUIDList>'
               % "".join("<xdsiB:TransferSyntaxUID>%s</xdsiB:TransferSyntaxUID>" % t for t in ts))
    out.append('</xdsiB:RetrieveImagingDocumentSetRequest>')
    return "".join(out)


def rad69_post(port, body_xml, timeout=60):
    """(HTTP status, content type, root xml, {cid: bytes}) of a RAD-69 sent
    as MTOM to /xdsi/source."""
    ct, body = xdsmsg.mtom(ACT_RAD69, body_xml, [])
    st, rct, rb = xdsmsg.post(port, "/xdsi/source", ct, body, timeout=timeout)
    xml, att = xdsmsg.split_mtom(rct, rb)
    return st, rct, xml, att


def rad69(port, body_xml):
    """(status, error codes, error texts (codeContext), {sop: (mime, bytes)}) of a RAD-69."""
    _, _, xml, att = rad69_post(port, body_xml)
    return (xdsmsg.status_of(xml), xdsmsg.errors_of(xml), re.findall(r'codeContext="([^"]*)"', xml),
            xdsmsg.document_responses(xml, att))


def rad69_series(port, study, series, sops, ts):
    """rad69() of the sops of one series in REPO_UID; docs as {sop: bytes},
    None for a part whose mimeType is not application/dicom."""
    st, errs, texts, docs = rad69(port, rad69_body([(study, [(series, [(REPO_UID, s) for s in sops])])], ts))
    return st, errs, texts, {u: b if mt == "application/dicom" else None for u, (mt, b) in docs.items()}


def answer_files(state):
    d = os.path.join(state, "dicom", "tmp", "rad69")
    return sorted(os.listdir(d)) if os.path.isdir(d) else ["(no %s)" % d]


def no_answer_files(state, timeout=DEADLINE):
    """The SOAP layer removes answer files once the response is sent: wait for it."""
    ok = wait_until(lambda: not answer_files(state), timeout) is not None
    return ok, answer_files(state)


def check_no_answer_files(state, what):
    """The check what: no answer file is left (no_answer_files)."""
    ok, left = no_answer_files(state)
    check(ok, "%s (%s)" % (what, left))
