#!/usr/bin/env python3
"""Mitz's open question at the initiating gateway, end to end (make check):
three xdsd on loopback as communities A, B and C, and the Mitz double
(mitz_double.py) answering ITI-56 PatientLocationQuery.

    A   the initiating community: consent.mode=mitz with
        consent.location_url (the double), its directory B and C
    B   one document of each patient below
    C   one document of each patient below

The double locates each patient's data as the case says.

Cases (one PASS/FAIL line each, then a total)
    B only        ITI-18 at A: Mitz asked once with the BSN (NLMINBIZA);
                  only B gets an ITI-38 (C none); B's document, not C's
    none          the empty answer: no ITI-38 at all; the consumer's answer
                  holds an XDSRegistryError located at A saying no consent
                  or location, not XDSUnavailableCommunity
    down          Mitz resets the connection, answers a fault, or holds the
                  question past consent.timeout: no ITI-38; the error says
                  consent could not be checked
    unknown       a community the directory does not know: B is asked, the
                  other is XDSUnknownCommunity located at it
    not a BSN     a patient id under another authority: Mitz not asked, no
                  ITI-38, the error says a BSN is needed
    by ids        a query by ids to @home B: Mitz not asked, B asked
    cache, XUA    a second initiating node with consent.location_cache_ttl
                  and a signing identity (http.cert, xua.subject_id): the
                  same patient twice asks Mitz once, both answers B's; the
                  question carries a signed assertion for Mitz's audience
    ATNA          A2 sends its audit record repository (a syslog listener
                  over mutual TLS) the requester's message of the question:
                  xdsctl validate finds it valid, and it is a Query (E) of
                  event type ITI-56 with the node as source, Mitz's URL as
                  destination, the user as human requestor, the patient and
                  the request itself as query parameters
    metrics       A's /metrics counts the open questions by result
    records       each question asked leaves one access record of A's side
                  (ITI-56, direction out) with its outcome, beside the
                  ITI-38 records; a kept answer leaves none
    protocol      the double found no request that breaks the interface
    xdsd -n       consent.location_url without consent.mode = mitz is
                  refused

Waiting is on events; nothing sleeps.  The work directory is kept when a
check failed.
"""
import base64
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "node"))
import mitz_double  # noqa: E402
from test_atna import SyslogListener  # noqa: E402
import test_xca  # noqa: E402
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402
from test_xca import RG, find_docs, get_docs, query  # noqa: E402
from xdstest import check, wait_until  # noqa: E402

HA, HB, HC = test_xca.HA, test_xca.HB, test_xca.HC
RA, RB, RC = test_xca.RA, test_xca.RB, test_xca.RC
HE = "urn:oid:1.3.6.1.4.1.21367.13.70.9"       # in no directory
CONSENT_TIMEOUT = 2
XCPD = "urn:ihe:iti:xcpd:2009"


def rg_queries(node):
    return len([x for x in node.audit() if x.get("event") == "ITI-38" and x.get("endpoint") == RG])


def cache_xua_atna(r, mitz, d, docs, pki, syslog_port, listener):
    """A2: the kept answer, the assertion for Mitz and the ATNA message."""
    a2 = r.node("a2", HA, RA, [
        "directory.file=" + d, "gateway.allow=anonymous", "gateway.timeout=10",
        "consent.mode=mitz", "consent.mitz_url=" + mitz.url, "consent.ura=11111111",
        "consent.org_type=V6", "consent.location_url=" + mitz.loc_url,
        "consent.location_cache_ttl=300", "http.cert=" + pki["client_cert"],
        "http.key=" + pki["client_key"], "http.ca=" + pki["ca"],
        "xua.subject_id=900012345", "xua.role=01.015",
        "audit.syslog_url=tls://127.0.0.1:%d" % syslog_port, "audit.syslog_retry_max=1",
        "audit.source_id=xdsnode-test"])
    n = len(mitz.located(docs["b-only"]))
    first = r.ig_query(a2, find_docs(xdsmsg.patient(docs["b-only"])))
    second = r.ig_query(a2, find_docs(xdsmsg.patient(docs["b-only"])))
    asked = [x for x in a2.audit() if x.get("event") == "ITI-56"]
    check("cache: ... one record of a question at A2 (the kept answer is no exchange), naming the user",
          len(asked) == 1 and asked[0].get("direction") == "out" and asked[0].get("requester"), asked)
    check("cache: the same patient twice at a node with consent.location_cache_ttl: Mitz asked once, "
          "both answers B's document",
          len(mitz.located(docs["b-only"])) == n + 1
          and all(list(x.objects) == [docs[("b-only", "B")]] and x.status == "Success"
                  for x in (first, second)), (first, second))
    q = mitz.located(docs["b-only"])[-1]
    check("XUA: the open question carries a signed assertion whose audience is Mitz",
          q["assertion"] and q["signed"] and q["audience"] == "urn:oid:2.16.840.1.113883.2.4.3.111.2.1", q)
    st, text = a2.get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    check("cache: ... counted as cached", 'xds_mitz_locations_total{result="cached"} 1' in text,
          [x for x in text.splitlines() if "locations" in x])

    atna(r, listener, asked, q, docs["b-only"], mitz.loc_url)


