#!/usr/bin/env python3
"""Replay the NIST RAD-69 (XDS-I.b Retrieve Imaging Document Set) success
plans against xdsd's Imaging Document Source: the DICOM bridge's store,
served at /xdsi/source.

The NIST test images are not in the corpus, but the KOS manifests that
reference them are (rad68/nist-testkit: ids_4801/ids_4802 SelftestPnR,
ids_2018-4801a/b/c, idc_init).  For every SOP instance a plan's request
names, one small DICOM instance is synthesized (dump2dcm) with exactly the
Study/Series/SOP Instance UIDs and SOP Class UID of the manifest's
evidence sequence, the patient and study attributes of that manifest and
deterministic 4x4 pixel data, and stored into the bridge with storescu
(Explicit VR Little Endian, the syntax every plan requests).  xdsd runs
with repository.unique_id = dicom.retrieve_location_uid = the
RepositoryUniqueId of the requests (the manifests' Retrieve Location UID)
and node.home_community_id = the HomeCommunityId they carry.

Each plan's request goes out as it is in the corpus, in a SOAP 1.2
envelope with the RAD-69 action, as MTOM/XOP.  Checked:
  RAD-69 steps       HTTP 200, MTOM answer, the response action, the
                     ExpectedStatus, no RegistryError on Success, one
                     DocumentResponse per requested instance and no other,
                     its RepositoryUniqueId the requested one, mimeType
                     application/dicom, the part present and byte for byte
                     the stored file when the stored syntax is in the
                     TransferSyntaxUIDList (else the part's syntax is the
                     first listed one).
  sameRetImgs        the step's <Standard> response: same status, same
                     DocumentUniqueIds, mimeTypes and (where the standard
                     gives one) RepositoryUniqueIds.
  matchHomeCommunityIds  a HomeCommunityId in a DocumentRequest comes back
                     unchanged in its DocumentResponse; none, none.
  sameDcmImgs        NIST compares the TagList tags with its original
                     images (StdDir), which the corpus lacks: here they are
                     compared with the synthesized instance that was stored
                     (said in the PASS line).
The idc_* plans test an Imaging Document Consumer and rad75-xcai an
Initiating/Responding Imaging Gateway (XCA-I): SKIP, with the reason.

Output as replay.py: one line per case (PASS, FAIL, XFAIL, XPASS, SKIP
with reason), then "rad69 replay: N passed, M failed, K skipped".  Exit 0
iff no unexpected failure, 77 when the corpus or dcmtk is missing, 99 on a
harness error (xdsd does not start, a manifest is missing).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
import dicomtest  # noqa: E402  (puts tests/lib on sys.path too)
import replay as R  # noqa: E402  (verdicts, the node, the corpus lists)
from replay import HarnessError  # noqa: E402

ACT_RAD69_RSP = "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
NS_XDSB = "urn:ihe:iti:xds-b:2007"
NS_XDSI = "urn:ihe:rad:xdsi-b:2009"
NS_RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
NS_XOP = "http://www.w3.org/2004/08/xop/include"
NS_WSA = "http://www.w3.org/2005/08/addressing"
MIME_DICOM = "application/dicom"
RAD69_ROOT = "rad69/nist-testkit"
RAD75_ROOT = "rad75-xcai/nist-testkit"
KOS_ROOT = "rad68/nist-testkit"
MAX_RESPONSE = 64 * 1024 * 1024
TAGS = {"SOPClassUID": "0008,0016", "SOPInstanceUID": "0008,0018", "PatientID": "0010,0020",
        "PatientName": "0010,0010", "PatientBirthDate": "0010,0030", "PatientSex": "0010,0040",
        "StudyInstanceUID": "0020,000d", "SeriesInstanceUID": "0020,000e",
        "AccessionNumber": "0008,0050", "Modality": "0008,0060"}
MODALITY = {"1.2.840.10008.5.1.4.1.1.1": "CR", "1.2.840.10008.5.1.4.1.1.1.1": "DX",
            "1.2.840.10008.5.1.4.1.1.1.2": "MG", "1.2.840.10008.5.1.4.1.1.2": "CT",
            "1.2.840.10008.5.1.4.1.1.2.1": "CT", "1.2.840.10008.5.1.4.1.1.3": "US",
            "1.2.840.10008.5.1.4.1.1.4": "MR", "1.2.840.10008.5.1.4.1.1.4.1": "MR",
            "1.2.840.10008.5.1.4.1.1.7": "OT", "1.2.840.10008.5.1.4.1.1.12.1": "XA",
            "1.2.840.10008.5.1.4.1.1.128": "PT"}
IDC_REASON = ("tests an Imaging Document Consumer (its RAD-69 requests go to NIST's Imaging "
              "Document Source simulator); this node is the Imaging Document Source")
RAD75_REASON = ("RAD-75 Cross Gateway Retrieve Imaging Document Set needs XCA-I (Initiating/"
                "Responding Imaging Gateway), which this node does not have yet")
IMG_NOTE = ("compared with the synthesized instance that was stored: NIST's original images "
            "(StdDir %s) are not in the corpus")


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


def text(el):
    return (el.text or "").strip() if el is not None else None


# --- DICOM helpers -----------------------------------------------------------

def meta_split(data):
    """(transfer syntax, dataset bytes) of a Part 10 file; (None, b"") if it is none."""
    return dicomtest.meta_split(data, strict=False)


def dcm_tags(path, tags):
    """{tag: value} read by dcmdump (value None when absent); None if unreadable."""
    args = ["dcmdump", "-q", "-Un"]
    for t in tags:
        args += ["+P", t]
    r = subprocess.run(args + [path], capture_output=True, text=True, errors="replace", timeout=30)
    if r.returncode != 0:
        return None
    out = dict((t, None) for t in tags)
    for line in r.stdout.splitlines():
        line = line.strip()
        t = line[1:10].lower()
        if t in out and out[t] is None:
            if "[" in line:
                out[t] = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif "(no value available)" in line:
                out[t] = ""
            else:
                out[t] = line[15:].split("#", 1)[0].strip()
    return out


class Kos:
    """The instances referenced by the KOS manifests of the corpus."""

    def __init__(self, root):
        self.inst = {}        # sop -> dict
        self.conflicts = []
        files = []
        for d, _, fs in os.walk(root):
            files += [os.path.join(d, f) for f in fs if f.endswith(".dcm")]
        for f in sorted(files):
            self.load(f, os.path.relpath(f, os.path.dirname(root)))

    def load(self, path, rel):
        r = subprocess.run(["dcm2xml", "-q", path], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise HarnessError("dcm2xml %s: %s" % (rel, r.stderr.decode("utf-8", "replace")[:200]))
        ds = ET.fromstring(r.stdout).find("data-set")

        def top(tag):
            for e in ds.findall("element"):
                if e.get("tag") == tag:
                    return e.text or ""
            return None

        def child(item, tag):
            for e in item:
                if e.get("tag") == tag:
                    return e
            return None
        common = {t: top(t) for t in ("0010,0010", "0010,0020", "0010,0021", "0010,0030",
                                       "0010,0040", "0008,0020", "0008,0030", "0008,0050",
                                       "0020,0010")}
        for ev in ds.findall("sequence"):
            if ev.get("tag") != "0040,a375":
                continue
            for st in ev.findall("item"):
                study = text(child(st, "0020,000d"))
                rss = child(st, "0008,1115")
                for se in (rss.findall("item") if rss is not None else []):
                    series = text(child(se, "0020,000e"))
                    rloc = text(child(se, "0040,e011"))
                    rsop = child(se, "0008,1199")
                    for n, it in enumerate(rsop.findall("item") if rsop is not None else [], 1):
                        sop, cls = text(child(it, "0008,1155")), text(child(it, "0008,1150"))
                        rec = dict(common, study=study, series=series, sop=sop, cls=cls,
                                   rloc=rloc, kos=rel, number=n)
                        old = self.inst.get(sop)
                        if old is None:
                            self.inst[sop] = rec
                        elif (old["study"], old["series"], old["cls"]) != (study, series, cls):
                            self.conflicts.append("%s: %s and %s disagree" % (sop, old["kos"], rel))


def synthesize(rec, path):
    """One instance for a KOS reference: dump2dcm, Explicit VR LE."""
    vals = dict(rec)
    for k, v in vals.items():
        if isinstance(v, str) and ("]" in v or "\n" in v):
            raise HarnessError("%s: value %r of %s cannot go into a dump" % (rec["kos"], v, k))

    def el(tag, vr, v):
        return "(%s) %s [%s]\n" % (tag, vr, v if v is not None else "")
    seed = hashlib.sha256(rec["sop"].encode()).digest()
    words = "\\".join("%04x" % (((seed[2 * i] << 8) | seed[2 * i + 1]) & 0x0fff) for i in range(16))
    dump = "".join([
        el("0008,0005", "CS", "ISO_IR 100"), el("0008,0016", "UI", rec["cls"]),
        el("0008,0018", "UI", rec["sop"]), el("0008,0020", "DA", rec["0008,0020"]),
        el("0008,0030", "TM", rec["0008,0030"]), el("0008,0050", "SH", rec["0008,0050"]),
        el("0008,0060", "CS", MODALITY.get(rec["cls"], "OT")), el("0008,0090", "PN", ""),
        el("0010,0010", "PN", rec["0010,0010"]), el("0010,0020", "LO", rec["0010,0020"]),
        el("0010,0021", "LO", rec["0010,0021"]) if rec["0010,0021"] is not None else "",
        el("0010,0030", "DA", rec["0010,0030"]), el("0010,0040", "CS", rec["0010,0040"]),
        el("0020,000d", "UI", rec["study"]), el("0020,000e", "UI", rec["series"]),
        el("0020,0010", "SH", rec["0020,0010"]), el("0020,0011", "IS", "1"),
        el("0020,0013", "IS", str(rec["number"])),
        "(0028,0002) US 1\n", el("0028,0004", "CS", "MONOCHROME2"),
        "(0028,0010) US 4\n(0028,0011) US 4\n(0028,0100) US 16\n(0028,0101) US 12\n"
        "(0028,0102) US 11\n(0028,0103) US 0\n",
        "(7fe0,0010) OW %s\n" % words])
    dicomtest.dump2dcm(dump, path)


# --- RAD-69 --------------------------------------------------------------------

def parse_request(xml_text):
    """[(study, series, home, repo, sop)], [transfer syntaxes] of a request."""
    root = ET.fromstring(xml_text)
    docs = []
    for st in root.findall(q(NS_XDSI, "StudyRequest")):
        for se in st.findall(q(NS_XDSI, "SeriesRequest")):
            for dr in se.findall(q(NS_XDSB, "DocumentRequest")):
                docs.append((st.get("studyInstanceUID"), se.get("seriesInstanceUID"),
                             text(dr.find(q(NS_XDSB, "HomeCommunityId"))),
                             text(dr.find(q(NS_XDSB, "RepositoryUniqueId"))),
                             text(dr.find(q(NS_XDSB, "DocumentUniqueId")))))
    ts = [text(t) for t in root.iter(q(NS_XDSI, "TransferSyntaxUID"))]
    return docs, ts


def parse_response(body_el):
    """status, [errorCode], [dict(home, repo, uid, mime, cid)] of a RetrieveDocumentSetResponse."""
    rr = body_el.find(q(NS_RS, "RegistryResponse"))
    status = (rr.get("status") or "").rsplit(":", 1)[-1] if rr is not None else None
    errs = [e.get("errorCode") for e in body_el.iter(q(NS_RS, "RegistryError"))]
    docs = []
    for d in body_el.findall(q(NS_XDSB, "DocumentResponse")):
        inc = d.find(q(NS_XDSB, "Document") + "/" + q(NS_XOP, "Include"))
        href = inc.get("href", "") if inc is not None else ""
        docs.append(dict(home=text(d.find(q(NS_XDSB, "HomeCommunityId"))),
                         repo=text(d.find(q(NS_XDSB, "RepositoryUniqueId"))),
                         uid=text(d.find(q(NS_XDSB, "DocumentUniqueId"))),
                         mime=text(d.find(q(NS_XDSB, "mimeType"))),
                         cid=href[4:] if href.startswith("cid:") else None))
    return status, errs, docs


class Reply:
    def __init__(self):
        self.http = None
        self.ctype = ""
        self.action = None
        self.status = None
        self.errors = []
        self.docs = []
        self.att = {}
        self.fault = None


def post_rad69(port, req_xml):
    reply = Reply()
    try:
        reply.http, reply.ctype, root_xml, reply.att = dicomtest.rad69_post(port, req_xml, timeout=60)
    except OSError as e:
        reply.fault = "transport: %s" % e
        return reply
    if len(root_xml) + sum(len(b) for b in reply.att.values()) > MAX_RESPONSE:
        reply.fault = "answer larger than %d bytes" % MAX_RESPONSE
        return reply
    try:
        env = ET.fromstring(root_xml.encode("utf-8"))
    except ET.ParseError as e:
        reply.fault = "answer is not XML (%s): %.200r" % (e, root_xml)
        return reply
    reply.action = text(env.find(".//" + q(NS_WSA, "Action")))
    rsp = env.find(".//" + q(NS_XDSB, "RetrieveDocumentSetResponse"))
    if rsp is None:
        reply.fault = "no RetrieveDocumentSetResponse (HTTP %s): %.300s" % (reply.http, root_xml)
        return reply
    reply.status, reply.errors, reply.docs = parse_response(rsp)
    return reply


# --- the replay ----------------------------------------------------------------

def sections(tdir):
    idx = os.path.join(tdir, "index.idx")
    if not os.path.exists(idx):
        return []
    with open(idx) as f:
        return [s.strip() for s in f if s.strip()]


class Replay(R.Verdicts):
    def __init__(self, args, known, outcomes):
        super().__init__(known, os.path.basename(args.known))
        self.args, self.outcomes = args, outcomes
        self.replies = {}      # (section dir, step id) -> (request docs, ts, Reply)
        self.node = None
        self.synth = {}        # sop -> synthesized file
        self.sent = 0

    # plans ----------------------------------------------------------------
    def ids_plans(self):
        base = os.path.join(self.args.testdata, RAD69_ROOT)
        out = []
        for t in sorted(os.listdir(base)):
            if t.startswith("ids_"):
                for s in sections(os.path.join(base, t)):
                    out.append((t, s, os.path.join(base, t, s)))
        return out

    def requests(self):
        """Every RAD-69 request of the ids_* plans: [(test, section, step, path)]."""
        out = []
        for t, s, d in self.ids_plans():
            tp = ET.parse(os.path.join(d, "testplan.xml")).getroot()
            for st in tp.findall("TestStep"):
                tr = st.find("ImagingDocSetRetrieveTransaction")
                if tr is not None:
                    out.append((t, s, st.get("id"), os.path.join(d, text(tr.find("MetadataFile")))))
        return out

    # set-up: instances -------------------------------------------------------
    def prepare(self, work):
        kos = Kos(os.path.join(self.args.testdata, KOS_ROOT))
        repos, homes, need = set(), set(), {}
        for t, s, step, path in self.requests():
            with open(path, encoding="utf-8") as f:
                docs, _ = parse_request(f.read())
            for study, series, home, repo, sop in docs:
                repos.add(repo)
                if home:
                    homes.add(home)
                need[sop] = (study, series, "%s/%s" % (t, s))
        if len(repos) != 1 or len(homes) > 1:
            raise HarnessError("the plans name repositories %s and communities %s: one "
                               "Imaging Document Source cannot be all" % (sorted(repos), sorted(homes)))
        self.repo = repos.pop()
        self.home = homes.pop() if homes else None
        gen = os.path.join(work, "instances")
        os.mkdir(gen)
        manifests = set()
        for sop, (study, series, where) in sorted(need.items()):
            rec = kos.inst.get(sop)
            if rec is None:
                raise HarnessError("%s requests %s, which no KOS under %s references" % (where, sop, KOS_ROOT))
            if (rec["study"], rec["series"]) != (study, series):
                raise HarnessError("%s requests %s in %s/%s; its KOS (%s) has it in %s/%s" % (
                    where, sop, study, series, rec["kos"], rec["study"], rec["series"]))
            if rec["rloc"] != self.repo:
                raise HarnessError("%s: Retrieve Location UID %s in %s, the requests say %s" % (
                    sop, rec["rloc"], rec["kos"], self.repo))
            p = os.path.join(gen, sop + ".dcm")
            synthesize(rec, p)
            self.synth[sop] = (p, rec)
            manifests.add(rec["kos"])
        print("# %d instances synthesized from %d KOS manifests (%s)%s" % (
            len(need), len(manifests), ", ".join(sorted(manifests)),
            "; conflicting references elsewhere: " + "; ".join(kos.conflicts) if kos.conflicts else ""))

    def store(self):
        files = [p for p, _ in self.synth.values()]
        r = subprocess.run(["storescu", "-aec", self.args.ae_title, "-xe", "127.0.0.1",
                            str(self.node.dport)] + sorted(files),
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise HarnessError("storescu: %s" % (r.stdout + r.stderr).strip()[-500:])
        bad = []
        for sop, (p, rec) in sorted(self.synth.items()):
            sp = self.stored_path(rec)
            if not os.path.exists(sp):
                bad.append("%s not in the store" % sop)
                continue
            with open(sp, "rb") as f:
                ts, ds = meta_split(f.read())
            with open(p, "rb") as f:
                ts0, ds0 = meta_split(f.read())
            if (ts, ds) != (ts0, ds0):
                bad.append("%s stored as %s, %d bytes, not as sent (%s, %d bytes)" % (
                    sop, ts, len(ds), ts0, len(ds0)))
        if bad:
            raise HarnessError("the bridge did not store the instances as sent: " + "; ".join(bad[:5]))
        print("# stored by storescu into the bridge, each dataset byte-identical on disk")

    def stored_path(self, rec):
        return os.path.join(self.node.state, "dicom", rec["study"], rec["series"], rec["sop"] + ".dcm")

    # steps ------------------------------------------------------------------
    def run(self):
        for t, s, d in self.ids_plans():
            tp = ET.parse(os.path.join(d, "testplan.xml")).getroot()
            for st in tp.findall("TestStep"):
                case = "nist:%s/%s#%s" % (t, s, st.get("id"))
                if st.find("ImagingDocSetRetrieveTransaction") is not None:
                    self.retrieve(case, d, st)
                elif st.find("XmlDetailTransaction") is not None:
                    self.detail(case, d, st)
                else:
                    self.report(case, "SKIP", "no transaction this harness knows")

    def expected_status(self, case, st):
        row = self.outcomes.get(case)
        if row and row["expected"] in ("Success", "Failure", "PartialSuccess"):
            return row["expected"]
        return text(st.find("ExpectedStatus")) or "Success"

    def retrieve(self, case, d, st):
        tr = st.find("ImagingDocSetRetrieveTransaction")
        with open(os.path.join(d, text(tr.find("MetadataFile"))), encoding="utf-8") as f:
            req = f.read()
        if req.startswith("<?xml"):
            req = req.split("?>", 1)[1].lstrip()
        docs, ts = parse_request(req)
        want = self.expected_status(case, st)
        reply = post_rad69(self.node.port, req)
        self.sent += 1
        self.replies[(os.path.realpath(d), st.get("id"))] = (docs, ts, reply)
        bad = []
        if reply.fault:
            self.report(case, "FAIL", reply.fault)
            return
        if reply.http != 200:
            bad.append("HTTP %s" % reply.http)
        if not reply.ctype.lower().startswith("multipart/related"):
            bad.append("answer not MTOM (%s)" % reply.ctype)
        if reply.action != ACT_RAD69_RSP:
            bad.append("wsa:Action %s, want %s" % (reply.action, ACT_RAD69_RSP))
        if reply.status != want:
            bad.append("status %s, want %s" % (reply.status, want))
        if want == "Success" and reply.errors:
            bad.append("RegistryErrors %s" % " ".join(reply.errors))
        if want == "Success":
            bad += self.check_docs(docs, ts, reply)
        if bad:
            self.report(case, "FAIL", "; ".join(bad[:6]) + (" (+%d more)" % (len(bad) - 6) if len(bad) > 6 else ""))
        else:
            self.report(case, "PASS", "%s, %d DICOM instance(s) as stored, %s" % (
                reply.status, len(reply.docs), " ".join(ts)))

    def check_docs(self, docs, ts, reply):
        bad = []
        byuid = {}
        for r in reply.docs:
            if r["uid"] in byuid:
                bad.append("%s answered twice" % r["uid"])
            byuid[r["uid"]] = r
        asked = set(x[4] for x in docs)
        for extra in sorted(set(byuid) - asked):
            bad.append("%s returned, not requested" % extra)
        for study, series, home, repo, sop in docs:
            r = byuid.get(sop)
            if r is None:
                bad.append("%s not returned" % sop)
                continue
            if r["repo"] != repo:
                bad.append("%s: RepositoryUniqueId %s, want %s" % (sop, r["repo"], repo))
            if r["mime"] != MIME_DICOM:
                bad.append("%s: mimeType %s" % (sop, r["mime"]))
            part = reply.att.get(r["cid"]) if r["cid"] else None
            if part is None:
                bad.append("%s: no MIME part for cid %s" % (sop, r["cid"]))
                continue
            p, rec = self.synth[sop]
            with open(self.stored_path(rec), "rb") as f:
                stored = f.read()
            with open(p, "rb") as f:
                sent = meta_split(f.read())[1]
            sts, _ = meta_split(stored)
            pts, pds = meta_split(part)
            if sts in ts:
                if part != stored:
                    bad.append("%s: part (%d bytes, %s) is not the stored file (%d bytes, %s)" % (
                        sop, len(part), pts, len(stored), sts))
                elif pds != sent:
                    bad.append("%s: part's dataset (%d bytes) is not the instance sent by storescu "
                               "(%d bytes)" % (sop, len(pds), len(sent)))
            elif pts != ts[0]:
                bad.append("%s: part in %s, want the first acceptable syntax %s" % (sop, pts, ts[0]))
        return bad

    def reply_for(self, d, assert_el):
        tr = assert_el.find("TestResponse")
        if tr is None:
            return None, "no TestResponse"
        td = tr.get("testDir", "THIS")
        sd = d if td == "THIS" else os.path.normpath(os.path.join(d, td))
        got = self.replies.get((os.path.realpath(sd), tr.get("step")))
        if got is None:
            return None, "no answer recorded for %s step %s" % (td, tr.get("step"))
        if got[2].fault:
            return None, "step %s had no answer: %s" % (tr.get("step"), got[2].fault)
        return got, None

    def detail(self, case, d, st):
        asserts = st.findall("XmlDetailTransaction/Assertions/Assert")
        std = st.find("Standard/ResponseBody/" + q(NS_XDSB, "RetrieveDocumentSetResponse"))
        bad, notes = [], []
        if std is not None:
            notes.append("as the step's Standard response")
        if not asserts:
            self.report(case, "SKIP", "no Assert")
            return
        for a in asserts:
            proc = a.get("process")
            got, why = self.reply_for(d, a)
            if got is None:
                bad.append("%s: %s" % (a.get("id"), why))
                continue
            docs, ts, reply = got
            if proc in ("sameRetImgs", "matchHomeCommunityIds"):
                if std is None:
                    bad.append("%s: the step has no <Standard> response" % a.get("id"))
                    continue
                bad += self.same_ret(std, reply)
                if proc == "matchHomeCommunityIds":
                    bad += self.match_home(std, docs, reply)
                    notes.append("HomeCommunityId %s" % ("echoed" if any(x[2] for x in docs) else "absent"))
            elif proc == "sameDcmImgs":
                tags = [c.tag for c in a.find("TagList") or []]
                unknown = [t for t in tags if t not in TAGS]
                if unknown:
                    bad.append("TagList names %s, not known to this harness" % " ".join(unknown))
                    continue
                bad += self.same_imgs(tags, reply)
                notes.append(IMG_NOTE % ", ".join(text(x) for x in a.findall("DirList/StdDir")))
            else:
                self.report(case, "SKIP", "Assert process %s not known to this harness" % proc)
                return
        if bad:
            self.report(case, "FAIL", "; ".join(bad[:6]) + (" (+%d more)" % (len(bad) - 6) if len(bad) > 6 else ""))
        else:
            self.report(case, "PASS", "; ".join(notes))

    def same_ret(self, std, reply):
        bad = []
        sst, _, sdocs = parse_response(std)
        if reply.status != sst:
            bad.append("status %s, the Standard %s" % (reply.status, sst))
        got = dict((r["uid"], r) for r in reply.docs)
        if set(got) != set(x["uid"] for x in sdocs):
            miss = sorted(set(x["uid"] for x in sdocs) - set(got))
            extra = sorted(set(got) - set(x["uid"] for x in sdocs))
            bad.append("DocumentUniqueIds differ from the Standard (missing %s, extra %s)" % (
                " ".join(miss) or "-", " ".join(extra) or "-"))
        for s in sdocs:
            r = got.get(s["uid"])
            if r is None:
                continue
            if s["mime"] and r["mime"] != s["mime"]:
                bad.append("%s: mimeType %s, the Standard %s" % (s["uid"], r["mime"], s["mime"]))
            if s["repo"] and r["repo"] != s["repo"]:
                bad.append("%s: RepositoryUniqueId %s, the Standard %s" % (s["uid"], r["repo"], s["repo"]))
        return bad

    def match_home(self, std, docs, reply):
        bad = []
        got = dict((r["uid"], r) for r in reply.docs)
        _, _, sdocs = parse_response(std)
        shome = dict((x["uid"], x["home"]) for x in sdocs)
        for study, series, home, repo, sop in docs:
            r = got.get(sop)
            if r is None:
                continue
            if r["home"] != home:
                bad.append("%s: HomeCommunityId %s in the DocumentResponse, the request had %s" % (
                    sop, r["home"] or "none", home or "none"))
            elif sop in shome and shome[sop] != r["home"]:
                bad.append("%s: HomeCommunityId %s, the Standard %s" % (sop, r["home"], shome[sop]))
        return bad

    def same_imgs(self, tags, reply):
        bad = []
        tmp = tempfile.mkdtemp(prefix="rad69img-", dir=self.work)
        try:
            for r in reply.docs:
                part = reply.att.get(r["cid"]) if r["cid"] else None
                if part is None or r["uid"] not in self.synth:
                    bad.append("%s: no image to compare" % r["uid"])
                    continue
                pp = os.path.join(tmp, "part.dcm")
                with open(pp, "wb") as f:
                    f.write(part)
                want = [TAGS[t] for t in tags]
                a = dcm_tags(pp, want)
                b = dcm_tags(self.synth[r["uid"]][0], want)
                if a is None:
                    bad.append("%s: the returned part is no valid DICOM file" % r["uid"])
                    continue
                for t in tags:
                    if a[TAGS[t]] != b[TAGS[t]]:
                        bad.append("%s: %s %r, the original %r" % (r["uid"], t, a[TAGS[t]], b[TAGS[t]]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return bad

    # skips ------------------------------------------------------------------
    def skips(self):
        base = os.path.join(self.args.testdata, RAD69_ROOT)
        for t in sorted(os.listdir(base)):
            if not t.startswith("idc_"):
                continue
            # their index.idx files are empty: every section with a testplan
            listed = sorted(s for s in os.listdir(os.path.join(base, t))
                            if os.path.exists(os.path.join(base, t, s, "testplan.xml")))
            if not listed:
                self.report("nist:%s" % t, "SKIP", IDC_REASON)
            for s in listed:
                tp = ET.parse(os.path.join(base, t, s, "testplan.xml")).getroot()
                for st in tp.findall("TestStep"):
                    self.report("nist:%s/%s#%s" % (t, s, st.get("id")), "SKIP", IDC_REASON)
        b75 = os.path.join(self.args.testdata, RAD75_ROOT)
        if os.path.isdir(b75):
            for t in sorted(os.listdir(b75)):
                if os.path.isdir(os.path.join(b75, t)):
                    self.report("nist:rad75-xcai/%s" % t, "SKIP", RAD75_REASON)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--xdsd", required=True)
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA", ""))
    ap.add_argument("--known", default=os.path.join(HERE, "known-failures-rad69.tsv"))
    ap.add_argument("--ae-title", default="XDSNODE", help="the bridge's dicom.ae_title")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--strict", action="store_true", help="an XPASS fails the run too")
    args = ap.parse_args(argv)
    if not os.path.isdir(os.path.join(args.testdata, RAD69_ROOT)) or \
            not os.path.isdir(os.path.join(args.testdata, KOS_ROOT)):
        print("SKIP: RAD-68/RAD-69 corpus not found under %s" % args.testdata)
        return 77
    for tool in ("storescu", "dump2dcm", "dcm2xml", "dcmdump"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed (apt-get install dcmtk)" % tool)
            return 77
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="xds-rad69-")
    rp = None
    rc = 99
    try:
        rp = Replay(args, R.load_known(args.known), R.load_outcomes(args.testdata, ("rad69/",)))
        rp.work = work
        rp.prepare(work)
        conf = ["repository.unique_id=" + rp.repo, "dicom.retrieve_location_uid=" + rp.repo,
                "dicom.ae_title=" + args.ae_title]
        if rp.home:
            conf.append("node.home_community_id=" + rp.home)
        # the bridge publishes nothing within the replay
        rp.node = R.Node(args.xdsd, work, dicomtest.DEADLINE,
                         ["dicom.publish_after=86400", *conf], dicom=True)
        rp.store()
        rp.run()
        rp.skips()
        rc = rp.conclude(rp.node, args.strict, rp.sent, started, "RAD-69 requests",
                         "rad69 replay: ")
    except (HarnessError, ET.ParseError, OSError, subprocess.SubprocessError) as e:
        print("replay_rad69: %s" % e, file=sys.stderr)
        if rp is not None and rp.node is not None:
            rp.node.stop()
            print(rp.node.log_text(), file=sys.stderr)
        rc = 99
    finally:
        if rp is not None and rp.node is not None:
            rp.node.stop()
        if args.keep or rc != 0:
            print("# work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
