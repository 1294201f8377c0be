#!/usr/bin/env python3
"""A study pushed from hospital A to hospital B by DICOM over mutual TLS
with Storage Commitment, two nodes on loopback (make check): storescu sends
a study to A's bridge, `xdsctl push --to URA --study UID` queues the job,
A's sender stores every instance at B's push.listen and B commits them on
the same association; the instances at B are byte for byte A's datasets,
the job is done with every instance committed, both sides audit it.
Another organisation B knows (Y) asking commitment of A's instances gets
a failure for every one, as for an instance nobody has, audited.  Y's
push to a directory entry whose node presents another organisation's
certificate is refused before the first C-STORE, and one to a node that
never answers fails after push.give_up_after, each with its reason; Y
polls push.db once an hour, so each of its jobs was noticed by its watch
of push.db (written by xdsctl or sqlite3).  B
down for a while: the job waits and finishes once B is back.  A killed
(-9) in the middle of a push while B is stalled: after A's restart the
job completes with every instance at B once.  A peer whose certificate is
of another CA, or of an organisation B's directory does not know, is
refused, counted and audited; a port scan is counted in full but
recorded once per address and reason.  A PACS sending to A under the routed AE
title makes the job itself once the study is complete (A polls push.db once an
hour: the bridge's new route wakes its sender, which then waits for the
study's completion time); B forwards what it
committed to its own PACS (storescp) by a durable queue that waits while
that PACS is down, and runs push.notify_command.  xdsctl push cancels and
refuses what it cannot push (an organisation the directory does not know,
a study the bridge does not hold)."""
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import dicomtest  # noqa: E402
from pushtest import (HCID_A, HCID_B, URA_A, URA_B, ctl, dataset, held, job,  # noqa: E402
                      make_study, pacs_files, push, staged, storescp, uid)
from xdstest import (Xdsd, check, command_line, make_pki, metrics, org_cert,  # noqa: E402
                     reserve_port, summary, wait_until)

HCID_Y = "urn:oid:2.16.528.1.1007.3.3.7003.1"
HCID_Z = "urn:oid:2.16.528.1.1007.3.3.7004.1"
HCID_W = "urn:oid:2.16.528.1.1007.3.3.7005.1"
URA_X, URA_Y = "00009999", "00007003"
URA_Z, URA_W = "00007004", "00007005"


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="push-test-")
    pki = make_pki(tmp, rogue=True)
    cert_a = org_cert(tmp, "push.a.test", URA_A, "Ziekenhuis A")
    cert_b = org_cert(tmp, "push.b.test", URA_B, "Ziekenhuis B")
    cert_x = org_cert(tmp, "push.x.test", URA_X, "Kliniek X")
    cert_y = org_cert(tmp, "push.y.test", URA_Y, "Kliniek Y")
    hold, pacs_port, silent = reserve_port(), reserve_port(), reserve_port()
    notify = os.path.join(tmp, "notify.py")
    with open(notify, "w") as f:
        f.write("import json, os, sys\n"
                "with open(sys.argv[1], 'a') as f:\n"
                "    f.write(json.dumps({k: v for k, v in os.environ.items()"
                " if k.startswith('XDS_PUSH_')}) + '\\n')\n")
    directory = os.path.join(tmp, "directory")
    with open(directory, "w") as f:
        f.write("%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=XDSNODE@127.0.0.1:%d "
                "Ziekenhuis B\n"
                "%s https://127.0.0.1:1/xca/responding %s Kliniek Y\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=XDSNODE@127.0.0.1:%d Kliniek Z\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=XDSNODE@127.0.0.1:%d Kliniek W\n"
                % (HCID_A, URA_A, HCID_B, URA_B, hold.port, HCID_Y, URA_Y,
                   HCID_Z, URA_Z, hold.port, HCID_W, URA_W, silent.port))
    common = ["gateway.responding=no", "gateway.initiating=no", "directory.file=" + directory,
              "dicom.publish_after=3600", "dicom.timeout=10", "push.retry_max=1",
              "push.commit_timeout=20", "http.ca=" + pki["ca"]]
    node_a = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_A, "http.cert=" + cert_a[0], "http.key=" + cert_a[1],
        "push.route=TWIIN_B=" + URA_B, "dicom.publish_after=1", "push.poll_interval=3600"],
        name="a", dicom=True)
    b = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_B, "http.cert=" + cert_b[0], "http.key=" + cert_b[1],
        "push.listen=127.0.0.1:%d" % hold.port, "push.forward=yes",
        "dicom.pacs=PACS@127.0.0.1:%d" % pacs_port.port,
        "push.notify_command=%s %s %s" % (sys.executable, notify,
                                          os.path.join(tmp, "notified"))],
        name="b", dicom=True)
    node_y = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_Y, "http.cert=" + cert_y[0], "http.key=" + cert_y[1],
        "push.give_up_after=2", "push.poll_interval=3600"], name="y", dicom=True)
    pacs = None
    try:
        check("node A (bridge, push sender) starts", node_a.start(), "")
        check("node B (bridge, push.listen with mutual TLS) starts", b.start(), "")
        if node_a.running() and b.running():
            pacs = run(a, tmp, pki, node_a, b, node_y, cert_x, directory, hold, pacs_port)
        else:
            node_a.dump_log()
            b.dump_log()
    finally:
        for n in (b, node_a, node_y):
            if n.running():
                try:
                    os.kill(n.proc.pid, signal.SIGCONT)
                except OSError:
                    pass
            n.stop()
        if pacs is not None and pacs.poll() is None:
            pacs.terminate()
            pacs.wait()
        hold.close()
        silent.close()
        if summary() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    return summary()


