#!/usr/bin/env python3
"""A push to a receiver that reports its storage commitment later, on an
association of its own (PS3.4 J.3.3), as many vendors' Storage Commitment
SCPs do: the test double V (tests/dicom/dul.py, mutual TLS) stores A's
instances, answers the N-ACTION, releases the association, and then opens
a new association to A's push.listen, proposing the SCP role for Storage
Commitment, with the N-EVENT-REPORT.  A's job waits for it (queued, its
instances stored, `xdsctl push show` naming its transaction) and is done
once the report came; before that, a report naming the job's Transaction
UID from another organisation A knows (W), and one from V naming a
transaction A never made, are refused (Invalid Argument Value) and change
nothing, counted and audited.  Then, with
push.commit_timeout=1, a report that does not come: A's next attempt asks
again for the stored instances only (a new transaction, no C-STORE), the
report of the old transaction is refused, V reports one instance failed
in the new one, A sends that instance again and V's last report makes the
job done.  A receiver that never reports does not keep a job waiting past
push.give_up_after.  A study routed to V (push.route) and made ready by
hand (xdsctl dicom publish) is pushed at once, its job made by xdsctl,
although the sender polls once an hour; publishing it again makes no
second job."""
import functools
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import dicomtest  # noqa: E402
import dul  # noqa: E402
from pushtest import ctl, job, make_study, push, uid  # noqa: E402
from xdstest import (check, command_line, make_pki, metrics, org_cert,  # noqa: E402
                     reserve_port, summary, wait_until)

HCID_A = "urn:oid:2.16.528.1.1007.3.3.7101.1"
HCID_V = "urn:oid:2.16.528.1.1007.3.3.7102.1"
HCID_W = "urn:oid:2.16.528.1.1007.3.3.7103.1"
URA_A, URA_V, URA_W = "00007101", "00007102", "00007103"


class Vendor:
    """A Storage Commitment SCP that never reports on the requester's
    association: C-STOREs answered Success, the N-ACTION answered Success
    and recorded (requests: (transaction, [SOP UIDs], [stored now])), then
    A-RELEASE-RQ from its side."""

    def __init__(self, cert, key, ca):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.load_verify_locations(ca)
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests = queue.Queue()
        self.errors = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        stored = []
        try:
            s = self.ctx.wrap_socket(conn, server_side=True)
            kind, payload = dul.read_pdu(s)
            if kind != 0x01:
                return
            dul.accept(s, payload, lambda a, ts: dul.IMPLICIT_LE
                       if a == dul.SC_CLASS and dul.IMPLICIT_LE in ts else ts[0])
            while True:
                cid, cmd, ds = dul.receive_message(s)
                op = cmd.get(dul.COMMAND)
                if op == dul.C_STORE_RQ:
                    stored.append(cmd[dul.AFFECTED_SOP])
                    dul.send_message(s, cid, {
                        dul.COMMAND: dul.C_STORE_RSP, dul.MSG_ID_RSP: cmd[dul.MSG_ID],
                        dul.AFFECTED_CLASS: cmd[dul.AFFECTED_CLASS],
                        dul.AFFECTED_SOP: cmd[dul.AFFECTED_SOP],
                        dul.DATASET_TYPE: dul.NO_DATASET, dul.STATUS: 0})
                elif op == dul.N_ACTION_RQ:
                    d = dul.parse_dataset(ds or b"")
                    txn = dul.text(d.get(dul.TRANSACTION))
                    sops = [dul.text(it.get(dul.REF_INSTANCE))
                            for it in d.get(dul.REFERENCED_SEQ, [])]
                    dul.send_message(s, cid, {
                        dul.COMMAND: dul.N_ACTION_RSP, dul.MSG_ID_RSP: cmd[dul.MSG_ID],
                        dul.AFFECTED_CLASS: dul.SC_CLASS, dul.AFFECTED_SOP: dul.SC_INSTANCE,
                        dul.ACTION_TYPE: 1, dul.DATASET_TYPE: dul.NO_DATASET, dul.STATUS: 0})
                    dul.release(s)
                    self.requests.put((txn, sops, stored))
                    return
                else:
                    self.errors.append("unexpected command %r" % cmd)
                    return
        except (dul.Closed, OSError, ValueError, KeyError) as e:
            self.errors.append(repr(e))
        finally:
            conn.close()

    def close(self):
        self.sock.close()