def atna(r, listener, asked, q, bsn, loc_url):
    """The ATNA message of the one question A2 asked (asked: its access
    record, q: the request as Mitz got it)."""
    def iti56():
        return [f for f in listener.messages() if b'<EventTypeCode csd-code="ITI-56"' in f]

    got = wait_until(iti56)
    if not check("ATNA: the question reaches the audit record repository as one message",
                 got and len(got) == 1, "%d messages, none of ITI-56" % len(listener.messages())):
        return
    path = os.path.join(r.work, "iti56.atna")
    with open(path, "wb") as f:
        f.write(got[0])
    t = subprocess.run([r.xdsctl, "validate", path], capture_output=True, text=True, timeout=60)
    check("ATNA: xdsctl validate finds the message valid (DICOM audit message schema)",
          t.returncode == 0 and "ATNA" in t.stdout, t.stdout + t.stderr)
    m = ET.fromstring(got[0][got[0].index(b"<?xml"):])
    ev = m.find("EventIdentification")
    check("ATNA: EventID Query (110112, DCM), action E, success, event type ITI-56 Patient Location Query",
          ev is not None and ev.get("EventActionCode") == "E" and ev.get("EventOutcomeIndicator") == "0"
          and (ev.find("EventID").get("csd-code"), ev.find("EventID").get("codeSystemName")) == ("110112", "DCM")
          and (ev.find("EventTypeCode").get("csd-code"), ev.find("EventTypeCode").get("codeSystemName"),
               ev.find("EventTypeCode").get("originalText"))
          == ("ITI-56", "IHE Transactions", "Patient Location Query"), got[0][:600])
    aps = {}
    for p in m.findall("ActiveParticipant"):
        role = p.find("RoleIDCode")
        aps[role.get("csd-code") if role is not None else "human"] = p.attrib
    src, dst, who = aps.get("110153", {}), aps.get("110152", {}), aps.get("human", {})
    check("ATNA: the node is the source and requestor (its process id), Mitz's URL the destination, "
          "the user the human requestor",
          len(aps) == 3 and src.get("UserIsRequestor") == "true" and src.get("AlternativeUserID", "").isdigit()
          and dst.get("UserID") == loc_url and dst.get("UserIsRequestor") == "false"
          and dst.get("UserName") == "Mitz" and who.get("UserIsRequestor") == "true"
          and who.get("UserID") == asked[0].get("requester"), aps)
    check("ATNA: the audit source is the node",
          m.find("AuditSourceIdentification").get("AuditSourceID") == "xdsnode-test", "")
    objs = m.findall("ParticipantObjectIdentification")
    pat = [o for o in objs if o.get("ParticipantObjectTypeCode") == "1"]
    qry = [o for o in objs if o.get("ParticipantObjectTypeCode") == "2"]
    check("ATNA: the patient (1, 1, Patient Number) by the BSN in CX form",
          len(pat) == 1 and pat[0].get("ParticipantObjectTypeCodeRole") == "1"
          and pat[0].find("ParticipantObjectIDTypeCode").get("csd-code") == "2"
          and pat[0].get("ParticipantObjectID", "").startswith(bsn + "^^^&2.16.840.1.113883.2.4.6.3&"),
          [o.attrib for o in objs])
    text = qry[0].findtext("ParticipantObjectQuery") if len(qry) == 1 else None
    req = ET.fromstring(base64.b64decode(text)) if text else None
    rid = req.find("{%s}RequestedPatientId" % XCPD) if req is not None else None
    check("ATNA: the query parameters (2, 24, ITI-56) are the request's MessageID and the "
          "PatientLocationQueryRequest Mitz got, in base64",
          len(qry) == 1 and qry[0].get("ParticipantObjectTypeCodeRole") == "24"
          and qry[0].find("ParticipantObjectIDTypeCode").get("csd-code") == "ITI-56"
          and qry[0].get("ParticipantObjectID") == q["message_id"]
          and req.tag == "{%s}PatientLocationQueryRequest" % XCPD and rid is not None
          and (rid.get("root"), rid.get("extension"), rid.get("assigningAuthorityName"))
          == ("2.16.840.1.113883.2.4.6.3", bsn, "NLMINBIZA"),
          (qry[0].attrib if qry else None, text))