def probe(a, node_y, b, study, series, sops):
    """Y, an organisation B knows, asks B to commit instances A pushed
    (and one nobody has): a job put straight into Y's push.db whose items
    are "stored" already, so that Y's sender sends only the N-ACTION."""
    check("node Y (another organisation B's directory knows) starts", node_y.start(), "")
    check("... and watches push.db (push.poll_interval=3600: only a write to push.db "
          "wakes its sender for the jobs below)", "cannot watch" not in node_y.log(),
          node_y.log()[-800:])
    db = sqlite3.connect(os.path.join(node_y.state, "push.db"), timeout=10)
    with db:
        cur = db.execute("INSERT INTO job (dest, study_uid, state, created, started, next_try)"
                         " VALUES (?, ?, 'queued', strftime('%s','now'), strftime('%s','now'), 0)",
                         (URA_B, study))
        for sop in sops:
            db.execute("INSERT INTO item VALUES (?, ?, ?, '1.2.840.10008.5.1.4.1.1.7',"
                       " '1.2.840.10008.1.2.1', 'stored')", (cur.lastrowid, sop, series))
    db.close()
    line = "push: from Kliniek Y: 0 instances committed, %d failed" % len(sops)
    check("Y asking commitment of A's instances: B fails every one (0 committed, %d failed)"
          % len(sops), wait_until(lambda: line in b.log(), 60), b.log()[-2000:])
    check("... with Failure Reason 0112 for each, the unknown one alike: Y's job committed none",
          wait_until(lambda: "%d of %d instances not committed" % (len(sops), len(sops))
                     in node_y.log(), 30), node_y.log()[-2000:])
    recs = [r for r in b.audit() if r.get("event") == "DICOM-PUSH" and
            URA_Y in r.get("organisation", "")]
    check("B audited Y's request as a failure naming Kliniek Y",
          recs and all(r.get("outcome") != "success" for r in recs), recs)


def give_up(a, tmp, node_y, b):
    """Y (push.give_up_after=2) pushes a study of its own to Z, whose
    directory line points at B's listener (B's certificate names URA B,
    not Z's), and to W, whose DICOM node never answers: both jobs fail
    with their reason, and B never receives an instance."""
    opts = ["-C", "directory.file=" + os.path.join(tmp, "directory"),
            "-C", "node.home_community_id=" + HCID_Y]
    study, _, files = make_study(tmp, 2)
    r = dicomtest.storescu(node_y.dport, list(files.values()))
    check("a study of 2 instances at Y's bridge", r.returncode == 0 and
          wait_until(lambda: len(held(node_y, study)) == 2, 30), r.stdout + r.stderr)
    jz, out = push(a, node_y, opts, study, to=URA_Z)
    jw, out2 = push(a, node_y, opts, study, to=URA_W)
    check("xdsctl push queues a job to Z and one to W", jz is not None and jw is not None,
          out + out2)

    def final(jid):
        return wait_until(lambda: job(a, node_y, opts, jid).get("job", {}).get("state")
                          in ("done", "failed", "cancelled") and
                          job(a, node_y, opts, jid)["job"], 60) or {}
    z = final(jz) if jz else {}
    check("to Z: failed, its reason the receiver's certificate not naming URA %s" % URA_Z,
          z.get("state") == "failed" and
          "does not name URA %s" % URA_Z in z.get("last_error", ""), z)
    check("... refused before the first C-STORE: B holds none of the study, and no "
          "instance of Y's job was stored", held(b, study) == {} and
          all(i["state"] == "new" for i in job(a, node_y, opts, jz).get("instances", [])),
          job(a, node_y, opts, jz))
    w = final(jw) if jw else {}
    check("to W, which never answers: failed after push.give_up_after with its reason",
          w.get("state") == "failed" and "Connection refused" in w.get("last_error", ""), w)
    check("... the give-up logged", "(given up: push.give_up_after)" in node_y.log(),
          node_y.log()[-1500:])
    recs = [r for r in node_y.audit() if r.get("event") == "DICOM-PUSH" and
            r.get("outcome") != "success"]
    check("Y audited the failed attempts to Z and W",
          any(URA_Z in r.get("organisation", "") for r in recs) and
          any(URA_W in r.get("organisation", "") for r in recs), recs)
    node_y.stop()


