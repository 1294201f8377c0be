#!/usr/bin/env python3
"""B killed (-9) between the last C-STORE of a push and its Storage
Commitment (make check).  B makes pushed instances durable at the
commitment, not at each C-STORE: until then they lie in its store as
<sop>.<ura>.pending files, without rows.  The test-only hold
XDSD_TEST_PUSH_HOLD_COMMIT stops B at the first commitment request before
anything is flushed and creates a file the test waits for; B is then
killed and started again without the hold.  B's recovery removes the
staged files and gives none of them a row; A's job completes (the
commitment B fails, A sends again); every instance is at B byte for byte
with a row naming A as its origin, and B forwards the study to its PACS
(storescp) once, each instance exactly once."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import dicomtest  # noqa: E402
from pushtest import (HCID_A, HCID_B, URA_A, URA_B, ctl, dataset, held, job,  # noqa: E402
                      make_study, push, staged)
from xdstest import (check, command_line, make_pki, org_cert, reserve_port,  # noqa: E402
                     summary, wait_until)

N = 40


def rows(node, study):
    """{sop: [origin URAs]} of the study's instance rows in node's dicom.db."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(node.state, "dicom.db"),
                         uri=True, timeout=10)
    try:
        out = {s: [] for (s,) in db.execute("SELECT sop_uid FROM instance WHERE study_uid = ?",
                                            (study,))}
        for s, o in db.execute("SELECT o.sop_uid, o.ura FROM origin o JOIN instance i"
                               " ON i.sop_uid = o.sop_uid WHERE i.study_uid = ?", (study,)):
            out[s].append(o)
        return out
    finally:
        db.close()


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="push-crash-")
    pki = make_pki(tmp)
    cert_a = org_cert(tmp, "push.a.test", URA_A, "Ziekenhuis A")
    cert_b = org_cert(tmp, "push.b.test", URA_B, "Ziekenhuis B")
    hold, pacs_port = reserve_port(), reserve_port()
    directory = os.path.join(tmp, "directory")
    with open(directory, "w") as f:
        f.write("%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n"
                "%s https://127.0.0.1:1/xca/responding %s dicom=XDSNODE@127.0.0.1:%d "
                "Ziekenhuis B\n" % (HCID_A, URA_A, HCID_B, URA_B, hold.port))
    common = ["gateway.responding=no", "gateway.initiating=no", "directory.file=" + directory,
              "dicom.publish_after=3600", "dicom.timeout=10", "push.retry_max=1",
              "push.commit_timeout=20", "http.ca=" + pki["ca"]]
    marker = os.path.join(tmp, "held")
    node_a = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_A, "http.cert=" + cert_a[0], "http.key=" + cert_a[1]],
        name="a", dicom=True)
    b = dicomtest.Xdsd(a.xdsd, tmp, common + [
        "node.home_community_id=" + HCID_B, "http.cert=" + cert_b[0], "http.key=" + cert_b[1],
        "push.listen=127.0.0.1:%d" % hold.port, "push.forward=yes",
        "dicom.pacs=PACS@127.0.0.1:%d" % pacs_port.port],
        name="b", dicom=True, env=dict(os.environ, XDSD_TEST_PUSH_HOLD_COMMIT=marker))
    pacs_dir = os.path.join(tmp, "pacs")
    os.mkdir(pacs_dir)
    pacs_port.close()
    # +uf: a second copy of an instance would be a second file
    pacs = subprocess.Popen(["storescp", "+uf", "-aet", "PACS", "-od", pacs_dir,
                             str(pacs_port.port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check("node A starts", node_a.start(), "")
        check("node B (push.listen, the test hold set) starts", b.start(), "")
        if node_a.running() and b.running():
            run(a, tmp, node_a, b, marker, pacs_dir)
        else:
            node_a.dump_log()
            b.dump_log()
    finally:
        for n in (b, node_a):
            n.stop()
        if pacs.poll() is None:
            pacs.terminate()
            pacs.wait()
        hold.close()
        if summary() == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    return summary()


def run(a, tmp, node_a, b, marker, pacs_dir):
    opts = ["-C", "directory.file=" + os.path.join(tmp, "directory"),
            "-C", "node.home_community_id=" + HCID_A]
    study, _, files = make_study(tmp, N)
    r = dicomtest.storescu(node_a.dport, list(files.values()))
    check("a study of %d instances at A's bridge" % N, r.returncode == 0 and
          wait_until(lambda: len(held(node_a, study)) == N, 30), r.stdout + r.stderr)
    jid, out = push(a, node_a, opts, study)
    check("xdsctl push queues the job", jid is not None, out)
    got = wait_until(lambda: os.path.exists(marker), 60)
    check("B answered every C-STORE and holds at the commitment request", got,
          b.log()[-2000:])
    if not got:
        return
    pend = staged(b, study)
    check("... the %d instances staged (.pending), none placed as <sop>.dcm" % N,
          len(pend) == N and held(b, study) == {}, (len(pend), sorted(held(b, study))))
    check("... and none has a row in B's dicom.db", rows(b, study) == {}, rows(b, study))
    b.kill()
    b.env = None
    check("B restarts after kill -9 (without the hold)", b.start(), "")
    check("B's recovery removed the staged files, giving them no row",
          "%d pushed instances never committed removed" % N in b.log() and
          staged(b, study) == [], b.log()[-2000:])
    done = wait_until(lambda: job(a, node_a, opts, jid).get("job", {}).get("state")
                      in ("done", "failed", "cancelled") and True, 120)
    j = job(a, node_a, opts, jid)
    check("A's job completes after B's restart (%d/%d committed, more than one attempt)"
          % (N, N), done and j["job"]["state"] == "done" and j["job"]["committed"] == N and
          j["job"]["attempts"] >= 2, j or node_a.log()[-3000:])
    at_b = held(b, study)
    check("every instance at B, its dataset byte for byte A's",
          sorted(at_b) == sorted(files) and
          all(dataset(at_b[s])[1] == dataset(files[s])[1] for s in files if s in at_b),
          sorted(at_b))
    rw = rows(b, study)
    check("B has a row for each, A its origin, and no row for a file it lacks",
          sorted(rw) == sorted(files) and all(v == [URA_A] for v in rw.values()) and
          all(s in at_b for s in rw), rw)
    check("no staged file left at B", staged(b, study) == [], staged(b, study))
    rc, out, err = ctl(a, b, "db", "check")
    check("xdsctl db check at B: every row has its file", rc == 0, out + err)

    def fwd():
        rc, out, _ = ctl(a, b, "--json", "push", "list")
        return [x for x in json.loads(out)["jobs"] if x["study"] == study] if rc == 0 else []
    fw = wait_until(lambda: [x for x in fwd() if x["state"] == "done"], 60)
    check("B forwarded the study to its PACS once (one job, done %d/%d)" % (N, N),
          fw and len(fwd()) == 1 and fw[0]["committed"] == N, fwd())
    pacs = wait_until(lambda: len(os.listdir(pacs_dir)) >= N and os.listdir(pacs_dir), 30) or []
    check("the PACS has each instance exactly once, byte for byte",
          len(pacs) == N and sorted(dataset(os.path.join(pacs_dir, f))[1] for f in pacs) ==
          sorted(dataset(p)[1] for p in files.values()), len(pacs))


if __name__ == "__main__":
    sys.exit(main())
