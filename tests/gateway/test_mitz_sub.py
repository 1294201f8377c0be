#!/usr/bin/env python3
"""Subscriptions at Mitz and Mitz's notifications, end to end (make check):
one xdsd (registry, repository, responding gateway in consent.mode=mitz)
and the Mitz double (mitz_double.py), which answers the closed question,
takes FHIR Subscriptions and posts notifications to the node.

Cases (one PASS/FAIL line each, then a total)
    first document  a patient's first document subscribes the patient once:
                    the criteria name the BSN, this data holder's URA and
                    type; a rest-hook to consent.notify_url; the
                    GatewaySystem (node.home_community_id) and SourceSystem
                    (consent.source_system) extensions, nothing else
    second          another document of the same patient subscribes no one
                    again (the next patient's subscription comes, that one's
                    does not)
    down, restart   Mitz down (connection reset) while a patient's first
                    document is registered: the node retries; stopped and
                    started again while Mitz is still down, it sends the
                    subscription once Mitz is up
    throttled       429, then up: retried until done
    refused         422: one attempt, no retry, counted as refused
    202             Mitz answering 202 (it had the subscription) is done
    metrics         /metrics counts the results and nothing pending
    notification    a cached Permit (consent.cache_ttl) is used until Mitz
                    notifies a consent change of that patient: then Mitz is
                    asked again; a notification of another patient leaves
                    it; 204 without a body
    malformed       not JSON, not a Bundle, no Consent, a Consent without a
                    BSN: 400 with the reason; wrong Content-Type 415; GET
                    405; over 1 MiB 413
    audit           one MITZ-NOTIFY record per notification, success with
                    the patient or fault with the reason
    no BSN in the log  no full BSN of these patients in the node's log
    protocol        the double found no request that breaks the interface
    xdsctl          mitz subscriptions lists the outbox: the refused patient
                    with the reason, the others done with Mitz's id
    xdsd -n         consent.subscribe_url without consent.notify_url is
                    refused

Waiting is on events; nothing sleeps.  The work directory is kept when a
check failed.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import mitz_double  # noqa: E402
import test_xca  # noqa: E402
import xdsmsg  # noqa: E402
from mitz_double import notification, notify  # noqa: E402
from test_xca import ACT_ITI38, RG, find_docs, query  # noqa: E402
from xdstest import check, wait_until  # noqa: E402

HB, RB = test_xca.HB, test_xca.RB
HOLDER_URA, HOLDER_TYPE, SOURCE = "12345678", "V6", "1.3.6.1.4.1.21367.13.72.2"
REQ = "anonymous|87654321|V4|01.015|900012345"
NOTIFY_URL = "http://127.0.0.1/mitz/notify"
EXT_GW = "http://fhir.nl/StructureDefinition/GatewaySystem"
EXT_SRC = "http://fhir.nl/StructureDefinition/SourceSystem"


def new_bsn(used):
    b = xdsmsg.bsn()
    while b in used:
        b = xdsmsg.bsn()
    used.add(b)
    return b


def metric(node, name):
    st, text = node.get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.rsplit(" ", 1)[1])
    return None


def cases(r, mitz):
    used = set()
    b = r.node("b", HB, RB, [
        "gateway.allow=anonymous", "consent.mode=mitz", "consent.mitz_url=" + mitz.url,
        "consent.ura=" + HOLDER_URA, "consent.org_type=" + HOLDER_TYPE, "consent.requesters=" + REQ,
        "consent.cache_ttl=300", "consent.subscribe_url=" + mitz.sub_url,
        "consent.notify_url=" + NOTIFY_URL, "consent.source_system=" + SOURCE,
        "consent.subscribe_retry_max=1"])
    check("the node logs where subscriptions go", "subscriptions of new patients go to" in b.log(),
          b.log()[-500:])

    def submit(bsn, text):
        st, errs, uids, _, http = xdsmsg.submit(b.port, [text.encode()], pat=xdsmsg.patient(bsn))
        if st != "Success":
            raise RuntimeError("submission refused: %s %s %s" % (http, st, errs))
        return uids[0]

    def done(bsn):
        return wait_until(lambda: [q for q in mitz.subscribed(bsn) if q["status"] in (201, 202)])

    # The first document of a patient.
    p1 = new_bsn(used)
    submit(p1, "eerste brief")
    subs = done(p1)
    q = subs[0] if subs else {}
    check("first document: a subscription of the patient arrives, 201",
          subs and len(mitz.subscribed(p1)) == 1 and q["status"] == 201, mitz.subscribed(p1))
    check("... criteria: the BSN, this data holder's URA and type",
          q.get("bsn") == p1 and q.get("ura") == HOLDER_URA and q.get("org_type") == HOLDER_TYPE, q)
    check("... a rest-hook to consent.notify_url; GatewaySystem our home community id, "
          "SourceSystem consent.source_system, no other extension",
          q.get("endpoint") == NOTIFY_URL
          and q.get("extensions") == {EXT_GW: HB, EXT_SRC: "urn:oid:" + SOURCE}, q)
    check("... with an X-Request-Id", bool(q.get("request_id")), q)

    # A second document of the same patient: no new subscription.
    submit(p1, "tweede brief")
    p2 = new_bsn(used)
    submit(p2, "brief van een ander")
    check("second document of the same patient: no second subscription (the next patient's came)",
          done(p2) and len(mitz.subscribed(p1)) == 1, mitz.subscribed())

    # Mitz down at registration, the node restarted, then Mitz up.
    mitz.subscribe_mode = "down"
    p3 = new_bsn(used)
    submit(p3, "brief terwijl Mitz plat ligt")
    check("down: the node tried and will retry",
          wait_until(lambda: len(mitz.subscribed(p3)) >= 1 and "is retried" in b.log()),
          mitz.subscribed(p3))
    rc = b.stop()
    check("down: the node stops cleanly with the subscription pending", rc == 0, rc)
    n = len(mitz.subscribed(p3))
    if not b.start():
        raise RuntimeError("the node did not start again")
    check("down, restarted: it tries again while Mitz is down",
          wait_until(lambda: len(mitz.subscribed(p3)) > n), mitz.subscribed(p3))
    mitz.subscribe_mode = "accept"
    check("down, restarted, up: the subscription arrives (201), once done",
          done(p3) and [s["status"] for s in mitz.subscribed(p3)][-1] == 201
          and len([s for s in mitz.subscribed(p3) if s["status"] == 201]) == 1, mitz.subscribed(p3))

    # Throttled, then up without a restart.
    mitz.subscribe_mode = "429"
    p4 = new_bsn(used)
    submit(p4, "brief bij drukte")
    wait_until(lambda: len(mitz.subscribed(p4)) >= 2)
    mitz.subscribe_mode = "accept"
    check("429: retried (at least twice), then done",
          done(p4) and len(mitz.subscribed(p4)) >= 3, mitz.subscribed(p4))

    # Refused: one attempt, never again.
    mitz.subscribe_mode = "422"
    p5 = new_bsn(used)
    submit(p5, "brief die Mitz weigert")
    check("422: logged as failed", wait_until(lambda: "subscription of patient" in b.log()
                                                  and "failed: refused by Mitz: HTTP 422" in b.log()),
          b.log()[-800:])
    mitz.subscribe_mode = "accept"
    p6 = new_bsn(used)
    submit(p6, "brief daarna")
    check("422: not retried (the next patient's came, that one was asked once)",
          done(p6) and len(mitz.subscribed(p5)) == 1, mitz.subscribed(p5))

    # 202: Mitz had it.
    p7 = new_bsn(used)
    mitz.sub_ids[p7] = "sub-existing"
    submit(p7, "brief van een patient die Mitz al kent")
    s7 = done(p7)
    check("202: an existing subscription is done", s7 and s7[0]["status"] == 202
          and s7[0]["id"] == "sub-existing" and len(mitz.subscribed(p7)) == 1, mitz.subscribed(p7))
    check("202: ... the node logs Mitz's id", wait_until(lambda: "id sub-existing" in b.log()),
          b.log()[-500:])

    check("metrics: subscribed, refused, retried counted; nothing pending",
          wait_until(lambda: metric(b, "xds_mitz_subscriptions_pending") == 0)
          and metric(b, 'xds_mitz_subscriptions_total{result="refused"}') == 1
          and metric(b, 'xds_mitz_subscriptions_total{result="retried"}') >= 2
          and metric(b, 'xds_mitz_subscriptions_total{result="subscribed"}') >= 4,
          [metric(b, 'xds_mitz_subscriptions_total{result="%s"}' % k)
           for k in ("subscribed", "refused", "retried")])

    # Notifications: the cached Permit goes.
    mitz.decide(p1, "Permit")
    mitz.decide(p2, "Permit")

    def ask(bsn):
        ans = query(b.port, RG, find_docs(xdsmsg.patient(bsn)), ACT_ITI38)
        return ans.status == "Success" and len(ans.objects) >= 1

    ok = ask(p1) and ask(p2)
    n1 = len(mitz.asked(p1))
    check("notification: ITI-38 of a Permit patient asks Mitz, then the same again takes the cached Permit",
          ok and n1 > 0 and ask(p1) and len(mitz.asked(p1)) == n1, (n1, mitz.asked(p1)))
    st, body = notify(b.port, notification([p2]))
    check("notification of another patient: 204, no body", st == 204 and body == b"", (st, body))
    check("... the first patient's Permit is still kept", ask(p1) and len(mitz.asked(p1)) == n1,
          mitz.asked(p1))
    st, body = notify(b.port, notification([p1]))
    check("notification of the patient: 204", st == 204 and body == b"", (st, body))
    check("... the next ITI-38 asks Mitz again", ask(p1) and len(mitz.asked(p1)) > n1, mitz.asked(p1))

    # Malformed notifications.
    bad = [("not JSON", b"{", "not JSON"),
           ("not a Bundle", b'{"resourceType":"Consent"}', "not a Bundle"),
           ("no Consent", b'{"resourceType":"Bundle","type":"transaction","entry":[]}', "no Consent"),
           ("a Consent without a BSN", notification(["123456789"]), "no BSN")]
    for name, body, why in bad:
        st, text = notify(b.port, body)
        check("malformed (%s): 400 saying %r" % (name, why), st == 400 and why.encode() in text,
              (st, text))
    st, _ = notify(b.port, notification([p1]), ctype="text/plain")
    check("malformed (Content-Type text/plain): 415", st == 415, st)
    st, _ = b.get("/mitz/notify")
    check("GET /mitz/notify: 405", st == 405, st)
    big = notification([p1])[:-1] + b',"x":"' + b"a" * (1024 * 1024) + b'"}'
    try:
        st, _ = notify(b.port, big)
    except OSError as e:        # the node may close before the whole body is sent
        st = str(e)
    check("a notification over 1 MiB: 413", st == 413, st)

    def notify_recs():
        return [x for x in b.audit() if x.get("event") == "MITZ-NOTIFY"]
    wait_until(lambda: len(notify_recs()) >= 9)
    recs = notify_recs()
    ok = [x for x in recs if x.get("outcome") == "success"]
    check("audit: one MITZ-NOTIFY record per notification (9), two succeeded with their patient",
          len(recs) == 9 and [x.get("patient") for x in ok] == [xdsmsg.patient(p2), xdsmsg.patient(p1)]
          and all(x.get("http_status") == 204 for x in ok), recs)
    check("audit: the refused ones are faults with the reason",
          any(x.get("http_status") == 400 and "no Consent" in x.get("reason", "") for x in recs)
          and all(x.get("outcome") == "fault" for x in recs if x not in ok), recs)

    t = subprocess.run([r.xdsctl, "-C", "node.state_dir=" + b.state, "mitz", "subscriptions",
                        "state=failed"], capture_output=True, text=True, timeout=60)
    check("xdsctl mitz subscriptions state=failed: the refused patient with Mitz's reason",
          t.returncode == 0 and len(t.stdout.splitlines()) == 1 and t.stdout.startswith(p5 + " failed")
          and "refused by Mitz: HTTP 422" in t.stdout, t.stdout + t.stderr)
    t = subprocess.run([r.xdsctl, "--json", "-C", "node.state_dir=" + b.state, "mitz", "subscriptions"],
                       capture_output=True, text=True, timeout=60)
    try:
        rows = {x["bsn"]: x for x in json.loads(t.stdout)["subscriptions"]}
    except (ValueError, KeyError) as e:
        rows = {"error": str(e)}
    check("xdsctl --json mitz subscriptions: every patient once, done with Mitz's id but the refused one",
          t.returncode == 0 and set(rows) == {p1, p2, p3, p4, p5, p6, p7}
          and all(rows[p]["state"] == "done" and rows[p]["mitz_id"] == mitz.sub_ids[p]
                  for p in (p1, p2, p3, p4, p6, p7))
          and rows[p5]["state"] == "failed" and rows[p3]["attempts"] >= 3, rows)

    log = b.log()
    check("no full BSN of these patients in the node's log", not any(p in log for p in used),
          [p for p in used if p in log])
    check("the double found no request that breaks Mitz's interface", not mitz.violations,
          mitz.violations[:2])

    # A crash between a patient's first document and its queued
    # subscription: the row gone from mitz.db.  At the next start the node
    # compares the registry's patients with the outbox and queues the
    # missing one; the done and the refused ones are not asked again.
    before = {p: len(mitz.subscribed(p)) for p in used}
    rc = b.stop()
    subprocess.run(["sqlite3", os.path.join(b.state, "mitz.db"),
                    "DELETE FROM subscription WHERE bsn = '%s'" % p2], check=True)
    if not b.start():
        raise RuntimeError("B did not restart")
    check("restart after a lost outbox row: the missing patient is subscribed again",
          rc == 0 and wait_until(lambda: len([q for q in mitz.subscribed(p2)
                                              if q["status"] in (201, 202)]) > before[p2]),
          mitz.subscribed(p2)[before[p2]:])
    check("... and only it: the done and the refused patients are not asked again",
          all(len(mitz.subscribed(p)) == before[p] for p in used if p != p2),
          {p: len(mitz.subscribed(p)) - before[p] for p in used})
    check("... the node says it found one", "1 patient(s) of the registry had no subscription" in b.log(),
          b.log()[-600:])

    t = subprocess.run([r.xdsd, "-n", "-C", "consent.mode=mitz", "-C", "consent.mitz_url=" + mitz.url,
                        "-C", "consent.ura=" + HOLDER_URA, "-C", "consent.org_type=" + HOLDER_TYPE,
                        "-C", "consent.subscribe_url=" + mitz.sub_url,
                        "-C", "node.state_dir=" + os.path.join(r.work, "n")],
                       capture_output=True, text=True, timeout=60)
    check("xdsd -n: consent.subscribe_url without consent.notify_url is refused, naming it",
          t.returncode != 0 and "consent.notify_url" in t.stderr + t.stdout, t.stderr + t.stdout)


if __name__ == "__main__":
    sys.exit(test_xca.run_main(cases, xdsctl=True,
                               doubles=(mitz_double.MitzDouble(holder_ura=HOLDER_URA),)))
