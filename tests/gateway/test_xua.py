#!/usr/bin/env python3
"""X-User Assertions (ITI-40) between two gateways over mutual TLS (make
check): two xdsd on loopback and a Mitz double.

    A   the initiating community: http.cert/http.key an UZI server
        certificate of URA A (it is also A's TLS client certificate);
        xua.subject_id, xua.role, consent.ura = URA A: its initiating
        gateway signs an assertion for every request to B
    B   one document; http.tls with an UZI server certificate of URA B,
        consent.mode=mitz with the double, xua.mode=required, and no
        consent.requesters: Mitz can only be asked for whom an assertion
        names

Cases (one PASS/FAIL line each, then a total)
    A to B          ITI-18 and ITI-43 at A: B's document arrives; Mitz was
                    asked for the professional, role, URA, organisation
                    type and purpose of A's assertion; B's audit record
                    names them
    consumer's own  an ITI-18 to A carrying its own (unsigned, loopback)
                    assertion: B's Mitz question and record name that
                    professional; so does xdsctl --user-id --role
    a peer's        a test client with A's certificate sends ITI-38 to B
      assertions    itself (tests/xua_tool): a good one is answered; none,
                    unsigned, forged (signed by a key of another CA),
                    changed after signing, expired, for another audience,
                    of another URA than the certificate's: a SOAP fault
                    with wsse:InvalidSecurity or wsse:FailedAuthentication
                    naming the check, nothing released, Mitz not asked,
                    the reason in B's audit record
    revocation      B has http.crl: an assertion signed by a certificate
                    not yet on the CRL is answered; a new CRL that revokes
                    it and a SIGHUP make B refuse it (untrusted signer,
                    "revoked" in B's log and audit record) without a
                    restart, while A's signer is still answered
    xdsd -n         http.tls with the responding gateway and xua.mode=off
                    is refused, naming xua.mode

Waiting is on events; nothing sleeps.  The work directory is kept when a
check failed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import mitz_double  # noqa: E402
import test_xca  # noqa: E402
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402
from test_xca import ACT_ITI38, IG, RG, Answer, find_docs, retrieve  # noqa: E402
from xdstest import check  # noqa: E402

HA, HB = test_xca.HA, test_xca.HB
RA, RB = test_xca.RA, test_xca.RB
URA_A, URA_B, TYPE_A, TYPE_B = "00001111", "00002222", "V4", "V6"
UZI, ROLE = "900012345", "01.015"


def envelope(action, body, header=""):
    return ('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header>'
            '<wsa:Action soap:mustUnderstand="true">%s</wsa:Action>'
            '<wsa:MessageID>urn:uuid:%s</wsa:MessageID>%s'
            '</soap:Header><soap:Body>%s</soap:Body></soap:Envelope>'
            % (action, uuid.uuid4(), header, body)).encode()


def subject(cert):
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-subject",
                          "-nameopt", "RFC2253"], capture_output=True, text=True, check=True)
    return out.stdout.strip().split("=", 1)[1]


def cases(r, mitz):
    tool = os.path.join(os.path.dirname(os.path.abspath(r.xdsd)), "tests", "xua_tool")
    if not os.path.exists(tool):
        raise RuntimeError("no xua_tool at %s" % tool)
    os.makedirs(os.path.join(r.work, "pki"))
    pki = xdstest.make_pki(os.path.join(r.work, "pki"), rogue=True,
                           uzi={"server": URA_B, "client": URA_A}, revocation=True)
    live_crl = os.path.join(r.work, "pki", "b-live.crl")
    shutil.copy(pki["crl_none"], live_crl)

    def sec(*args):
        """A wsse:Security header from xua_tool."""
        return subprocess.run([tool] + list(args), capture_output=True, text=True,
                              check=True).stdout.strip()

    # B takes its document over plain HTTP, then comes back over mutual TLS.
    b = r.node("b", HB, RB)
    bsn = xdsmsg.bsn()
    pat = xdsmsg.patient(bsn)
    mitz.decide(bsn, "Permit")
    st, errs, uids, _, http = xdsmsg.submit(b.port, [b"B: brief over XUA\n"], pat=pat)
    if not check("submit a document to B", st == "Success", (http, st, errs)):
        raise RuntimeError("cannot go on without the document")
    uid = uids[0]
    b.stop()
    b.tls = pki
    mitz_cert, mitz_key = xdstest.org_cert(os.path.join(r.work, "pki"), "mitz", None, "Mitz")
    b.opts += ["gateway.allow=" + subject(pki["client_cert"]), "consent.mode=mitz",
               "consent.notify_from=" + subject(mitz_cert),
               "consent.mitz_url=" + mitz.url, "consent.ura=" + URA_B,
               "consent.org_type=" + TYPE_B, "xua.mode=required", "http.crl=" + live_crl]
    if not b.start():
        b.dump_log(4000)
        raise RuntimeError("B did not come back over TLS")

    dpath = os.path.join(r.work, "communities")
    with open(dpath, "w") as f:
        f.write("%s https://127.0.0.1:%d%s - Ziekenhuis B\n" % (HB, b.port, RG))
    a = r.node("a", HA, RA, [
        "directory.file=" + dpath, "gateway.allow=anonymous",
        "http.cert=" + pki["client_cert"], "http.key=" + pki["client_key"],
        "http.ca=" + pki["ca"], "consent.ura=" + URA_A, "consent.org_type=" + TYPE_A,
        "xua.subject_id=" + UZI, "xua.role=" + ROLE])

    def b_records(n0=0):
        return [x for x in b.audit() if x.get("endpoint") == RG][n0:]

    # A to B: the initiating gateway's assertion.
    ans = test_xca.query(a.port, IG, find_docs(pat))
    check("A to B: ITI-18 at A: Success with B's document, home B",
          ans.status == "Success" and list(ans.objects) == [uid]
          and ans.objects[uid]["home"] == HB, (ans.http, ans.status, ans.errors, ans.fault))
    qs = mitz.asked(bsn)
    check("A to B: ... Mitz was asked for the professional, role, URA and type of A's assertion",
          len(qs) > 0 and all(q["professional"] == UZI and q["role"] == ROLE
                              and q["requester_ura"] == URA_A and q["requester_type"] == TYPE_A
                              and q["purpose"] == "TREAT" for q in qs), qs)
    recs = [x for x in b_records() if x.get("event") == "ITI-38"]
    check("A to B: ... B's audit record of the ITI-38 names the requester of the assertion",
          len(recs) == 1 and "UZI %s" % UZI in recs[0].get("requester", "")
          and "URA %s" % URA_A in recs[0].get("requester", "")
          and recs[0].get("outcome") == "success", recs)
    ans = retrieve(a.port, IG, [(RB, uid, HB)])
    check("A to B: ITI-43 at A: Success, the document byte for byte",
          ans.status == "Success" and not ans.errors
          and (ans.docs.get(uid) or {}).get("data") == b"B: brief over XUA\n",
          (ans.http, ans.status, ans.errors, ans.fault))

    # The consumer's own assertion, unsigned from loopback, names the user.
    n0 = len(mitz.asked(bsn))
    st, rb = xdstest.post(a.port, IG, envelope(test_xca.ACT_ITI18, find_docs(pat),
                                               sec("-A", HA, "-U", URA_A, "-z", "900077777",
                                                   "-r", "01.016")))
    ans = Answer(st, rb.decode("utf-8", "replace"))
    qs = mitz.asked(bsn)[n0:]
    check("consumer's own assertion: B's document, and Mitz was asked for its professional",
          ans.status == "Success" and list(ans.objects) == [uid] and len(qs) > 0
          and all(q["professional"] == "900077777" and q["role"] == "01.016"
                  and q["requester_ura"] == URA_A for q in qs), (ans.status, qs))
    recs = [x for x in b_records() if x.get("event") == "ITI-38"]
    check("consumer's own assertion: ... and B's record names it",
          len(recs) == 2 and "UZI 900077777" in recs[-1].get("requester", ""), recs[-1:])

    # xdsctl says who asks: its unsigned assertion, taken over by A.
    n0 = len(mitz.asked(bsn))
    t = subprocess.run([r.xdsctl, "--url", "http://127.0.0.1:%d%s" % (a.port, IG),
                        "--user-id", "900055555", "--role", "01.017", "--ura", URA_A,
                        "--purpose", "COC",
                        "query", "FindDocuments", "patient=" + bsn],
                       capture_output=True, text=True, timeout=60)
    qs = mitz.asked(bsn)[n0:]
    check("xdsctl --user-id --role --purpose COC through A: B's document, Mitz asked for that "
          "professional and purpose",
          t.returncode == 0 and uid in t.stdout and len(qs) > 0
          and all(q["professional"] == "900055555" and q["role"] == "01.017"
                  and q["purpose"] == "COC" for q in qs),
          (t.returncode, t.stdout[-300:], t.stderr[-300:], qs))

    # A test client with A's certificate sends its own assertions to B.
    client = {"ca": pki["ca"], "client_cert": pki["client_cert"],
              "client_key": pki["client_key"]}
    akey = ("-k", pki["client_key"], "-c", pki["client_cert"])
    good = ("-A", HB, "-U", URA_A)

    def to_b(header):
        st, rb = xdstest.post(b.port, RG, envelope(ACT_ITI38, find_docs(pat), header),
                              tls=client)
        return st, rb.decode("utf-8", "replace")

    st, text = to_b(sec(*(akey + good)))
    ans = Answer(st, text)
    check("a peer's good assertion (xua_tool, A's key): B answers with the document",
          st == 200 and list(ans.objects) == [uid], (st, text[:400]))

    signed = sec(*(akey + good))
    tampered = signed.replace('code="01.015"', 'code="01.016"')
    bad = [
        ("no wsse:Security", "", "wsse:InvalidSecurity", "missing"),
        ("unsigned", sec(*good), "wsse:InvalidSecurity", "unsigned"),
        ("forged (a key of another CA)",
         sec("-k", pki["rogue_key"], "-c", pki["rogue_cert"], *good),
         "wsse:FailedAuthentication", "untrusted signer"),
        ("changed after signing", tampered, "wsse:FailedAuthentication", "bad signature"),
        ("expired", sec(*(akey + good + ("-n", "-1300", "-v", "600"))),
         "wsse:FailedAuthentication", "expired"),
        ("not yet valid", sec(*(akey + good + ("-n", "600"))),
         "wsse:FailedAuthentication", "not yet valid"),
        ("for another audience", sec(*(akey + ("-A", "urn:oid:1.2.3.9", "-U", URA_A))),
         "wsse:FailedAuthentication", "wrong audience"),
        ("of another URA than the certificate's", sec(*(akey + ("-A", HB, "-U", "00009999"))),
         "wsse:FailedAuthentication", "URA"),
    ]
    for name, header, code, reason in bad:
        n0, r0 = len(mitz.asked()), len(b_records())
        st, text = to_b(header)
        check("%s: a %s fault naming it (%s), nothing released" % (name, code, reason),
              st == 400 and code in text and "(%s)" % reason in text and uid not in text
              and "RegistryObjectList" not in text, (st, text[:600]))
        recs = b_records(r0)
        check("%s: ... Mitz not asked, B's audit record has the reason" % name,
              len(mitz.asked()) == n0 and len(recs) == 1 and recs[0].get("outcome") == "fault"
              and "(%s)" % reason in recs[0].get("reason", ""), recs)

    revocation(b, uid, to_b, b_records, mitz, sec, akey + good,
               ("-k", pki["revoked_key"], "-c", pki["revoked_cert"]) + good,
               live_crl, pki["crl"])

    # Notifications: only from Mitz's certificate (consent.notify_from).
    n0 = len(b.audit())
    st, text = xdstest.post(b.port, "/mitz/notify", mitz_double.notification([bsn]),
                            mitz_double.FHIR_JSON, tls=pki)
    recs = [x for x in b.audit()[n0:] if x.get("event") == "MITZ-NOTIFY"]
    check("a notification from another authenticated peer: 403, audited with the reason",
          st == 403 and len(recs) == 1 and "consent.notify_from" in recs[0].get("reason", ""),
          (st, text, recs))
    st, text = xdstest.post(b.port, "/mitz/notify", mitz_double.notification([bsn]),
                            mitz_double.FHIR_JSON,
                            tls=dict(pki, client_cert=mitz_cert, client_key=mitz_key))
    check("a notification from Mitz's certificate: 204", st == 204, (st, text))
    t = subprocess.run([r.xdsd, "-n", "-C", "consent.notify_from=CN=mitz",
                        "-C", "node.state_dir=" + os.path.join(r.work, "n")],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n: consent.notify_from without http.tls is refused, naming it",
          t.returncode != 0 and "consent.notify_from" in t.stderr + t.stdout, t.stderr + t.stdout)

    # xdsd -n: TLS with the responding gateway and no XUA is refused.
    t = subprocess.run([r.xdsd, "-n", "-C", "http.tls=yes", "-C", "http.cert=" + pki["server_cert"],
                        "-C", "http.key=" + pki["server_key"], "-C", "http.ca=" + pki["ca"],
                        "-C", "consent.mode=mitz", "-C", "consent.mitz_url=" + mitz.url,
                        "-C", "consent.ura=" + URA_B, "-C", "consent.org_type=" + TYPE_B,
                        "-C", "node.state_dir=" + os.path.join(r.work, "n")],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n with http.tls and xua.mode off: refused, naming xua.mode",
          t.returncode != 0 and "xua.mode" in t.stderr + t.stdout, t.stderr + t.stdout)


def revocation(b, uid, to_b, b_records, mitz, sec, good, revoked, live, crl):
    """B's CRL (http.crl=live, nothing revoked yet) replaced by crl, which
    revokes the signer of `revoked` (xua_tool arguments), then SIGHUP."""
    st, text = to_b(sec(*revoked))
    check("revocation: a signer not on B's CRL: its assertion is answered",
          st == 200 and list(Answer(st, text).objects) == [uid], (st, text[:400]))
    shutil.copy(crl, live)
    n = b.log().count("TLS reloaded:")
    b.proc.send_signal(signal.SIGHUP)
    check("revocation: SIGHUP loads the CRL that revokes the signer",
          xdstest.wait_until(lambda: b.log().count("TLS reloaded:") > n), b.log()[-600:])
    n0, r0 = len(mitz.asked()), len(b_records())
    st, text = to_b(sec(*revoked))
    check("revocation: ... the same signer is refused without a restart "
          "(wsse:FailedAuthentication, untrusted signer), nothing released",
          st == 400 and "wsse:FailedAuthentication" in text and "(untrusted signer)" in text
          and uid not in text, (st, text[:600]))
    recs = b_records(r0)
    check("revocation: ... Mitz not asked, B's audit record says the signer is revoked",
          len(mitz.asked()) == n0 and len(recs) == 1 and recs[0].get("outcome") == "fault"
          and "(untrusted signer)" in recs[0].get("reason", "")
          and "revoked" in recs[0].get("reason", ""), recs)
    check("revocation: ... and so does B's log",
          re.search(r"X-User Assertion refused \(untrusted signer\): the signer's "
                    r"certificate is revoked \(.*CN=revoked", b.log()), b.log()[-800:])
    st, text = to_b(sec(*good))
    check("revocation: ... A's signer, not on the CRL, is still answered",
          st == 200 and list(Answer(st, text).objects) == [uid], (st, text[:400]))


if __name__ == "__main__":
    sys.exit(test_xca.run_main(cases, xdsctl=True,
                               doubles=(mitz_double.MitzDouble(holder_ura=URA_B),)))
