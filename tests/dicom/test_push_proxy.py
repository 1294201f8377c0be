#!/usr/bin/env python3
"""A push from a node whose DICOM bridge runs in proxy mode (make check):
A keeps only header-only copies, its PACS is dcmtk's dcmqrscp serving
C-GET; B is a receiving node (push.listen, mutual TLS) forwarding to its
own PACS, storescp.  `xdsctl push --to URA --study UID` on A: A's sender
fetches the instances from its PACS into the job's spool, two at a time
(push.fetch_window=2: one C-GET association per window, counted in
dcmqrscp's log), sends each window while it fetches the next, and the
job is done; B and B's PACS hold each instance with the dataset byte for
byte the one A's PACS holds; the spool is gone.  A's PACS down: the job
is retried, `xdsctl push show` says why, and once the PACS is back the
job completes.  B down: the windows fetched stay in the spool (no more
than two of push.fetch_window files), and `xdsctl push cancel` removes
it, as the sender removes a spool no job owns; a restart removes every
spool.  A study the PACS sends to A under a routed AE title (push.route)
is fetched and pushed by the job the route makes."""
import json
import os
import re
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import dicomtest  # noqa: E402
from pushtest import (HCID_A, HCID_B, URA_A, URA_B, ctl, dataset, held, job,  # noqa: E402
                      make_study, pacs_files, push, storescp)
from xdstest import (check, command_line, make_pki, org_cert, reserve_port,  # noqa: E402
                     stop_process, summary, wait_until)

WINDOW = 2


def spool(node):
    """{job dir: [files]} under node's push-spool."""
    root = os.path.join(node.state, "push-spool")
    if not os.path.isdir(root):
        return {}
    return {d: sorted(os.listdir(os.path.join(root, d))) for d in os.listdir(root)}


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="push-proxy-test-")
    pki = make_pki(tmp)
    cert_a = org_cert(tmp, "push.a.test", URA_A, "Ziekenhuis A")
    cert_b = org_cert(tmp, "push.b.test", URA_B, "Ziekenhuis B")
    hold, qres, sres = reserve_port(), reserve_port(), reserve_port()
    directory = os.path.join(tmp, "directory")
    with open(directory, "w") as f:
        f.write("%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=XDSNODE@127.0.0.1:%d "
                "Ziekenhuis B\n" % (HCID_A, URA_A, HCID_B, URA_B, hold.port))
    common = ["gateway.responding=no", "gateway.initiating=no", "directory.file=" + directory,
              "dicom.timeout=10", "push.retry_max=1", "push.commit_timeout=20",
              "http.ca=" + pki["ca"]]
    node_a = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_A, "http.cert=" + cert_a[0], "http.key=" + cert_a[1],
        "dicom.mode=proxy", "dicom.pacs=PACS@127.0.0.1:%d" % qres.port,
        "push.fetch_window=%d" % WINDOW, "push.route=TWIIN_B=" + URA_B,
        "dicom.publish_after=1"], name="a", dicom=True)
    b = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_B, "http.cert=" + cert_b[0], "http.key=" + cert_b[1],
        "push.listen=127.0.0.1:%d" % hold.port, "push.forward=yes",
        "dicom.publish_after=3600", "dicom.pacs=PACS@127.0.0.1:%d" % sres.port],
        name="b", dicom=True)
    qwork = os.path.join(tmp, "qr")
    os.makedirs(qwork)
    procs = {"qr": dicomtest.qrscp(qwork, qres.port),
             "scp": storescp(os.path.join(tmp, "pacs-b"), sres.port)}
    try:
        check("node A (proxy mode, dcmqrscp as its PACS) starts", node_a.start(), "")
        check("node B (push.listen, storescp as its PACS) starts", b.start(), "")
        if node_a.running() and b.running():
            run(a, tmp, node_a, b, qwork, qres, procs, directory)
        else:
            node_a.dump_log()
            b.dump_log()
    finally:
        for n in (b, node_a):
            if n.running():
                try:
                    os.kill(n.proc.pid, signal.SIGCONT)
                except OSError:
                    pass
            n.stop()
        for p in procs.values():
            if p.poll() is None:
                stop_process(p)
        for r in (hold, qres, sres):
            r.close()
        if summary() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    return summary()


