#!/usr/bin/env python3
"""Replay the NIST Document Repository test plans against xdsd.

The sibling of replay.py (whose engine, token filling, ebRIM 2.1 -> 3.0
translation and reporting it reuses) for the Repository: the NIST tests in
iti41-provide-register/nist-testkit and iti43-retrieve/nist-testkit and
their negative/ twins, the raw HTTP/MTOM captures (PnrXop, PnrNoXop), and
the other ITI-41/ITI-43 request files of those folders that
expected-outcomes.tsv lists.  ITI-41 goes to /xds/repository as MTOM/XOP
(one part per <Document>), ITI-43 answers are split and each document is
compared byte for byte with the test's <ReferenceDocument>; ITI-18/ITI-42
steps (the plans' evaluations) go to the node's registry.

Known failures: known-failures-repo.tsv (same format as known-failures.tsv).
Output and exit status as replay.py.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert as C  # noqa: E402
import replay as R  # noqa: E402
import xdsmsg  # noqa: E402  (tests/lib, on sys.path by replay)

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY_PATH = "/xds/repository"
REPO_ID = "1.3.6.1.4.1.21367.2024.9.1"   # repository.unique_id for the run
HOME = "urn:oid:1.3.6.1.4.1.21367.2024.9"
ACTION_ITI41 = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ACTION_ITI43 = "urn:ihe:iti:2007:RetrieveDocumentSet"
NS_XOP = "http://www.w3.org/2004/08/xop/include"

REPO_ROOTS = ("iti41-provide-register/nist-testkit",
              "negative/iti41-provide-register/nist-testkit",
              "iti43-retrieve/nist-testkit")
# Sections the NIST index.idx leaves out that this harness runs anyway.
EXTRA_SECTIONS = {
    "15816": (("Retrieve", "the ITI-43 steps of 15816 (found, unknown uid "
                           "-> Failure, partial -> PartialSuccess) are the "
                           "corpus's only retrieve error tests"),),
}
REPO_FOLDERS = ("iti41-provide-register", "iti43-retrieve",
                "negative/iti41-provide-register", "negative/iti43-retrieve")
PID_SCHEMES = C.PATIENT_SCHEMES
UID_SCHEMES = (C.EI_DE_UNIQUEID, C.EI_SS_UNIQUEID, C.EI_FOL_UNIQUEID)


class RepoClient(R.Client):
    """ITI-41/ITI-43 to /xds/repository over MTOM; keeps the parts."""

    def post_mtom(self, action, envelope, parts):
        ctype, body = xdsmsg.mtom_package(envelope, parts, action)
        return self.post_raw(ctype, body)

    def parse(self, status, ctype, data):
        r = R.parse_reply(status, ctype, data)
        r.parts = xdsmsg.split_mtom(ctype, data)[1]
        if r.kind == "response" and C.local(r.root.tag) == "RetrieveDocumentSetResponse":
            rr = r.root.find("{%s}RegistryResponse" % C.NS_RS)
            if rr is not None:
                r.status = R.short_status(rr.get("status"))
        return r


def retrieved(reply):
    """{DocumentUniqueId: (mimeType, bytes or None)} of a
    RetrieveDocumentSetResponse."""
    out = {}
    if reply.root is None:
        return out
    for dr in reply.root.iter("{%s}DocumentResponse" % C.NS_XDSB):
        uid = (dr.findtext("{%s}DocumentUniqueId" % C.NS_XDSB) or "").strip()
        mt = (dr.findtext("{%s}mimeType" % C.NS_XDSB) or "").strip()
        doc = dr.find("{%s}Document" % C.NS_XDSB)
        data = None
        if doc is not None:
            inc = doc.find("{%s}Include" % NS_XOP)
            if inc is not None:
                href = inc.get("href", "")
                if href.startswith("cid:"):
                    href = href[4:]
                from urllib.parse import unquote
                data = reply.parts.get(unquote(href), reply.parts.get(href))
            else:
                import base64
                data = base64.b64decode((doc.text or "").encode())
        out[uid] = (mt, data)
    return out


def rewrite_ids(body, patient, ids, uids=None):
    """Raw capture: patient ids -> patient, uniqueIds -> fresh OIDs
    (recorded in uids by the id of the object they identify)."""
    def eid(mo):
        tag = mo.group(0)
        scheme = re.search(rb'identificationScheme="([^"]+)"', tag)
        if not scheme:
            return tag
        s = scheme.group(1).decode()
        if s in PID_SCHEMES:
            return re.sub(rb'value="[^"]*"', b'value="' + C.xml_escape(patient).encode() + b'"', tag)
        if s in UID_SCHEMES:
            v = ids.oid()
            ro = re.search(rb'registryObject="([^"]+)"', tag)
            if uids is not None and ro:
                uids[ro.group(1).decode()] = v
            return re.sub(rb'value="[^"]*"', b'value="' + v.encode() + b'"', tag)
        return tag
    return re.sub(rb"<(?:\w+:)?ExternalIdentifier\b[^>]*>", eid, body)


# --- the engine ------------------------------------------------------------

class RepoEngine(R.Engine):
    def __init__(self, args, outcomes, known, client, repo_client):
        super().__init__(args, outcomes, known, client)
        self.repo = repo_client
        self.submitted = {}     # DocumentEntry uniqueId -> bytes sent

    def sent(self):
        return self.client.sent + self.repo.sent

    def resolve_useid(self, u, step):
        try:
            return super().resolve_useid(u, step)
        except R.Blocked:
            # NIST: a UseId without testdir may name a step of a sibling
            # section of the same test (12344/rplc -> submit_doc_for_rplc)
            td = u.get("testdir")
            if td and ("/" in td or td.startswith(".")):
                raise
            key = "%s/%s" % (step.test, td or u.get("step"))
            log = self.logs.get((key, u.get("step")))
            val = (log or {}).get(u.get("section"), {}).get(u.get("id"))
            if val is None:
                raise
            return val

    def nist_tests(self):
        tests = super().nist_tests()
        out = []
        for t, plans in tests:
            for sec, why in EXTRA_SECTIONS.get(t, ()):
                d = os.path.join(self.args.testdata, "iti43-retrieve/nist-testkit", t, sec)
                if os.path.isdir(d) and ("%s/%s" % (t, sec), d) not in plans:
                    plans = plans + [("%s/%s" % (t, sec), d)]
            # 12345's index.idx lists its sections 13 times (a load run):
            # once is enough here
            seen, uniq = set(), []
            for p in plans:
                if p[0] not in seen:
                    seen.add(p[0])
                    uniq.append(p)
            out.append((t, uniq))
        return out

    def tokens(self, step, trans):
        vals = super().tokens(step, trans)
        vals.setdefault("$repuid$", REPO_ID)
        vals.setdefault("$repositoryuid$", REPO_ID)
        vals.setdefault("$home$", HOME)
        return vals

    def run_step(self, step):
        trans = None
        for c in step.el:
            if isinstance(c.tag, str) and c.tag.endswith("Transaction"):
                trans = c
                break
        kind = trans.tag if trans is not None else ""
        try:
            if kind in ("ProvideAndRegisterTransaction",
                        "XDRProvideAndRegisterTransaction"):
                return self.run_pnr(step, trans)
            if kind == "RetrieveTransaction":
                return self.run_retrieve(step, trans)
            if kind == "HttpTransaction":
                return self.run_http(step, trans)
        except R.Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return
        return super().run_step(step)

    # ITI-41: the NIST engine's PnR: metadata as ITI-42, plus the documents
    def run_pnr(self, step, trans):
        vals = self.tokens(step, trans)
        root = self.load_template(step, trans, vals)
        sor, assigned = self.submission(step, trans, vals, root, distinct=True)
        log = {"reports": {}}
        log.update(assigned.as_sections())
        for sym, v in assigned.uids.items():
            log["reports"]["%s_uid" % sym] = v
        for sym, v in assigned.uuids.items():
            log["reports"]["%s_uuid" % sym] = v
        mimes = {}
        for eo in sor.iter("{%s}ExtrinsicObject" % C.NS_RIM):
            mimes[eo.get("id")] = eo.get("mimeType") or "application/octet-stream"
        req = ET.Element("{%s}ProvideAndRegisterDocumentSetRequest" % C.NS_XDSB)
        req.append(sor)
        parts = []
        for n, d in enumerate(trans.findall("Document"), 1):
            sym = d.get("id")
            eid = assigned.uuids.get(sym, sym)
            path = os.path.normpath(os.path.join(step.dir, (d.text or "").strip()))
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise R.HarnessError("document %s: %s" % (path, e)) from None
            cid = "doc%d@nist.replay" % n
            de = ET.SubElement(req, "{%s}Document" % C.NS_XDSB, {"id": eid})
            ET.SubElement(de, "{%s}Include" % NS_XOP, {"href": "cid:" + cid})
            parts.append((cid, mimes.get(eid, "application/octet-stream"), data))
            if sym in assigned.uids:
                self.submitted[assigned.uids[sym]] = data
        msg = C.soap_wrap(req, ACTION_ITI41, self.repo.url)
        self.save(step, ".xml", msg)
        reply = self.repo.post_mtom(ACTION_ITI41, msg, parts)
        self.save(step, ".reply.xml", reply.raw)
        # the <Report section="InputMetadata">s read the metadata sent
        self.finish(step, trans, reply, log, sor)

    # ITI-43: compare what comes back with <ReferenceDocument>
    def run_retrieve(self, step, trans):
        vals = self.tokens(step, trans)
        mf = (trans.findtext("MetadataFile") or "").strip()
        path = os.path.normpath(os.path.join(step.dir, mf))
        with open(path, encoding="utf-8") as f:
            text, missing = C.fill_tokens(f.read(), vals)
        if missing:
            raise R.Blocked("template %s: no value for %s" % (mf, " ".join(missing)))
        req = C.parse_xml(text)
        msg = C.soap_wrap(req, ACTION_ITI43, self.repo.url)
        self.save(step, ".xml", msg)
        reply = self.repo.post_mtom(ACTION_ITI43, msg, [])
        self.save(step, ".reply.xml", reply.raw)
        bad, notes = [], []
        got = retrieved(reply)
        want_mime = (trans.findtext("ExpectedMimeType") or "").strip()
        for rd in trans.findall("ReferenceDocument"):
            uid, _ = C.fill_tokens(rd.get("uid", ""), vals)
            ref = os.path.normpath(os.path.join(step.dir, "..", (rd.text or "").strip()))
            if not os.path.exists(ref):
                ref = os.path.normpath(os.path.join(step.dir, (rd.text or "").strip()))
            try:
                with open(ref, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise R.HarnessError("reference document: %s" % e) from None
            mt, have = got.get(uid, (None, None))
            sent = self.submitted.get(uid)
            if sent is not None and sent != data:
                notes.append("ReferenceDocument %s is not the file the plan "
                             "submitted; compared with what was submitted"
                             % rd.text.strip())
                data = sent
            if have is None:
                bad.append("document %s not returned" % uid)
            elif have != data:
                bad.append("document %s: %d bytes differ from %s (%d bytes)"
                           % (uid, len(have), rd.text.strip(), len(data)))
            if want_mime and have is not None and mt != want_mime:
                bad.append("mimeType %s, expected %s" % (mt, want_mime))
        self.finish(step, trans, reply, {"reports": {}}, extra_bad=bad,
                    extra_notes=notes)

    # a raw HTTP capture (PnrXop, PnrNoXop): ids refreshed, sent as-is
    def run_http(self, step, trans):
        hdrs = trans.findtext("Headers") or ""
        m = re.search(r"Content-Type:\s*(.+)", hdrs)
        if not m:
            raise R.HarnessError("HttpTransaction without a Content-Type")
        bf = (trans.findtext("BodyFile") or "").strip()
        with open(os.path.join(step.dir, bf), "rb") as f:
            body = f.read()
        if b"\r\n" not in body:
            body = body.replace(b"\n", b"\r\n")
        uids = {}
        body = rewrite_ids(body, self.patient(step.test), self.ids, uids)
        reply = self.repo.post_raw(m.group(1).strip(), body)
        self.finish(step, trans, reply, {"reports": {}, "AssignedUids": uids})

    # --- request files that are not NIST test plans
    def file_skip_reason(self, row):
        return repo_file_skip_reason(row)

    def run_file(self, rid, row):
        data = self.file_data(rid)
        iti41 = row["transaction"].startswith("ITI-41")
        action = ACTION_ITI41 if iti41 else ACTION_ITI43
        exp = row["expected"].strip()
        # "A / B (or SOAP fault)": any of the codes; parentheses are notes
        codes = [e.strip() for e in re.split(r"[,/]| or ",
                                             re.sub(r"\([^)]*\)", "", row["errors"]))
                 if e.strip() and R.error_code_like(e.strip())]
        parts = []
        if row["kind"].startswith("request (SOAP)"):
            # the envelope as the source wrote it (its header and element
            # order are the test), ids refreshed, documents completed
            env = C.parse_xml(data.decode("utf-8", "replace"))
            body = C.body_child(env)
            if iti41 and body is not None:
                sor = body.find("{%s}SubmitObjectsRequest" % C.NS_LCM)
                if sor is not None:
                    R.refresh_submission(sor, self.ids, {}, self.ids.patient())
                parts = self.complete_documents(body, codes)
            msg = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(env, encoding="utf-8")
        else:
            root = C.parse_xml(data.decode("utf-8", "replace"))
            if iti41:
                R.refresh_submission(root.find("{%s}SubmitObjectsRequest" % C.NS_LCM),
                                     self.ids, {}, self.ids.patient())
                parts = self.complete_documents(root, codes)
            msg = C.soap_wrap(root, action, self.repo.url)
        reply = self.repo.post_mtom(action, msg, parts)
        alts = [a.strip() for a in exp.split("/")]
        if reply.kind == "fault" and any(a.startswith("SOAP Fault") for a in alts):
            self.report(rid, "PASS", reply.summary())
            return
        want = alts[0].split(" ")[0]
        if reply.kind != "response" or reply.status != want:
            self.report(rid, "FAIL", "expected %s, got %s" % (
                exp, self.fail_text([reply.summary()], reply)))
            return
        got = [e[0] for e in reply.errors]
        if codes and not any(c in got for c in codes):
            self.report(rid, "FAIL", "expected one of %s, got %s" % (codes, reply.summary()))
            return
        self.report(rid, "PASS", reply.summary())

    def complete_documents(self, pnr, codes):
        """A request body without documents tests the metadata: give each
        DocumentEntry without an xdsb:Document a small one, unless the
        expected error is the missing document itself."""
        if "XDSMissingDocument" in codes:
            return []
        have = {d.get("id") for d in pnr.findall("{%s}Document" % C.NS_XDSB)}
        parts = []
        for n, eo in enumerate(pnr.iter("{%s}ExtrinsicObject" % C.NS_RIM), 1):
            if eo.get("id") in have:
                continue
            cid = "added%d@nist.replay" % n
            d = ET.SubElement(pnr, "{%s}Document" % C.NS_XDSB, {"id": eo.get("id")})
            ET.SubElement(d, "{%s}Include" % NS_XOP, {"href": "cid:" + cid})
            parts.append((cid, eo.get("mimeType") or "text/plain",
                          b"document added by the replay harness\n"))
            for s in list(eo.findall("{%s}Slot" % C.NS_RIM)):
                if s.get("name") in ("hash", "size"):
                    eo.remove(s)
        return parts


def repo_file_skip_reason(row):
    kind, exp, tr = row["kind"], row["expected"], row["transaction"]
    if not tr.startswith(("ITI-41", "ITI-43")):
        return "transaction %s is not sent to a Document Repository" % tr
    if "XDR" in tr:
        return "ITI-41 for XDR (a Document Recipient), not an XDS.b Repository"
    if exp in ("see note", "n/a"):
        return "no outcome asserted by the source (see note in expected-outcomes.tsv)"
    if not kind.startswith(("request body", "request (SOAP)")):
        return ("%s: not a request the harness can send as it is (responses, "
                "logs, templates with the source's own tokens, MIME bodies "
                "without their headers; the raw NIST captures run as the "
                "PnrXop/PnrNoXop steps)" % kind)
    if tr.startswith("ITI-43") and "negative/" not in row["folder"]:
        return ("names documents of the source's own repository, which this "
                "node never received")
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", required=True, help="xdsd binary to start")
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA"))
    ap.add_argument("--known", default=os.path.join(HERE, "known-failures-repo.tsv"))
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--startup-timeout", type=float, default=20.0)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--save", metavar="DIR")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-files", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("only", nargs="*")
    args = ap.parse_args(argv)
    args.keep_objectrefs = False
    if not args.testdata or not os.path.isfile(
            os.path.join(args.testdata, "expected-outcomes.tsv")):
        print("replay_repo: no conformance corpus (--testdata / XDS_TESTDATA)",
              file=sys.stderr)
        return 77
    args.url = None
    R.TEST_ROOTS = REPO_ROOTS
    R.FILE_FOLDERS = REPO_FOLDERS
    R.LOADERS = ()

    def engine(outcomes, known, url):
        return RepoEngine(args, outcomes, known, R.Client(url, args.timeout),
                          RepoClient(url.replace(R.REGISTRY_PATH, REPOSITORY_PATH),
                                     args.timeout))
    return R.replay(args, "replay_repo", "xds-nist-repo-",
                    ["repository.unique_id=" + REPO_ID,
                     "node.home_community_id=" + HOME] + args.conf, engine)


if __name__ == "__main__":
    sys.exit(main())
