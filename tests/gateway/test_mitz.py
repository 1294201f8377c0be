#!/usr/bin/env python3
"""Consent at the responding gateway, end to end (make check): two xdsd on
loopback as communities A and B, and a Mitz double (mitz_double.py) that
B's policy point asks the closed question.

    A   the initiating community: its Initiating Gateway asks B (ITI-38,
        ITI-39) for local consumers; its own Responding Gateway runs in
        consent.mode allow-all (the default) for anonymous
    B   one document for each of six patients; consent.mode=mitz with the
        double's URL, consent.timeout=2 (below A's gateway.timeout of 10)

The double answers per patient: Permit, Deny, NotApplicable,
Indeterminate, slow (holds the question: B's consent.timeout ends it),
dead (resets the connection) and fault (a SOAP fault, HTTP 500).

Cases (one PASS/FAIL line each, then a total)
    Permit         ITI-18 at A: B's document with home B; ITI-43 at A: its
                   bytes; Mitz was asked with the patient's BSN, the data
                   holder, the requester, purpose TREAT, and per data
                   category (ITI-38 every category, ITI-39 the document's)
    Deny, NotApplicable, Indeterminate, slow, dead, fault
                   ITI-18 and ITI-43 at A: nothing of B, B's consent error
                   (XDSRegistryError, XDSDocumentUniqueIdError) located at
                   B, not XDSUnavailableCommunity (so not retried and not
                   A's timeout)
    by ids         GetDocuments at B's gateway: Mitz is asked about the
                   patient of the documents the registry finds (Permit:
                   they arrive; Deny: the consent error); for an unknown
                   id the consent error, Mitz not asked
    classCode      a FindDocuments naming its classCode asks only its
                   data category
    audit          B's records of ITI-38 and ITI-39 say what Mitz answered,
                   in the JSON lines and in xdsctl audit; A's responding
                   gateway records "allow-all"
    metrics        B's /metrics counts the questions by answer
    protocol       the double found no request that breaks the interface
    xdsd -n        http.tls with allow-all is refused, naming consent.mode

Waiting is on events; nothing sleeps.  The work directory is kept when a
check failed.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import mitz_double  # noqa: E402
import test_xca  # noqa: E402
import xdsmsg  # noqa: E402
from test_xca import ACT_ITI38, IG, RG, SQ_GETDOCS, adhoc, find_docs, get_docs, query, retrieve  # noqa: E402
from xdstest import check, wait_until  # noqa: E402

HA, HB = test_xca.HA, test_xca.HB
RA, RB = test_xca.RA, test_xca.RB
HOLDER_URA, HOLDER_TYPE = "12345678", "V6"
REQ_URA, REQ_TYPE, REQ_ROLE, REQ_UZI = "87654321", "V4", "01.015", "900012345"
CONSENT_TIMEOUT, GATEWAY_TIMEOUT = 2, 10
CASES = ("Permit", "Deny", "NotApplicable", "Indeterminate", "slow", "dead", "fault")
RECORDED = {"Permit": "Permit", "Deny": "Deny", "NotApplicable": "NotApplicable",
            "Indeterminate": "Indeterminate", "slow": "no answer", "dead": "no answer",
            "fault": "no answer"}


def cases(r, mitz):
    b = r.node("b", HB, RB, [
        "gateway.allow=anonymous", "consent.mode=mitz", "consent.mitz_url=" + mitz.url,
        "consent.ura=" + HOLDER_URA, "consent.org_type=" + HOLDER_TYPE,
        "consent.timeout=%d" % CONSENT_TIMEOUT, "consent.category_map=REPORTS=GGC012",
        "consent.requesters=anonymous|%s|%s|%s|%s" % (REQ_URA, REQ_TYPE, REQ_ROLE, REQ_UZI)])
    d = r.directory("communities", [(HB, b.port, "", "Ziekenhuis B")])
    a = r.node("a", HA, RA, ["directory.file=" + d, "gateway.allow=anonymous",
                             "gateway.timeout=%d" % GATEWAY_TIMEOUT])
    check("B logs that it asks Mitz, A warns that it releases without asking",
          "closed question goes to Mitz" in b.log() and "allow-all" in a.log(), a.log()[-500:])

    pats, docs = {}, {}
    for case in CASES:
        bsn = xdsmsg.bsn()
        while bsn in pats.values():
            bsn = xdsmsg.bsn()
        pats[case] = bsn
        mitz.decide(bsn, case)
        st, errs, uids, _, http = xdsmsg.submit(b.port, [("B: brief voor %s\n" % case).encode()],
                                                pat=xdsmsg.patient(bsn))
        if not check("submit a document of the %s patient to B" % case, st == "Success", (http, st, errs)):
            raise RuntimeError("cannot go on without the documents")
        docs[case] = uids[0]

    # Permit: metadata and the document arrive.
    bsn = pats["Permit"]
    ans = r.ig_query(a, find_docs(xdsmsg.patient(bsn)))
    check("Permit: ITI-18 at A: Success with B's document, home B",
          ans.status == "Success" and not ans.errors and list(ans.objects) == [docs["Permit"]]
          and ans.objects[docs["Permit"]]["home"] == HB, ans)
    qs = mitz.asked(bsn)
    check("Permit: ... B asked Mitz once per data category (GGC002, GGC012) before answering",
          sorted(c for q in qs for c in q["categories"]) == ["GGC002", "GGC012"], qs)
    check("Permit: ... with the BSN, this data holder, the requester and purpose TREAT",
          all(q["holder_ura"] == HOLDER_URA and q["holder_type"] == HOLDER_TYPE
              and q["requester_ura"] == REQ_URA and q["requester_type"] == REQ_TYPE
              and q["role"] == REQ_ROLE and q["professional"] == REQ_UZI and q["mandated"] is None
              and q["purpose"] == "TREAT" for q in qs) and len(qs) == 2, qs)
    n = len(mitz.asked(bsn))
    ans = retrieve(a.port, IG, [(RB, docs["Permit"], HB)])
    check("Permit: ITI-43 at A: Success, the document byte for byte",
          ans.status == "Success" and not ans.errors
          and (ans.docs.get(docs["Permit"]) or {}).get("data") == b"B: brief voor Permit\n", ans)
    qs = mitz.asked(bsn)[n:]
    check("Permit: ... ITI-39 asked Mitz for the document's data category only (GGC012)",
          [q["categories"] for q in qs] == [["GGC012"]], qs)

    # Every other answer: nothing of B, the consent error.
    for case in CASES[1:]:
        bsn, uid = pats[case], docs[case]
        ans = r.ig_query(a, find_docs(xdsmsg.patient(bsn)))
        check("%s: ITI-18 at A: no object of B, XDSRegistryError located at B saying consent is missing"
              % case, not ans.objects and ans.has_error("XDSRegistryError", HB, "no consent")
              and len(ans.errors) == 1, ans)
        check("%s: ... B answered (no XDSUnavailableCommunity: not a transport error, not A's timeout)"
              % case, not ans.has_error("XDSUnavailableCommunity"), ans)
        ans = retrieve(a.port, IG, [(RB, uid, HB)])
        check("%s: ITI-43 at A: no document, XDSDocumentUniqueIdError for it located at B, consent missing"
              % case, not ans.docs and ans.status == "Failure"
              and ans.has_error("XDSDocumentUniqueIdError", HB, "no consent")
              and not ans.has_error("XDSUnavailableCommunity"), ans)
    check("slow: the double held each question until B's consent.timeout (it still holds them)",
          len(mitz.asked(pats["slow"])) == 2, mitz.asked(pats["slow"]))
    mitz.release()

    # A query by ids at B's gateway: its patient and classes from what the
    # registry finds for it.
    full = query(b.port, RG, find_docs(xdsmsg.patient(pats["Permit"])), ACT_ITI38)
    permit_uuid = (full.objects.get(docs["Permit"]) or {}).get("id")
    n = len(mitz.asked())
    ans = query(b.port, RG, get_docs([permit_uuid], home=HB), ACT_ITI38)
    qs = mitz.asked()[n:]
    check("by ids: GetDocuments at B's gateway for the Permit patient's document: Success with it, "
          "Mitz asked for its data category (GGC012) about its patient",
          permit_uuid is not None and ans.status == "Success" and list(ans.objects) == [docs["Permit"]]
          and [(q["bsn"], q["categories"]) for q in qs] == [(pats["Permit"], ["GGC012"])], (ans, qs))
    deny = query(b.port, RG, adhoc(SQ_GETDOCS, [("$XDSDocumentEntryUniqueId", ["('%s')" % docs["Deny"]])],
                                   HB), ACT_ITI38)
    check("by ids: GetDocuments by uniqueId for the Deny patient's document: Failure, no objects, "
          "the consent error", deny.status == "Failure" and not deny.objects
          and deny.has_error("XDSRegistryError", HB, "Mitz: Deny"), deny)
    n = len(mitz.asked())
    ans = query(b.port, RG, get_docs([xdsmsg.urn()], home=HB), ACT_ITI38)
    check("by ids: GetDocuments for an id the registry does not know: Failure, the consent error, "
          "Mitz not asked", ans.status == "Failure" and not ans.objects
          and ans.has_error("XDSRegistryError", HB, "names its patient") and len(mitz.asked()) == n, ans)

    # A query naming its classCodes asks only their data categories.
    n = len(mitz.asked())
    ans = query(b.port, RG, find_docs(xdsmsg.patient(pats["Permit"]), [
        ("$XDSDocumentEntryClassCode", ["('REPORTS^^1.3.6.1.4.1.19376.1.2.6.1')"])]), ACT_ITI38)
    qs = mitz.asked()[n:]
    check("classCode: FindDocuments for REPORTS at B: Success, Mitz asked for GGC012 only",
          ans.status == "Success" and list(ans.objects) == [docs["Permit"]]
          and [q["categories"] for q in qs] == [["GGC012"]], (ans, qs))

    # B's audit: what Mitz answered, per transaction.
    def rg(event):
        return [x for x in b.audit() if x.get("event") == event and x.get("endpoint") == RG]
    wait_until(lambda: len(rg("ITI-39")) >= len(CASES))
    for case in CASES:
        pat = xdsmsg.patient(pats[case])
        recs = [x for x in rg("ITI-38") + rg("ITI-39") if x.get("patient") == pat]
        check("audit at B: the ITI-38 and ITI-39 of the %s patient say consent \"%s\"" % (case, RECORDED[case]),
              len(recs) >= 2 and all(x.get("consent") == RECORDED[case] for x in recs)
              and {x["event"] for x in recs} == {"ITI-38", "ITI-39"}
              and all(x.get("outcome") == ("success" if case == "Permit" else "failure") for x in recs), recs)
    byid = [x.get("consent") for x in rg("ITI-38") if x.get("object") == test_xca.SQ_GETDOCS]
    check("audit at B: the queries by ids say consent \"Permit\", \"Deny\", \"not asked\"",
          byid == ["Permit", "Deny", "not asked"], byid)
    t = subprocess.run([r.xdsctl, "-C", "node.state_dir=" + b.state, "audit", "event=ITI-39"],
                       capture_output=True, text=True, timeout=60)
    lines = t.stdout.splitlines()
    check("xdsctl audit at B shows the answer of each ITI-39",
          t.returncode == 0 and all(any(pats[c] in l and l.endswith("consent=" + RECORDED[c]) for l in lines)
                                    for c in CASES), t.stdout + t.stderr)

    # A (allow-all) records that it asked no one.
    ans = query(a.port, RG, find_docs(xdsmsg.patient(pats["Permit"])), ACT_ITI38)
    arg = wait_until(lambda: [x for x in a.audit() if x.get("event") == "ITI-38" and x.get("endpoint") == RG])
    check("allow-all: A's responding gateway answers and records consent \"allow-all\"",
          ans.status == "Success" and arg and arg[-1].get("consent") == "allow-all", (ans, arg))

    st, text = b.get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text

    def metric(answer):
        for line in text.splitlines():
            if line.startswith('xds_consent_questions_total{answer="%s"} ' % answer):
                return int(line.rsplit(" ", 1)[1])
        return None
    want = {"Permit": 7, "Deny": 3, "NotApplicable": 2, "Indeterminate": 2, "no answer": 6}
    got = {k: metric(k) for k in want}
    check("metrics: B's /metrics counts the questions to Mitz by answer (%s)" % got,
          st == 200 and got == want and "xds_consent_cached_total 0" in text, got)

    check("the double found no request that breaks Mitz's interface", not mitz.violations,
          mitz.violations[:2])

    # xdsd -n: TLS without Mitz is refused.
    t = subprocess.run([r.xdsd, "-n", "-C", "http.tls=yes", "-C", "http.cert=/nonexistent.pem",
                        "-C", "http.key=/nonexistent.key", "-C", "http.ca=/nonexistent.ca",
                        "-C", "node.state_dir=" + os.path.join(r.work, "n")],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n with http.tls and consent.mode allow-all: refused, naming consent.mode",
          t.returncode != 0 and "consent.mode" in t.stderr + t.stdout, t.stderr + t.stdout)


if __name__ == "__main__":
    sys.exit(test_xca.run_main(cases, xdsctl=True,
                               doubles=(mitz_double.MitzDouble(holder_ura=HOLDER_URA),)))