def scan(b, port, m, nrecs):
    """A port scan of push.listen (m: B's metrics before it, nrecs: its
    refusal records): every connection counted, at most one record per
    address and reason in the minute (the refusals above had theirs)."""
    def refused(mt):
        return {k[1]: v for k, v in mt.items() if k[0] == "xds_push_refused_total"}
    before = refused(m)
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")   # not a TLS ClientHello
            s.recv(100)
        except OSError:
            pass
        finally:
            s.close()
    after = wait_until(lambda: (lambda n: n if sum(n.values()) >= sum(before.values()) + 6
                                else None)(refused(metrics(b))))
    check("a port scan: every refused connection counted", after, (before, refused(metrics(b))))
    reasons = [k for k in (after or {}) if after[k] > before.get(k, 0)]
    recs = [r for r in b.audit() if r.get("endpoint") == "/push" and r.get("outcome") != "success"]
    check("... but at most one record per address and reason (%d new)" % (len(recs) - nrecs),
          len(recs) - nrecs <= len(reasons), (reasons, recs[nrecs:]))


def run(a, tmp, pki, node_a, b, node_y, cert_x, directory, hold, pacs_port):
    opts = ["-C", "directory.file=" + directory, "-C", "node.home_community_id=" + HCID_A]

    def send_to_a(files):
        r = dicomtest.storescu(node_a.dport, list(files.values()))
        return r.returncode == 0 and wait_until(
            lambda: len(held(node_a, study_of[0])) == len(files), 30)

    def done(jid):
        return wait_until(lambda: job(a, node_a, opts, jid).get("job", {}).get("state")
                          in ("done", "failed", "cancelled") and True, 120) and \
            job(a, node_a, opts, jid)["job"]["state"] == "done"

    # 1. the study to A's bridge, then pushed to B
    study, series, files = make_study(tmp, 6)
    study_of = [study]
    check("storescu stores a study of 6 instances at A's bridge", send_to_a(files), "")
    jid, out = push(a, node_a, opts, study)
    check("xdsctl push --to URA --study UID queues a job", jid is not None, out)
    ok = jid is not None and done(jid)
    j = job(a, node_a, opts, jid) if jid else {}
    check("the job is done: B committed every instance (6/6)",
          ok and j["job"]["committed"] == 6 and j["job"]["instances"] == 6 and
          all(i["state"] == "committed" for i in j["instances"]), j or node_a.dump_log())
    at_b = held(b, study)
    same = len(at_b) == 6 and all(
        dataset(at_b[s])[1] == dataset(files[s])[1] and dataset(at_b[s])[0] == dataset(files[s])[0]
        for s in files if s in at_b)
    check("every instance is at B, its dataset byte for byte the original's", same,
          sorted(at_b))
    check("A's files are unchanged by the push",
          all(dataset(p)[1] == dataset(files[s])[1] for s, p in held(node_a, study).items()), "")
    m = metrics(b)
    check("B counted the commitment (xds_push_received_total, instances 6)",
          m.get(("xds_push_received_total", "")) == 1 and
          m.get(("xds_push_instances_received_total", "")) == 6, m)
    check("B logged the commitment on the association",
          "push: from Ziekenhuis A: 6 instances committed, 0 failed" in b.log(), b.log()[-2000:])
    rec_a = [r for r in node_a.audit() if r.get("event") == "DICOM-PUSH"]
    rec_b = [r for r in b.audit() if r.get("event") == "DICOM-PUSH"]
    check("A audited the transfer (DICOM-PUSH, success, B as the organisation)",
          any(r.get("outcome") == "success" and URA_B in r.get("organisation", "")
              for r in rec_a), rec_a)
    check("B audited the transfer (DICOM-PUSH naming Ziekenhuis A)",
          any(URA_A in r.get("organisation", "") for r in rec_b), rec_b)
    rc, out, err = ctl(a, node_a, *opts, "push", "list")
    check("xdsctl push list shows the job done 6/6",
          rc == 0 and re.search(r"^%d\s+done\s+%s\s+6/6" % (jid, URA_B), out, re.M), out + err)
    notified = os.path.join(tmp, "notified")
    got = wait_until(lambda: os.path.exists(notified) and open(notified).read().strip(), 30)
    env = json.loads(got.splitlines()[0]) if got else {}
    check("B ran push.notify_command with the study, the sender's URA and the patient",
          env == {"XDS_PUSH_STUDY": study, "XDS_PUSH_SENDER_URA": URA_A,
                  "XDS_PUSH_PATIENT": dicomtest.BSN}, got)
    check("B counted the complete study (xds_push_studies_received_total)",
          metrics(b).get(("xds_push_studies_received_total", "")) == 1, "")
    probe(a, node_y, b, study, series, sorted(files) + [uid()])
    give_up(a, tmp, node_y, b)

    # B's PACS down: the forward waits in B's queue, then goes when it is up
    def b_jobs():
        rc, out, _ = ctl(a, b, "--json", "push", "list")
        return json.loads(out)["jobs"] if rc == 0 else []
    fw = wait_until(lambda: [j for j in b_jobs() if j["to"] == "dicom.pacs" and
                             j["attempts"] >= 2 and j["state"] == "queued"], 60)
    check("B's PACS down: the forward to dicom.pacs stays queued and is retried",
          fw and fw[0]["study"] == study and fw[0]["last_error"] != "", b_jobs())
    pacs_dir = os.path.join(tmp, "pacs")
    pacs_port.close()
    pacs = storescp(pacs_dir, pacs_port.port)
    fdone = wait_until(lambda: [j for j in b_jobs() if j["to"] == "dicom.pacs" and
                                j["state"] == "done"], 60)
    check("... once the PACS is up B forwards the study (job done 6/6)",
          fdone and fdone[0]["committed"] == 6, b_jobs())
    check("... and the PACS has every instance, dataset byte for byte",
          sorted(pacs_files(pacs_dir)) == sorted(dataset(p)[1] for p in files.values()),
          os.listdir(pacs_dir))

    # 2. B down for a while: the job waits, then completes
    b.stop()
    study2, series2, files2 = make_study(tmp, 4)
    study_of[0] = study2
    check("a second study at A", send_to_a(files2), "")
    jid2, out = push(a, node_a, opts, study2)
    retried = jid2 is not None and wait_until(
        lambda: job(a, node_a, opts, jid2).get("job", {}).get("attempts", 0) >= 2, 60)
    j = job(a, node_a, opts, jid2) if jid2 else {}
    check("B down: the job stays queued and is retried", retried and
          j["job"]["state"] in ("queued", "sending") and j["job"]["last_error"] != "", j)
    n_listed = j.get("job", {}).get("instances")
    late_sop = uid()
    files2[late_sop] = dicomtest.make_image(tmp, study2, series2, late_sop, size=16)
    r = dicomtest.storescu(node_a.dport, [files2[late_sop]])
    check("an instance of the study reaches A after the job listed its 4",
          n_listed == 4 and r.returncode == 0 and
          wait_until(lambda: len(held(node_a, study2)) == 5, 30), (n_listed, r.stderr))
    jid_c, out = push(a, node_a, opts, study2)
    rc, out, err = ctl(a, node_a, *opts, "push", "cancel", str(jid_c))
    j = job(a, node_a, opts, jid_c)
    check("xdsctl push cancel stops a waiting job", rc == 0 and
          j.get("job", {}).get("state") == "cancelled", (out, err, j))
    rc, out, err = ctl(a, node_a, *opts, "push", "retry", str(jid_c))
    check("... which is not retried (exit 1, it says why)", rc == 1 and "cancelled" in err,
          out + err)
    check("B starts again on its port", b.start(), "")
    check("... and the job completes, the late instance too (5/5 committed)",
          jid2 is not None and done(jid2) and
          job(a, node_a, opts, jid2)["job"]["committed"] == 5, job(a, node_a, opts, jid2))
    check("... every instance at B", sorted(held(b, study2)) == sorted(files2), "")

    # 3. A killed in the middle of a push (B stalled), restarted: done
    study3, _, files3 = make_study(tmp, 40)
    study_of[0] = study3
    check("a third study at A (40 instances)", send_to_a(files3), "")
    jid3, out = push(a, node_a, opts, study3)
    some = wait_until(lambda: len(staged(b, study3)) + len(held(b, study3)) >= 1, 60,
                      step=0.005)
    os.kill(b.proc.pid, signal.SIGSTOP)
    mid = len(staged(b, study3)) + len(held(b, study3))
    state = job(a, node_a, opts, jid3).get("job", {}).get("state")
    node_a.kill()
    os.kill(b.proc.pid, signal.SIGCONT)
    print("  (A killed with %d of 40 instances at B, job %s)" % (mid, state))
    check("A restarts after kill -9", node_a.start(), "")
    ok = jid3 is not None and some and done(jid3)
    check("after the restart the job completes (40/40 committed)", ok,
          job(a, node_a, opts, jid3))
    got = held(b, study3)
    check("every instance is at B exactly once, byte for byte",
          sorted(got) == sorted(files3) and
          all(dataset(got[s])[1] == dataset(files3[s])[1] for s in files3 if s in got),
          (len(got), mid))
    rows = dicomtest.studies(a.xdsctl, b.state).get(study3, {})
    check("B's study table counts 40 instances (none doubled)", rows.get("instances") == 40,
          rows)

    # 4. the PACS pushes to A under the routed AE title: once complete, to B
    study4, _, files4 = make_study(tmp, 5)
    r = dicomtest.storescu(node_a.dport, list(files4.values()), aec="TWIIN_B")
    check("storescu sends a study to A under the routed AE title TWIIN_B", r.returncode == 0,
          r.stdout + r.stderr)

    def routed():
        rc, out, _ = ctl(a, node_a, *opts, "--json", "push", "list")
        return [j for j in json.loads(out)["jobs"] if j["study"] == study4] if rc == 0 else []
    jobs = wait_until(lambda: [j for j in routed() if j["state"] == "done"], 120)
    check("once complete A pushed it to B on its own (one job, done 5/5)",
          jobs and len(routed()) == 1 and jobs[0]["committed"] == 5 and jobs[0]["to"] == URA_B,
          routed() or node_a.log()[-3000:])
    check("... every instance at B, byte for byte",
          sorted(held(b, study4)) == sorted(files4) and
          all(dataset(held(b, study4)[s])[1] == dataset(files4[s])[1] for s in files4
              if s in held(b, study4)), "")
    n_pacs = len(files) + len(files2) + len(files3) + len(files4)
    got = wait_until(lambda: len(os.listdir(pacs_dir)) >= n_pacs and len(os.listdir(pacs_dir)), 120)
    check("... and B forwarded it to its PACS (storescp has every pushed instance)",
          got == n_pacs, (got, n_pacs))

    # 5. refusals at B: another CA, an organisation B does not know
    one = [files[sorted(files)[0]]]
    r = dicomtest.storescu(hold.port, one, extra=("+tls", pki["rogue_key"], pki["rogue_cert"],
                                                  "+cf", pki["ca"]))
    check("a peer with a certificate of another CA is refused", r.returncode != 0,
          r.stdout + r.stderr)
    r = dicomtest.storescu(hold.port, one, extra=("+tls", cert_x[1], cert_x[0], "+cf", pki["ca"]))
    check("a peer of an organisation B's directory does not know is refused",
          r.returncode != 0 and "Rejected" in r.stdout + r.stderr, r.stdout + r.stderr)
    m = metrics(b)
    check("both refusals counted (tls, certificate)",
          m.get(("xds_push_refused_total", '{reason="tls"}'), 0) >= 1 and
          m.get(("xds_push_refused_total", '{reason="certificate"}'), 0) >= 1, m)
    refs = [r for r in b.audit() if r.get("endpoint") == "/push" and r.get("outcome") != "success"]
    check("both refusals audited at B, the unknown one with its certificate subject",
          any("URA-%s" % URA_X in r.get("user", "") + r.get("peer", "") + json.dumps(r)
              for r in refs) and any("tls" in json.dumps(r) for r in refs), refs)
    scan(b, hold.port, m, len(refs))

    # 6. an unknown destination: refused by xdsctl; a job to B for a study A lacks
    rc, out, err = ctl(a, node_a, *opts, "push", "--to", URA_X, "--study", study)
    check("xdsctl push to an organisation not in the directory: exit 1", rc == 1, out + err)
    rc, out, err = ctl(a, node_a, *opts, "push", "--to", URA_B, "--study", uid())
    check("xdsctl push of a study the bridge does not hold: exit 1",
          rc == 1 and "no study" in err, out + err)
    return pacs


if __name__ == "__main__":
    sys.exit(main())