def cases(r, mitz):
    b = r.node("b", HB, RB, ["gateway.allow=anonymous"])
    c = r.node("c", HC, RC, ["gateway.allow=anonymous"])
    d = r.directory("communities", [(HB, b.port, "", "Ziekenhuis B"), (HC, c.port, "", "Ziekenhuis C")])
    a = r.node("a", HA, RA, [
        "directory.file=" + d, "gateway.allow=anonymous", "gateway.timeout=10",
        "consent.mode=mitz", "consent.mitz_url=" + mitz.url, "consent.ura=11111111",
        "consent.org_type=V6", "consent.timeout=%d" % CONSENT_TIMEOUT,
        "consent.location_url=" + mitz.loc_url])
    check("A logs that it asks the open question", "open question at" in a.log(), a.log()[-500:])

    used, docs = set(), {}
    for case in ("b-only", "none", "dead", "fault", "slow", "unknown"):
        bsn = xdsmsg.bsn()
        while bsn in used:
            bsn = xdsmsg.bsn()
        used.add(bsn)
        for name, node in (("B", b), ("C", c)):
            st, errs, uids, _, http = xdsmsg.submit(node.port, [("%s: %s\n" % (name, case)).encode()],
                                                    pat=xdsmsg.patient(bsn))
            if st != "Success":
                raise RuntimeError("cannot submit to %s: %s %s %s" % (name, http, st, errs))
            docs[(case, name)] = uids[0]
        docs[case] = bsn
    mitz.locate(docs["b-only"], [HB])
    mitz.locate(docs["none"], [])
    mitz.locate(docs["dead"], "dead")
    mitz.locate(docs["fault"], "fault")
    mitz.locate(docs["slow"], "slow")
    mitz.locate(docs["unknown"], [HE, HB])

    def ask(case):
        nb, nc = rg_queries(b), rg_queries(c)
        ans = r.ig_query(a, find_docs(xdsmsg.patient(docs[case])))
        return ans, rg_queries(b) - nb, rg_queries(c) - nc

    since = len(a.audit())
    ans, qb, qc = ask("b-only")
    loc = mitz.located(docs["b-only"])
    out = [x for x in a.audit()[since:] if x.get("direction") == "out"]
    check("B only: A's access log holds its question to Mitz (ITI-56, the patient, Mitz's URL, success) "
          "and its ITI-38 to B, each one record of the initiating side",
          sorted(x.get("event") for x in out) == ["ITI-38", "ITI-56"]
          and all(x.get("outcome") == "success" and x.get("patient", "").startswith(docs["b-only"])
                  for x in out)
          and [x.get("user") for x in out if x["event"] == "ITI-56"] == [mitz.loc_url], out)
    check("B only: Mitz asked once, for the BSN", len(loc) == 1, loc)
    check("B only: ... no wsse:Security yet (XUA is not built)", loc and not loc[0]["assertion"], loc)
    check("B only: one ITI-38 to B, none to C", (qb, qc) == (1, 0), (qb, qc))
    check("B only: Success with B's document only",
          ans.status == "Success" and not ans.errors
          and list(ans.objects) == [docs[("b-only", "B")]] and ans.objects[docs[("b-only", "B")]]["home"] == HB,
          ans)

    ans, qb, qc = ask("none")
    check("none: no ITI-38 to B or C", (qb, qc) == (0, 0), (qb, qc))
    check("none: no objects; XDSRegistryError at A saying no consent or location, nothing to retry",
          not ans.objects and ans.has_error("XDSRegistryError", HA, "no consent")
          and ans.has_error("XDSRegistryError", HA, "no location")
          and not ans.has_error("XDSUnavailableCommunity") and len(ans.errors) == 1, ans)

    for case in ("dead", "fault", "slow"):
        since = len(a.audit())
        ans, qb, qc = ask(case)
        out = [x for x in a.audit()[since:] if x.get("direction") == "out"]
        check("Mitz %s: A's one record of the question is a fault with the reason" % case,
              [(x.get("event"), x.get("outcome")) for x in out] == [("ITI-56", "fault")]
              and "Mitz" in out[0].get("reason", ""), out)
        check("Mitz %s: no ITI-38 to B or C" % case, (qb, qc) == (0, 0), (qb, qc))
        check("Mitz %s: no objects; XDSRegistryError at A saying consent could not be checked" % case,
              not ans.objects and ans.has_error("XDSRegistryError", HA, "consent could not be checked")
              and len(ans.errors) == 1, ans)
    check("slow: the double held the question (A's consent.timeout ended it)",
          len(mitz.located(docs["slow"])) == 1, mitz.located(docs["slow"]))
    mitz.release()

    ans, qb, qc = ask("unknown")
    check("unknown community: B asked, C not", (qb, qc) == (1, 0), (qb, qc))
    check("unknown community: B's document, XDSUnknownCommunity located at the unknown one",
          list(ans.objects) == [docs[("unknown", "B")]] and ans.has_error("XDSUnknownCommunity", HE)
          and ans.status == "PartialSuccess", ans)

    n = len(mitz.located())
    nb, nc = rg_queries(b), rg_queries(c)
    ans = r.ig_query(a, find_docs("12345^^^&1.2.3.4&ISO"))
    check("not a BSN: Mitz not asked, no ITI-38, the error says a BSN is needed",
          len(mitz.located()) == n and (rg_queries(b), rg_queries(c)) == (nb, nc)
          and ans.has_error("XDSRegistryError", HA, "needs a BSN"), ans)

    full = query(b.port, RG, find_docs(xdsmsg.patient(docs["b-only"])), test_xca.ACT_ITI38)
    uuid = (full.objects.get(docs[("b-only", "B")]) or {}).get("id")
    n = len(mitz.located())
    ans = r.ig_query(a, get_docs([uuid], home=HB))
    check("by ids to @home B: Mitz not asked, B's document",
          uuid is not None and len(mitz.located()) == n
          and list(ans.objects) == [docs[("b-only", "B")]], ans)

    os.makedirs(os.path.join(r.work, "pki"), exist_ok=True)
    pki = xdstest.make_pki(os.path.join(r.work, "pki"))
    hold = xdstest.reserve_port()
    listener = SyslogListener(pki, hold.port)
    listener.start()
    try:
        cache_xua_atna(r, mitz, d, docs, pki, hold.port, listener)
    finally:
        listener.stop()
        hold.close()

    st, text = a.get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    got = {k: None for k in ("located", "none", "no answer", "cached")}
    for line in text.splitlines():
        for k in got:
            if line.startswith('xds_mitz_locations_total{result="%s"} ' % k):
                got[k] = int(line.rsplit(" ", 1)[1])
    check("metrics: A counts the open questions by result (%s)" % got,
          got == {"located": 2, "none": 1, "no answer": 3, "cached": 0}, got)
    check("the double found no request that breaks Mitz's interface", not mitz.violations,
          mitz.violations[:2])
    check("no full BSN of these patients in A's log", not any(p in a.log() for p in used),
          [p for p in used if p in a.log()])

    t = subprocess.run([r.xdsd, "-n", "-C", "consent.location_url=" + mitz.loc_url,
                        "-C", "node.state_dir=" + os.path.join(r.work, "n")],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n: consent.location_url without consent.mode = mitz is refused",
          t.returncode != 0 and "consent.location_url" in t.stderr + t.stdout, t.stderr + t.stdout)


if __name__ == "__main__":
    sys.exit(test_xca.run_main(cases, xdsctl=True, doubles=(mitz_double.MitzDouble(),)))