def run(a, tmp, node_a, b, qwork, qres, procs, directory):
    opts = ["-C", "directory.file=" + directory, "-C", "node.home_community_id=" + HCID_A]

    def load(files, aec="XDSNODE"):
        """The study into A's PACS, then to A (under aec)."""
        r = dicomtest.storescu(qres.port, list(files.values()), aec="PACS")
        r2 = dicomtest.storescu(node_a.dport, list(files.values()), aec=aec)
        return r.returncode == 0 and r2.returncode == 0, r.stderr + r2.stderr

    def final(jid):
        return wait_until(lambda: job(a, node_a, opts, jid).get("job", {}).get("state")
                          in ("done", "failed", "cancelled") and
                          job(a, node_a, opts, jid)["job"], 120) or {}

    def at_pacs(study):
        """{sop: dataset} of the study as A's PACS holds it."""
        out = {}
        for d, _, names in os.walk(os.path.join(qwork, "pacs")):
            for n in names:
                p = os.path.join(d, n)
                try:
                    ts, ds = dataset(p)
                except Exception:  # noqa: BLE001 (index.dat)
                    continue
                m = re.search(rb"\x08\x00\x18\x00UI..([0-9.]+)", ds, re.S)
                if m and study.encode() in ds:
                    out[m.group(1).decode()] = ds
        return out

    def same(node, study, files):
        got = held(node, study)
        ref = at_pacs(study)
        return len(got) == len(files) and len(ref) == len(files) and all(
            s in ref and dataset(p)[1] == ref[s] for s, p in got.items())

    # 1. pushed from proxy mode: fetched a window at a time
    study, _, files = make_study(tmp, 5, size=64)
    ok, err = load(files)
    check("a study of 5 images in A's PACS, and at A as header-only copies",
          ok and wait_until(lambda: len(held(node_a, study)) == 5, 30), err)
    before = dicomtest.qrscp_associations(qwork)
    jid, out = push(a, node_a, opts, study)
    check("xdsctl push --to URA --study UID queues a job on the proxy-mode node", jid is not None,
          out)
    j = final(jid) if jid else {}
    check("the job is done: B committed every instance (5/5)",
          j.get("state") == "done" and j.get("committed") == 5, j or node_a.log()[-3000:])
    check("every instance at B, its dataset byte for byte the one A's PACS holds",
          same(b, study, files), sorted(held(b, study)))
    n_assoc = dicomtest.qrscp_associations(qwork) - before
    check("the instances were fetched a window (push.fetch_window=%d) per C-GET association: "
          "3 for 5 instances" % WINDOW, n_assoc == 3, n_assoc)
    check("the spool is empty once the job is done", spool(node_a) == {}, spool(node_a))
    # storescp writes each file in place: only the forward job's end (every
    # C-STORE answered, so every file written) says the PACS holds them
    def b_forward(st):
        rc, out, _ = ctl(a, b, "--json", "push", "list")
        jobs = json.loads(out)["jobs"] if rc == 0 else []
        return [j for j in jobs if j["to"] == "dicom.pacs" and j["study"] == st and
                j["state"] == "done"]
    fdone = wait_until(lambda: b_forward(study), 60)
    got = pacs_files(os.path.join(tmp, "pacs-b")) if fdone else []
    check("B forwarded the study to its PACS (storescp), datasets byte for byte",
          fdone and sorted(got) == sorted(at_pacs(study).values()), len(got))

    # 2. A's PACS down: retried with its reason, then done
    stop_process(procs["qr"])
    study2, _, files2 = make_study(tmp, 3, size=64)
    r = dicomtest.storescu(node_a.dport, list(files2.values()))
    check("a second study at A (header-only copies) while A's PACS is down",
          r.returncode == 0 and wait_until(lambda: len(held(node_a, study2)) == 3, 30), r.stderr)
    jid2, out = push(a, node_a, opts, study2)
    retried = jid2 is not None and wait_until(
        lambda: job(a, node_a, opts, jid2).get("job", {}).get("attempts", 0) >= 2, 60)
    j = job(a, node_a, opts, jid2) if jid2 else {}
    check("A's PACS down: the job stays queued and is retried",
          retried and j["job"]["state"] in ("queued", "sending"), j)
    rc, out, err = ctl(a, node_a, *opts, "push", "show", str(jid2))
    check("... xdsctl push show says why (the fetch from the PACS)",
          rc == 0 and "fetching from the PACS" in out and "PACS@127.0.0.1" in out, out + err)
    check("... and B received nothing of it", held(b, study2) == {}, sorted(held(b, study2)))
    procs["qr"] = dicomtest.qrscp(qwork, qres.port)
    r = dicomtest.storescu(qres.port, list(files2.values()), aec="PACS")
    check("A's PACS is back, with the study", r.returncode == 0, r.stderr)
    j = final(jid2) if jid2 else {}
    check("... and the job completes (3/3 committed)",
          j.get("state") == "done" and j.get("committed") == 3, j)
    check("... every instance at B, byte for byte", same(b, study2, files2),
          sorted(held(b, study2)))
    check("... the spool empty", spool(node_a) == {}, spool(node_a))

    # 3. B down: the window fetched waits in the spool; cancel removes it
    b.stop()
    study3, _, files3 = make_study(tmp, 5, size=64)
    ok, err = load(files3)
    check("a third study in A's PACS and at A", ok and
          wait_until(lambda: len(held(node_a, study3)) == 5, 30), err)
    jid3, out = push(a, node_a, opts, study3)
    waiting = jid3 is not None and wait_until(
        lambda: job(a, node_a, opts, jid3).get("job", {}).get("attempts", 0) >= 2, 60)

    def two_windows():
        # a later attempt may be fetching (a .part file) when we look
        sp = spool(node_a)
        return (list(sp) == [str(jid3)] and len(sp[str(jid3)]) == 2 * WINDOW and
                all(f.endswith(".dcm") for f in sp[str(jid3)]))
    check("B down: the job is retried, its spool holds two windows only, the one it "
          "could not send and the one fetched meanwhile (%d of 5 files)" % (2 * WINDOW),
          waiting and wait_until(two_windows, 30), (spool(node_a), job(a, node_a, opts, jid3)))
    stray = os.path.join(node_a.state, "push-spool", "987654")
    os.makedirs(stray, exist_ok=True)
    open(os.path.join(stray, "x.dcm"), "w").close()
    rc, out, err = ctl(a, node_a, *opts, "push", "cancel", str(jid3))
    check("xdsctl push cancel: the job's spool and one no job owns are removed",
          rc == 0 and wait_until(lambda: spool(node_a) == {}, 30), (out, err, spool(node_a)))
    stale = os.path.join(node_a.state, "push-spool", str(jid3))
    os.makedirs(stale, exist_ok=True)
    open(os.path.join(stale, "x.dcm.part"), "w").close()
    node_a.stop()
    check("A restarts", node_a.start(), "")
    check("... and removed the spool a job left behind at start", spool(node_a) == {},
          spool(node_a))
    check("B starts again", b.start(), "")

    # 4. routed: the PACS sends to A under TWIIN_B; the job fetches
    study4, _, files4 = make_study(tmp, 3, size=64)
    ok, err = load(files4, aec="TWIIN_B")
    check("a study in A's PACS, sent to A under the routed AE title TWIIN_B", ok, err)

    def routed():
        rc, out, _ = ctl(a, node_a, *opts, "--json", "push", "list")
        return [x for x in json.loads(out)["jobs"] if x["study"] == study4] if rc == 0 else []
    jobs = wait_until(lambda: [x for x in routed() if x["state"] == "done"], 120)
    check("once complete A pushed it to B on its own, fetching it from its PACS (done 3/3)",
          jobs and jobs[0]["committed"] == 3 and jobs[0]["to"] == URA_B,
          routed() or node_a.log()[-3000:])
    check("... every instance at B, byte for byte", same(b, study4, files4),
          sorted(held(b, study4)))
    check("... the spool empty", spool(node_a) == {}, spool(node_a))


if __name__ == "__main__":
    sys.exit(main())
