#!/usr/bin/env python3
"""Replay the NIST XCA Responding Gateway test plans against xdsd.

The sibling of replay.py and replay_repo.py, whose engine it reuses (token
filling, ebRIM 2.1 -> 3.0 translation, ITI-41 over MTOM, verdicts, known
failures, exit status) for the Responding Gateway at /xca/responding:

  loaders     12318 (the Responding Gateway test data: ITI-41 to the
              node's /xds/repository, its ITI-18 step to /xds/registry) and
              15807 (the data 15811/15813 query: one patient per section)
  ITI-38      XCQTransaction steps (12093, 12306, 12307, 12309, 12310,
              12311, 15811, negative 15815): simple SOAP 1.2,
              urn:ihe:iti:2007:CrossGatewayQuery
  ITI-39      XCRTransaction steps (12308, 12312, 12313, 15813, negative
              15831): MTOM, urn:ihe:iti:2007:CrossGatewayRetrieve
  files       the ITI-38/ITI-39 request samples of those folders listed in
              expected-outcomes.tsv

Besides the plan's <ExpectedStatus>/<ExpectedErrorCode>/<ExpectedContents>
(or the expected-outcomes.tsv row) and the plan's own <Assertions>, every
answer is checked for what a Responding Gateway owes: the response action
(CrossGatewayQueryResponse / CrossGatewayRetrieveResponse, the latter as
MTOM), `home` = node.home_community_id on every object of the
RegistryObjectList, RegistryError/@location = that id, and for ITI-39 one
DocumentResponse per requested document with the requested
HomeCommunityId, RepositoryUniqueId and DocumentUniqueId, the mimeType
and the bytes the loader submitted.

Initiating Gateway steps (ITI-18/ITI-43 to an Initiating Gateway, plans the
system under test initiates), the On-Demand plans and RAD-75 (XCA-I) are
SKIP with the reason.  Known failures: known-failures-xca.tsv.  Output and
exit status as replay.py (77 without the corpus, 99 on a harness error).
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert as C  # noqa: E402
import replay as R  # noqa: E402
import replay_repo as RR  # noqa: E402
import xdsmsg  # noqa: E402  (tests/lib, on sys.path by replay)

HERE = os.path.dirname(os.path.abspath(__file__))
RG_PATH = "/xca/responding"
# The node's community: the one the OpenXDS Cross Gateway Query sample
# (iti38-xcq/openxds/CrossGatewayQueryRequest.xml) addresses; the NIST plans
# take theirs from the configuration ($testdata_home$).
HOME = "urn:oid:1.3.6.1.4.1.21367.2010.1.2.2045"
REPO_ID = RR.REPO_ID
ACTION_XCQ = "urn:ihe:iti:2007:CrossGatewayQuery"
ACTION_XCQ_RSP = "urn:ihe:iti:2007:CrossGatewayQueryResponse"
ACTION_XCR = "urn:ihe:iti:2007:CrossGatewayRetrieve"
ACTION_XCR_RSP = "urn:ihe:iti:2007:CrossGatewayRetrieveResponse"
NS_XDSB = C.NS_XDSB

XCA_ROOTS = ("iti38-xcq/nist-testkit", "iti39-xcr/nist-testkit",
             "negative/iti38-xcq/nist-testkit", "negative/iti39-xcr/nist-testkit")
XCA_FOLDERS = ("iti38-xcq", "iti39-xcr", "negative/iti38-xcq", "negative/iti39-xcr")
RAD75_FOLDERS = ("rad75-xcai/", "negative/rad75-xcai/")
# 12318 loads what the rg(xca) plans query; 15807 what 15811/15813 query.
LOADERS = ("12318", "15807")
# The Patient Identity Feed of the Responding Gateway test data (12318),
# not in the corpus: the test's own patient.
PIF_XCA = ("15823",)
# 15807's readme: "Each section uses a different Patient ID".
SECTION_PATIENTS = ("15807",)

IG_REASON = "initiating gateway: replayed by the multi-community test"
OD_REASON = ("On-Demand Documents: the operator enters the patient of an On-Demand "
             "Document of the Responding Gateway and triggers new content between "
             "steps; this node's registry and repository hold stable documents only")
RAD75_RIG_REASON = (
    "RAD-75 to a Responding Imaging Gateway: the plans address a second community "
    "(urn:oid:1.3.6.1.4.1.21367.13.70.201) with two Imaging Document Sources "
    "(E 1.3.6.1.4.1.21367.13.71.201.1, F ...201.2) whose instances no KOS of the "
    "corpus references; the node's RAD-69 source is one repository of the XCA "
    "community: not replayed yet")
RAD75_IIG_REASON = IG_REASON
# Expectations the plan leaves open that the corpus README pins.
EXTRA_CODES = {
    "nist:15831/Missing_Home#retrieve": (
        "XDSMissingHomeCommunityId",
        "iti39-xcr/README.md: Missing HomeCommunityId -> Failure "
        "XDSMissingHomeCommunityId (12312/missing_home; negative 15831)"),
}


def local(tag):
    return C.local(tag) if isinstance(tag, str) else ""


def fill(text, vals):
    """fill_tokens, then the NIST engine's plain replacement of useAs names
    that are no $name$ token (12307: useAs="$home", home="$home")."""
    text, missing = C.fill_tokens(text, vals)
    for k, v in vals.items():
        if k and not C.TOKEN_RE.fullmatch(k) and k in text:
            text = text.replace(k, C.xml_escape(v))
    return text, missing


# --- answers -----------------------------------------------------------------

class XcaClient(RR.RepoClient):
    """Simple SOAP and MTOM to one path; keeps the answer's wsa:Action and
    Content-Type, and (for ITI-41) the mimeType of every document sent."""

    def __init__(self, url, timeout):
        super().__init__(url, timeout)
        self.mimes = {}         # DocumentEntry uniqueId -> mimeType sent

    def post_mtom(self, action, envelope, parts):
        if action == RR.ACTION_ITI41:
            try:
                env = ET.fromstring(envelope)
            except ET.ParseError:
                env = None
            for eo in (env.iter("{%s}ExtrinsicObject" % C.NS_RIM) if env is not None else ()):
                for ei in eo.findall("{%s}ExternalIdentifier" % C.NS_RIM):
                    if ei.get("identificationScheme") == C.EI_DE_UNIQUEID:
                        self.mimes[ei.get("value")] = eo.get("mimeType")
        return super().post_mtom(action, envelope, parts)

    def parse(self, status, ctype, data):
        r = super().parse(status, ctype, data)
        r.ctype, r.action = ctype, None
        try:
            env = ET.fromstring(R.soap_part(ctype, data))
            r.action = (env.findtext(".//{%s}Action" % C.NS_WSA) or "").strip()
        except ET.ParseError:
            pass
        return r


def doc_responses(reply):
    """[dict(home, repo, uid, mime, data)] of a RetrieveDocumentSetResponse."""
    if reply.root is None:
        return []
    data = RR.retrieved(reply)
    out = []
    for dr in reply.root.findall("{%s}DocumentResponse" % NS_XDSB):
        def t(n):
            v = dr.findtext("{%s}%s" % (NS_XDSB, n))
            return v.strip() if v is not None else None
        uid = t("DocumentUniqueId") or ""
        out.append(dict(home=t("HomeCommunityId"), repo=t("RepositoryUniqueId"), uid=uid,
                        mime=t("mimeType"), data=data.get(uid, (None, None))[1]))
    return out


def doc_requests(req):
    """[(home or None, repository, document)] of a RetrieveDocumentSetRequest."""
    out = []
    for dr in req.iter("{%s}DocumentRequest" % NS_XDSB):
        def t(n):
            v = dr.findtext("{%s}%s" % (NS_XDSB, n))
            return v.strip() if v is not None else None
        out.append((t("HomeCommunityId"), t("RepositoryUniqueId"), t("DocumentUniqueId")))
    return out


def gateway_checks(reply, want_action, mtom):
    """What every Responding Gateway answer owes: its action (and MTOM),
    home on every object, RegistryError/@location = HOME."""
    bad = []
    if reply.kind != "response":
        return bad
    if reply.action != want_action:
        bad.append("wsa:Action %s, want %s" % (reply.action or "none", want_action))
    if mtom and not (reply.ctype or "").lower().startswith("multipart/related"):
        bad.append("answer not MTOM (%s)" % reply.ctype)
    rol = reply.root.find("{%s}RegistryObjectList" % C.NS_RIM)
    homeless = []
    for o in (rol if rol is not None else ()):
        if isinstance(o.tag, str) and o.get("home") != HOME:
            homeless.append("%s %s home=%s" % (local(o.tag), o.get("id"), o.get("home")))
    if homeless:
        bad.append("%d object(s) without home %s: %s" % (
            len(homeless), HOME, "; ".join(homeless[:3])))
    for e in reply.root.iter("{%s}RegistryError" % C.NS_RS):
        if e.get("location") != HOME:
            bad.append("RegistryError %s location %s, want %s" % (
                e.get("errorCode"), e.get("location"), HOME))
    return bad


# The NIST <Assert>s of the XCQ/XCR steps: a path of local names (with
# positions) below the step's Result, ending in an element, its text or
# an attribute; count(path) = N, or path = 'value'.
_STEP_RE = re.compile(r"\*\[(?:namespace-uri\(\)\s*=\s*'[^']*'\s+and\s+)?"
                      r"local-name\(\.?\)\s*=\s*'(\w+)'\](?:\[(\d+)\])?")


def eval_assert(text, root):
    """(ok, what) for one NIST assertion over the answer's Body child root;
    ok None when the form is not one the harness knows."""
    s = " ".join(text.split())
    m = re.fullmatch(r"count\((.*)\)\s*=\s*[\"']?(\d+)[\"']?", s)
    if m:
        path, want, counting = m.group(1), m.group(2), True
    else:
        m = re.fullmatch(r"(.*?)\s*=\s*'([^']*)'", s)
        if not m:
            return None, "form not evaluated"
        path, want, counting = m.group(1), m.group(2), False
    rest = path.split("Result", 1)[-1]
    steps = _STEP_RE.findall(rest)
    attr = re.search(r"/@([\w:]+)$", rest)
    if not steps or root is None:
        return None, "form not evaluated"
    name, idx = steps[0]
    nodes = [root] if local(root.tag) == name and idx in ("", "1") else []
    for name, idx in steps[1:]:
        nxt = []
        for n in nodes:
            kids = [c for c in n if local(c.tag) == name]
            if idx:
                kids = kids[int(idx) - 1:int(idx)]
            nxt += kids
        nodes = nxt
    if counting:
        return len(nodes) == int(want), "count %d, want %s" % (len(nodes), want)
    vals = [n.get(attr.group(1)) if attr else (n.text or "").strip() for n in nodes]
    return want in vals, "%s, want %s" % (vals or "nothing", want)


# NullTransaction <Assert>s over report variables: 'a' = 'b', 'a' != 'b',
# joined by "and" / "or" (the NIST engine substitutes the values and
# evaluates the XPath; "and" binds tighter than "or").
_CMP_RE = re.compile(r"\s*'(\w+)'\s*(!?=)\s*'(\w+)'\s*")


def compare_form(text):
    return all(_CMP_RE.fullmatch(c) for d in re.split(r"\bor\b", text or "")
               for c in re.split(r"\band\b", d))


def eval_compare(text, vals):
    def one(c):
        m = _CMP_RE.fullmatch(c)
        a, b = vals.get(m.group(1)), vals.get(m.group(3))
        return a is not None and b is not None and (a == b) == (m.group(2) == "=")
    return any(all(one(c) for c in re.split(r"\band\b", d))
               for d in re.split(r"\bor\b", text))


# --- the engine ----------------------------------------------------------------

class XcaEngine(RR.RepoEngine):
    def __init__(self, args, outcomes, known, client, repo_client, rg_client, rad75):
        super().__init__(args, outcomes, known, client, repo_client)
        self.rg = rg_client
        self.rad75 = rad75
        self.section_patients = {}

    def sent(self):
        return super().sent() + self.rg.sent

    # values between steps and tests
    def resolve_usereport(self, u, step):
        test = u.get("test")
        if test in PIF_XCA:
            return self.patient(step.test)
        if test and test not in R.PIF_MAIN + R.PIF_ALT and test in self.known_tests:
            # another test's step (12318/init, 15807/onedoc1, 15811/...)
            key = "%s/%s" % (test, u.get("section"))
            log = self.logs.get((key, u.get("step")))
            if log is None:
                raise R.Blocked("needs report %s from %s#%s, which did not run or failed"
                                % (u.get("reportName"), key, u.get("step")))
            val = log["reports"].get(u.get("reportName"))
            if val is None:
                raise R.Blocked("%s#%s has no report %s" % (key, u.get("step"),
                                                           u.get("reportName")))
            return val
        return super().resolve_usereport(u, step)

    def tokens(self, step, trans):
        vals = R.Engine.tokens(self, step, trans)
        vals.setdefault("$repuid$", REPO_ID)
        vals.setdefault("$repositoryuid$", REPO_ID)
        return vals

    def reports(self, trans, inp, reply):
        """As replay.py, without the reports whose XPath uses functions
        (15811: translate(...)); nothing reads those."""
        out = {}
        for r in trans.findall("Report"):
            one = ET.Element("Transaction")
            one.append(r)
            try:
                out.update(super().reports(one, inp, reply))
            except (R.HarnessError, SyntaxError, KeyError):
                pass
        return out

    # plans
    def run_plan(self, test, key, sdir, plan):
        try:
            tp = ET.parse(plan).getroot()
        except (OSError, ET.ParseError) as e:
            self.report("nist:%s" % key, "FAIL", "harness: cannot read testplan: %s" % e)
            return
        steps = [R.Step(test, key, sdir, el) for el in tp.findall("TestStep")]
        reason = None
        if test in ("15829", "15830"):
            reason = OD_REASON
        elif tp.find("SUTInitiates") is not None or \
                tp.find(".//IGQTransaction") is not None or \
                tp.find(".//IGRTransaction") is not None:
            reason = IG_REASON
        if reason:
            for s in steps:
                self.report(s.case, "SKIP", reason)
            return
        if test in SECTION_PATIENTS:
            self.patients[test] = self.section_patients.setdefault(key, self.ids.patient())
        for step in steps:
            try:
                self.run_step(step)
            except (C.ConvertError, R.HarnessError) as e:
                self.report(step.case, "FAIL", "harness: %s" % e)

    def run_nist(self, only):
        super().run_nist(only)
        if not only:
            self.rad75_skips()

    def run_step(self, step):
        trans = None
        for c in step.el:
            if isinstance(c.tag, str) and c.tag.endswith("Transaction"):
                trans = c
                break
        kind = trans.tag if trans is not None else ""
        try:
            if kind == "XCQTransaction":
                return self.run_xcq(step, trans)
            if kind == "XCRTransaction":
                return self.run_xcr(step, trans)
            if kind in ("IGQTransaction", "IGRTransaction"):
                return self.report(step.case, "SKIP", IG_REASON)
            if kind == "ProvideAndRegisterTransaction":
                self.run_pnr(step, trans)
                log = self.logs.get((step.key, step.id))
                if log is not None:
                    # the NIST engine's report of the community the data
                    # was loaded into
                    log["reports"]["$testdata_home$"] = HOME
                return None
        except R.Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return None
        return super().run_step(step)

    def template(self, step, trans, vals):
        mf = (trans.findtext("MetadataFile") or "").strip()
        path = os.path.normpath(os.path.join(step.dir, mf))
        try:
            with open(path, encoding="utf-8") as f:
                text, missing = fill(f.read(), vals)
        except OSError as e:
            raise R.HarnessError("cannot read %s: %s" % (mf, e)) from None
        if missing:
            raise R.Blocked("template %s: no value for %s" % (mf, " ".join(missing)))
        return C.parse_xml(text)

    def expected(self, step):
        st, codes, msgs = super().expected(step)
        extra = EXTRA_CODES.get(step.case)
        if extra and extra[0] not in codes:
            codes = codes + [extra[0]]
        return st, codes, msgs

    def assertions(self, trans, vals, reply):
        """The step's own <Assert>s: (problems, notes)."""
        bad, unchecked = [], []
        for a in trans.findall("Assertions/Assert"):
            text, _ = fill(a.text or "", vals)
            ok, what = eval_assert(text, reply.root if reply.kind == "response" else None)
            name = a.get("id") or "Assert"
            if ok is None:
                unchecked.append(name)
            elif not ok:
                bad.append("%s: %s" % (name, what))
        return bad, (["asserts not evaluated: " + " ".join(unchecked)] if unchecked else [])

    # ITI-38
    def run_xcq(self, step, trans):
        vals = self.tokens(step, trans)
        body = C.query_request(self.template(step, trans, vals))
        msg = C.soap_wrap(body, ACTION_XCQ, self.rg.url)
        self.save(step, ".xml", msg)
        reply = self.rg.post(ACTION_XCQ, msg)
        self.save(step, ".reply.xml", reply.raw)
        bad = gateway_checks(reply, ACTION_XCQ_RSP, False)
        b, notes = self.assertions(trans, vals, reply)
        self.finish(step, trans, reply, {"reports": {"$testdata_home$": HOME}}, body,
                    trans.find("ExpectedContents"), extra_bad=bad + b, extra_notes=notes)

    # ITI-39
    def run_xcr(self, step, trans):
        vals = self.tokens(step, trans)
        req = self.template(step, trans, vals)
        asked = doc_requests(req)
        msg = C.soap_wrap(req, ACTION_XCR, self.rg.url)
        self.save(step, ".xml", msg)
        reply = self.rg.post_mtom(ACTION_XCR, msg, [])
        self.save(step, ".reply.xml", reply.raw)
        bad = gateway_checks(reply, ACTION_XCR_RSP, True)
        notes = []
        if reply.kind == "response":
            b, notes = self.check_documents(step, trans, vals, asked, reply)
            bad += b
        b, n = self.assertions(trans, vals, reply)
        self.finish(step, trans, reply, {"reports": {"$testdata_home$": HOME}}, req,
                    extra_bad=bad + b, extra_notes=notes + n)

    def check_documents(self, step, trans, vals, asked, reply):
        bad, notes = [], []
        got = doc_responses(reply)
        by_uid = {}
        for d in got:
            if d["uid"] in by_uid:
                bad.append("%s answered twice" % d["uid"])
            by_uid[d["uid"]] = d
        want = dict((uid, (home, repo)) for home, repo, uid in asked)
        for uid in sorted(set(by_uid) - set(want)):
            bad.append("%s returned, not requested" % uid)
        if reply.status == "Success":
            for uid in sorted(set(want) - set(by_uid)):
                bad.append("%s requested, not returned" % uid)
        for uid, d in sorted(by_uid.items()):
            if uid not in want:
                continue
            home, repo = want[uid]
            if d["home"] != home:
                bad.append("%s: HomeCommunityId %s, the request had %s" % (uid, d["home"], home))
            if d["repo"] != repo:
                bad.append("%s: RepositoryUniqueId %s, the request had %s" % (uid, d["repo"], repo))
            sent = self.submitted.get(uid)
            if d["data"] is None:
                bad.append("%s: no document" % uid)
            elif sent is None:
                bad.append("%s: returned, but no loader submitted it" % uid)
            elif d["data"] != sent:
                bad.append("%s: %d bytes, not the %d bytes submitted" % (uid, len(d["data"]), len(sent)))
            mime = self.repo.mimes.get(uid)
            if mime and d["mime"] != mime:
                bad.append("%s: mimeType %s, submitted as %s" % (uid, d["mime"], mime))
        # the plan's <ReferenceDocument>/<ExpectedMimeType>, where they name
        # what was submitted
        want_mime = (trans.findtext("ExpectedMimeType") or "").strip()
        for rd in trans.findall("ReferenceDocument"):
            uid, missing = fill(rd.get("uid", ""), vals)
            name = (rd.text or "").strip()
            if missing:
                notes.append("ReferenceDocument %s names %s, which the plan does not "
                             "define: documents compared with what was submitted"
                             % (name, " ".join(missing)))
                continue
            ref = None
            p = self.reference_path(step, name)
            if p is not None:
                with open(p, "rb") as f:
                    ref = f.read()
            sent = self.submitted.get(uid)
            if ref is None or (sent is not None and ref != sent):
                notes.append("ReferenceDocument %s is not the file the loader submitted "
                             "under %s (%s): compared with what was submitted%s" % (
                                 name, uid, "not in the corpus" if ref is None else "other bytes",
                                 "" if not want_mime else ", ExpectedMimeType %s not applied" % want_mime))
                continue
            d = by_uid.get(uid)
            if want_mime and d is not None and d["mime"] != want_mime:
                bad.append("%s: mimeType %s, ExpectedMimeType %s" % (uid, d["mime"], want_mime))
        if got:
            notes.append("%d document(s) as submitted, HomeCommunityId echoed" % len(got))
        return bad, notes

    def reference_path(self, step, name):
        """A <ReferenceDocument>'s file: relative to the section or the test
        as the NIST testkit lays them out (all tests in one folder, test data
        also under testdata/), here spread over the corpus folders; None
        when it is in none of them."""
        rel = re.sub(r"^(\.\./)+(testdata/)?", "", name)
        cands = [os.path.join(step.dir, "..", name), os.path.join(step.dir, name)]
        cands += [os.path.join(self.args.testdata, root, rel) for root in XCA_ROOTS]
        for c in cands:
            if os.path.isfile(c):
                return os.path.normpath(c)
        return None

    # NullTransaction: comparisons of UseReport values (15811, 15813)
    def run_assertions(self, step, trans):
        asserts = trans.findall("Assertions/Assert")
        if not asserts or not all(compare_form(a.text) for a in asserts):
            return super().run_assertions(step, trans)
        try:
            vals = dict((u.get("useAs"), self.resolve_usereport(u, step))
                        for u in trans.findall("UseReport"))
        except R.Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return
        bad = []
        for a in asserts:
            if not eval_compare(a.text, vals):
                bad.append("%s with %s" % (" ".join(a.text.split()), ", ".join(
                    "%s=%s" % kv for kv in sorted(vals.items()))))
        if bad:
            self.report(step.case, "FAIL", "; ".join(bad))
        else:
            self.report(step.case, "PASS", "; ".join(" ".join(a.text.split()) for a in asserts)
                        + " (" + ", ".join("%s=%s" % kv for kv in sorted(vals.items())) + ")")

    # RAD-75 (XCA-I)
    def rad75_skips(self):
        for rid in sorted(self.rad75):
            key = rid[len("nist:"):].split("/")[0]
            self.report(rid, "SKIP", RAD75_RIG_REASON if key.startswith("rig_")
                        else RAD75_IIG_REASON)

    # request samples
    def file_skip_reason(self, row):
        kind, exp, tr = row["kind"], row["expected"], row["transaction"]
        if "Initiating Gateway" in tr:
            return IG_REASON
        if tr not in ("ITI-38", "ITI-39"):
            return "transaction %s is not sent to a Responding Gateway" % tr
        if not kind.startswith(("request body", "request (SOAP)")):
            return "%s, not a request: a Responding Gateway does not receive it" % kind
        if exp in ("see note", "n/a", ""):
            return "no outcome asserted by the source (see note in expected-outcomes.tsv)"
        if tr == "ITI-39":
            return ("names documents of the source's own community and repositories, "
                    "which this node never received")
        return None

    def run_file(self, rid, row):
        data = self.file_data(rid)
        root = C.parse_xml(data.decode("utf-8", "replace"))
        if row["kind"].startswith("request (SOAP)"):
            # the envelope as the source wrote it (the header is part of the sample)
            msg = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        else:
            msg = C.soap_wrap(C.query_request(root), ACTION_XCQ, self.rg.url)
        reply = self.rg.post(ACTION_XCQ, msg)
        codes = [e.strip() for e in row["errors"].split(",")
                 if e.strip() and R.error_code_like(e.strip())]
        bad, _ = self.judge(None, reply, R.short_status(row["expected"].strip()), codes, [])
        bad += gateway_checks(reply, ACTION_XCQ_RSP, False)
        if bad:
            self.report(rid, "FAIL", self.fail_text(bad, reply))
        else:
            self.report(rid, "PASS", reply.summary() + "; " + R.Contents(reply.root).counts())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", required=True, help="xdsd binary to start")
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA"))
    ap.add_argument("--known", default=os.path.join(HERE, "known-failures-xca.tsv"))
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--startup-timeout", type=float, default=20.0)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--save", metavar="DIR", help="write every request and answer")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-files", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("only", nargs="*", help="NIST test numbers (glob); the loaders always run")
    args = ap.parse_args(argv)
    args.keep_objectrefs = False
    args.url = None
    if not args.testdata or not os.path.isfile(
            os.path.join(args.testdata, "expected-outcomes.tsv")):
        print("replay_xca: no conformance corpus (--testdata / XDS_TESTDATA)",
              file=sys.stderr)
        return 77
    R.TEST_ROOTS = XCA_ROOTS
    R.FILE_FOLDERS = XCA_FOLDERS
    R.LOADERS = LOADERS
    try:
        rad75 = [rid for rid in R.load_outcomes(args.testdata, RAD75_FOLDERS)
                 if rid.startswith("nist:")]
    except OSError as e:
        print("replay_xca: %s" % e, file=sys.stderr)
        return 99

    def engine(outcomes, known, url):
        base = url[:-len(R.REGISTRY_PATH)]
        return XcaEngine(args, outcomes, known, R.Client(url, args.timeout),
                         XcaClient(base + RR.REPOSITORY_PATH, args.timeout),
                         XcaClient(base + RG_PATH, args.timeout), rad75)
    return R.replay(args, "replay_xca", "xds-nist-xca-",
                    ["repository.unique_id=" + REPO_ID, "node.home_community_id=" + HOME,
                     "gateway.allow=anonymous"] + args.conf, engine)


if __name__ == "__main__":
    sys.exit(main())