ROLES = []     # the role selection A answered, per report association


def report(port, cert, key, ca, txn, committed, failed=(), role=(0, 1)):
    """An N-EVENT-REPORT on a new association to A's push.listen, as V's
    (or another organisation's) requester: its response status, or a
    string saying what failed before it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30)) as s:
            ok, roles = dul.request(s, "XDSNODE", "VENDOR", dul.SC_CLASS, role=role)
            ROLES.append(roles.get(dul.SC_CLASS))
            if not ok:
                return "association refused"
            dul.send_message(s, 1, {
                dul.COMMAND: dul.N_EVENT_REPORT_RQ, dul.MSG_ID: 1,
                dul.AFFECTED_CLASS: dul.SC_CLASS, dul.AFFECTED_SOP: dul.SC_INSTANCE,
                dul.EVENT_TYPE: 2 if failed else 1, dul.DATASET_TYPE: 0x0102},
                dul.commitment_dataset(txn, committed, failed))
            _, cmd, _ = dul.receive_message(s)
            dul.release(s)
            return cmd.get(dul.STATUS)
    except (dul.Closed, OSError) as e:
        return repr(e)


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="push-report-test-")
    pki = make_pki(tmp)
    cert_a = org_cert(tmp, "push.a.test", URA_A, "Ziekenhuis A")
    cert_v = org_cert(tmp, "push.v.test", URA_V, "Vendor V")
    cert_w = org_cert(tmp, "push.w.test", URA_W, "Kliniek W")
    vendor = Vendor(cert_v[0], cert_v[1], pki["ca"])
    listen = reserve_port()
    directory = os.path.join(tmp, "directory")
    with open(directory, "w") as f:
        f.write("%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=VENDOR@127.0.0.1:%d Vendor V\n"
                "%s https://127.0.0.1:1/xca/responding %s Kliniek W\n"
                % (HCID_A, URA_A, HCID_V, URA_V, vendor.port, HCID_W, URA_W))
    node = dicomtest.Xdsd(a.xdsd, tmp, [
        "gateway.responding=no", "gateway.initiating=no", "directory.file=" + directory,
        "dicom.publish_after=3600", "dicom.timeout=10", "push.retry_max=1",
        "push.commit_timeout=120", "push.associations=1", "http.ca=" + pki["ca"],
        "node.home_community_id=" + HCID_A, "http.cert=" + cert_a[0], "http.key=" + cert_a[1],
        "push.listen=127.0.0.1:%d" % listen.port], name="a", dicom=True)
    try:
        check("node A (bridge, push sender, push.listen) starts", node.start(), "")
        if node.running():
            run(a, tmp, pki, node, vendor, cert_v, cert_w, listen.port)
        else:
            node.dump_log()
    finally:
        if node.running():
            try:
                os.kill(node.proc.pid, signal.SIGCONT)
            except OSError:
                pass
        node.stop()
        vendor.close()
        listen.close()
        if summary() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    return summary()


def run(a, tmp, pki, node, vendor, cert_v, cert_w, port):
    opts = ["-C", "directory.file=" + os.path.join(tmp, "directory"),
            "-C", "node.home_community_id=" + HCID_A]
    show = functools.partial(job, a, node, opts)   # xdsctl --json push show

    def request(what):
        try:
            return vendor.requests.get(timeout=60)
        except queue.Empty:
            check(what, False, (vendor.errors, node.log()[-2000:]))
            return None, [], []

    study, _, files = make_study(tmp, 3)
    r = dicomtest.storescu(node.dport, list(files.values()))
    check("a study of 3 instances at A's bridge", r.returncode == 0, r.stdout + r.stderr)
    jid, out = push(a, node, opts, study, URA_V)
    check("xdsctl push queues a job to V", jid is not None, out)
    txn, sops, stored = request("V received the study and the storage commitment request")
    check("V stored the 3 instances and was asked to commit them, then released",
          sorted(stored) == sorted(files) and sorted(sops) == sorted(files), (stored, sops))
    waiting = wait_until(lambda: "awaited on push.listen" in
                         show(jid).get("job", {}).get("last_error", ""), 60)
    j = show(jid)
    check("A's job awaits the report: queued, its instances stored, the reason given",
          waiting and j["job"]["state"] == "queued" and
          all(i["state"] == "stored" for i in j["instances"]), j)
    rc, out, _ = ctl(a, node, *opts, "push", "show", str(jid))
    check("xdsctl push show gives the transaction UID awaited (and --json too)",
          j["job"].get("transaction") == txn and "transaction %s\n" % txn in out,
          (txn, j, out))

    st = report(port, cert_w[0], cert_w[1], pki["ca"], txn, sorted(files))
    check("W (known to A, not the destination) reporting V's transaction: refused (0115)",
          st == 0x0115, st)
    st = report(port, cert_v[0], cert_v[1], pki["ca"], uid(), sorted(files), role=None)
    check("V reporting a transaction A never made (in the default role, as some do): "
          "served, and refused (0115)", st == 0x0115, st)
    j = show(jid)
    check("... and neither changed the job", j["job"]["state"] == "queued" and
          all(i["state"] == "stored" for i in j["instances"]), j)
    m = metrics(node)
    check("both refusals counted (xds_push_reports_total refused 2, applied 0)",
          m.get(("xds_push_reports_total", '{result="refused"}')) == 2 and
          m.get(("xds_push_reports_total", '{result="applied"}')) == 0, m)
    refs = [r for r in node.audit() if r.get("event") == "DICOM-PUSH" and
            r.get("outcome") != "success" and "N-EVENT-REPORT" in json.dumps(r)]
    check("both refusals audited at A", len(refs) == 2, refs)

    st = report(port, cert_v[0], cert_v[1], pki["ca"], txn, sorted(files))
    check("V's report of the transaction on its own association: Success", st == 0, st)
    check("... A accepted Storage Commitment in the SCP role V proposed (role selection "
          "SCU 0, SCP 1), and in the default role when none was proposed",
          ROLES[-1] == (0, 1) and ROLES[-2] is None, ROLES)
    done = wait_until(lambda: show(jid).get("job", {}).get("state") == "done", 60)
    j = show(jid)
    check("the job is done, 3/3 committed", done and j["job"]["committed"] == 3, j)
    check("A logged the report taken on push.listen",
          "storage commitment report from Vendor V on push.listen: 3 committed" in node.log(),
          node.log()[-2000:])
    recs = [r for r in node.audit() if r.get("event") == "DICOM-PUSH" and
            r.get("outcome") == "success" and URA_V in r.get("organisation", "")]
    check("A audited the report and the push as successes naming V",
          any("N-EVENT-REPORT" in json.dumps(r) for r in recs) and
          any("C-STORE" in json.dumps(r) for r in recs), node.audit()[-4:])
    check("V got nothing more (no second request)", vendor.requests.empty(), "")

    # a report that does not come within push.commit_timeout (1 s now)
    node.stop()
    node.opts = [o for o in node.opts if not o.startswith("push.commit_timeout=")] + \
        ["push.commit_timeout=1"]
    check("A restarts with push.commit_timeout=1", node.start(), "")
    jid2, out = push(a, node, opts, study, URA_V)
    check("a second job of the study to V", jid2 is not None, out)
    txn1, sops, stored = request("V received the second job's request")
    check("... stored and asked to commit", sorted(stored) == sorted(files), stored)
    txn2, sops2, stored2 = request("A asked again once push.commit_timeout passed")
    check("no report: A's next attempt asks again for the stored instances only "
          "(a new transaction, no C-STORE)", txn2 not in (None, txn1) and stored2 == [] and
          sorted(sops2) == sorted(files), (txn1, txn2, stored2, sops2))
    st = report(port, cert_v[0], cert_v[1], pki["ca"], txn1, sorted(files))
    check("the report of the superseded transaction is refused", st == 0x0115, st)
    bad = sorted(files)[0]
    st = report(port, cert_v[0], cert_v[1], pki["ca"], txn2, sorted(files)[1:], [bad])
    check("V reports the new transaction with one instance failed: Success", st == 0, st)
    txn3, sops3, stored3 = request("A sent the failed instance again")
    check("... A sends that instance again and asks for it alone",
          stored3 == [bad] and sops3 == [bad], (stored3, sops3))
    st = report(port, cert_v[0], cert_v[1], pki["ca"], txn3, [bad])
    check("V's last report: Success", st == 0, st)
    done = wait_until(lambda: show(jid2).get("job", {}).get("state") == "done", 60)
    j = show(jid2)
    check("the second job is done, 3/3 committed", done and j["job"]["committed"] == 3, j)

    # a receiver that never reports: the job still fails after push.give_up_after
    node.stop()
    node.opts.append("push.give_up_after=1")
    check("A restarts with push.give_up_after=1", node.start(), "")
    jid3, out = push(a, node, opts, study, URA_V)
    check("a third job of the study to V", jid3 is not None, out)
    request("V received the third job's request")
    failed = wait_until(lambda: show(jid3).get("job", {}).get("state") == "failed", 60)
    j = show(jid3)
    check("V never reports: the job fails once push.give_up_after has passed, with its reason",
          failed and "before its storage commitment report" in j["job"]["last_error"], j)

    # a study routed to V (push.route) made complete by hand: xdsctl dicom
    # publish makes its job, and that write to push.db wakes the sender,
    # which would otherwise sleep for an hour (push.poll_interval and
    # dicom.publish_after both 3600)
    node.stop()
    route = "push.route=TWIIN_V=" + URA_V
    node.opts += [route, "push.poll_interval=3600"]
    check("A restarts with push.route TWIIN_V to V and push.poll_interval=3600",
          node.start(), "")
    study5, _, files5 = make_study(tmp, 2)
    r = dicomtest.storescu(node.dport, list(files5.values()), aec="TWIIN_V")
    check("a study sent to A under the routed AE title TWIIN_V", r.returncode == 0,
          r.stdout + r.stderr)

    def routed():
        rc, out, _ = ctl(a, node, *opts, "--json", "push", "list")
        return [j for j in json.loads(out)["jobs"] if j["study"] == study5] if rc == 0 else []
    check("... no job yet: complete only after dicom.publish_after", routed() == [], routed())
    rc, out, err = ctl(a, node, *opts, "-C", route, "dicom", "publish", study5)
    check("xdsctl dicom publish of the routed study says it made a push job to V",
          rc == 0 and "to %s\n" % URA_V in out, (rc, out, err))
    # nothing else may open push.db before V is asked: closing its WAL
    # (xdsctl push list too) wakes the sender
    sops = []
    while not sops or not set(sops) <= set(files5):   # job 3's asking again, if any
        _, sops, stored = request("V received the routed study's request")
        if not sops:
            break
    check("... which woke A's sender: V stored the study and was asked to commit it",
          sorted(stored) == sorted(files5) and sorted(sops) == sorted(files5),
          (stored, sops))
    jobs = routed()
    check("... its one job, to V", len(jobs) == 1 and jobs[0]["to"] == URA_V and
          "job %d to %s" % (jobs[0]["id"], URA_V) in out, (out, jobs))
    rc, out, err = ctl(a, node, *opts, "-C", route, "dicom", "publish", study5)
    check("published again: still one job of the routed study",
          rc == 0 and len(routed()) == 1 and "job" not in out, (rc, out, err, routed()))
    check("the test double saw no protocol error", vendor.errors == [], vendor.errors)


if __name__ == "__main__":
    sys.exit(main())
