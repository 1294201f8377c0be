#!/usr/bin/env python3
"""Stored documents that no longer hold what was recorded (make check).

A node with repository.verify_first_max=100k stores documents; then bytes
are changed on disk the way a failing disk or a careless hand would: one
byte flipped (same size), a file truncated, a file removed, a stray file
added.  ITI-43 must never deliver such a document as a success: a small
one is XDSRepositoryError (the others of the request still delivered,
PartialSuccess), a large one (checked while sent) ends the response short
of its Content-Length.  Each is logged as an error and counted in
/metrics; `xdsctl db check` finds every one, on the running node and on a
stopped one, and exits 0 on a clean store.
"""
import hashlib
import http.client
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg as m  # noqa: E402
from test_repository import REPO_ID, Node, Run  # noqa: E402
from xdstest import check, command_line  # noqa: E402

LIMIT = 100 * 1024


def blob_path(state, data):
    h = hashlib.sha256(data).hexdigest()
    return os.path.join(state, "documents", h[:2], h[2:4], h)


def flip(path, at):
    """One byte of the file changed, its size kept (blobs are 0400)."""
    os.chmod(path, 0o600)
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x01]))
    os.chmod(path, 0o400)


def truncate(path, size):
    os.chmod(path, 0o600)
    os.truncate(path, size)
    os.chmod(path, 0o400)


def metric(node, name, labels=""):
    st, body = node.get("/metrics")
    if st != 200:
        return None
    mt = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), body.decode(), re.M)
    return int(mt.group(1)) if mt else None


def damaged(node, when):
    return metric(node, "xds_repository_damaged_total", '{when="%s"}' % when)


def db_check(xdsctl, state, *extra):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state] + list(extra) + ["db", "check"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def retrieve_raw(port, uids):
    """(status, errors, documents, cut): cut is True when the answer ended
    short of its Content-Length."""
    try:
        rs, errs, got, _, _ = m.retrieve(port, [(REPO_ID, u, None) for u in uids])
        return rs, errs, got, False
    except (http.client.IncompleteRead, ConnectionError):
        return None, None, None, True


def main():
    a = command_line(xdsctl=True)
    with Run(a.xdsd, "integrity", ["repository.verify_first_max=100k"]) as run:
        n, state = run.node, run.state
        pat = m.patient()
        docs = {k: os.urandom(sz) for k, sz in
                (("clean", 1000), ("flipped", 2000), ("short", 3000), ("gone", 4000),
                 ("big_flipped", 300000), ("big_short", 300001))}
        keys = sorted(docs)
        st, errs, uids, _, _ = m.submit(n.port, [docs[k] for k in keys], pat=pat)
        uid = dict(zip(keys, uids))
        check("documents stored", st == "Success", (st, errs))

        rc, out, err = db_check(a.xdsctl, state)
        check("db check beside the running node: clean store, exit 0", rc == 0 and "0 damaged" in out,
              (rc, out, err))
        rc, out, err = db_check(a.xdsctl, state, "--json")
        check("db check --json: clean", rc == 0 and '"problems":[]' in out and '"documents":6' in out,
              (rc, out, err))
        n.stop()
        rc, out, err = db_check(a.xdsctl, state)
        check("db check on the stopped node: clean store, exit 0", rc == 0, (rc, out, err))
        n = run.node = Node(a.xdsd, state, ["repository.verify_first_max=100k"])

        before, sending = damaged(n, "before_answer"), damaged(n, "while_sending")
        check("/metrics has the damaged counters at 0", before == 0 and sending == 0, (before, sending))
        flip(blob_path(state, docs["flipped"]), 1000)
        truncate(blob_path(state, docs["short"]), 2999)
        flip(blob_path(state, docs["big_flipped"]), 150000)
        truncate(blob_path(state, docs["big_short"]), 200000)
        os.chmod(os.path.dirname(blob_path(state, docs["gone"])), 0o700)
        os.unlink(blob_path(state, docs["gone"]))

        rs, rerrs, got, cut = retrieve_raw(n.port, [uid["clean"], uid["flipped"], uid["short"]])
        check("one byte flipped, one truncated: PartialSuccess, XDSRepositoryError for each",
              rs == "PartialSuccess" and rerrs == ["XDSRepositoryError"] * 2, (rs, rerrs, cut))
        check("the intact document of the same request delivered",
              got is not None and got.get(uid["clean"], (0, None))[1] == docs["clean"] and
              uid["flipped"] not in got and uid["short"] not in got)
        check("counted: damaged_total{when=before_answer} 2", damaged(n, "before_answer") == 2,
              damaged(n, "before_answer"))

        rs, rerrs, got, cut = retrieve_raw(n.port, [uid["big_short"]])
        check("a large document truncated: Failure, XDSRepositoryError (size checked first)",
              rs == "Failure" and rerrs == ["XDSRepositoryError"], (rs, rerrs, cut))
        rs, rerrs, got, cut = retrieve_raw(n.port, [uid["big_flipped"]])
        check("a large document with a byte flipped: the response is cut off, never a whole answer",
              cut, (rs, rerrs))
        check("counted: damaged_total{when=while_sending} 1", damaged(n, "while_sending") == 1,
              damaged(n, "while_sending"))
        check("counted: damaged_total{when=before_answer} 3", damaged(n, "before_answer") == 3,
              damaged(n, "before_answer"))
        rs, rerrs, got, cut = retrieve_raw(n.port, [uid["gone"]])
        check("a removed blob stays XDSRepositoryError, counted as missing",
              rs == "Failure" and rerrs == ["XDSRepositoryError"] and
              metric(n, "xds_repository_missing_total") == 1, (rs, rerrs))
        rs, _, got, cut = retrieve_raw(n.port, [uid["clean"]])
        check("the node answers on after a cut-off response",
              rs == "Success" and got.get(uid["clean"], (0, None))[1] == docs["clean"], (rs, cut))

        log = n.log()
        lines = [ln for ln in log.splitlines() if "[error]" in ln and ("damaged" in ln or "do not match" in ln)]
        check("logged as errors: three before the answer, one while sending",
              len(lines) == 4 and sum("cut off" in ln for ln in lines) == 1, lines)
        check("no patient data in those lines", not any(pat.split("^")[0] in ln for ln in lines), lines)

        orphan = os.path.join(state, "documents", "00", "00", "00" * 32)
        os.makedirs(os.path.dirname(orphan), exist_ok=True)
        with open(orphan, "wb") as f:
            f.write(b"nobody's")
        os.utime(orphan, (1, 1))
        young = os.path.join(state, "documents", "00", "00", "01" * 32)
        with open(young, "wb") as f:
            f.write(b"a submission in flight")
        rc, out, err = db_check(a.xdsctl, state)
        want = {("damaged", uid["flipped"]), ("damaged", uid["short"]), ("damaged", uid["big_flipped"]),
                ("damaged", uid["big_short"]), ("missing", uid["gone"]), ("orphan", "-")}
        found = {tuple(ln.split()[:2]) for ln in out.splitlines()
                 if ln.split()[0] in ("damaged", "missing", "orphan", "unreadable", "unstored",
                                      "mismatch")}
        check("db check beside the running node finds every problem, exit 1", rc == 1 and found == want,
              (rc, out, err))
        check("db check: the young file is not judged", "01" * 32 not in out, out)
        check("db check: a truncated blob's sizes named", "holds 2999 bytes, 3000 recorded" in out, out)
        n.stop()
        rc, out2, err = db_check(a.xdsctl, state)
        check("db check on the stopped node: the same, exit 1", rc == 1 and out2 == out, (rc, out2, err))
        # The registry against the repository: an entry whose document
        # the repository lost its row of, and one whose hash differs.
        gone_row, other_hash = uid["flipped"], uid["short"]
        subprocess.run(["sqlite3", os.path.join(state, "repository.db"),
                        "DELETE FROM document WHERE unique_id = '%s'" % gone_row], check=True)
        subprocess.run(["sqlite3", os.path.join(state, "registry.db"),
                        "UPDATE document_entry SET hash = '%s' WHERE unique_id = '%s'"
                        % ("ab" * 20, other_hash)], check=True)
        rc, out3, err = db_check(a.xdsctl, state)
        lines = {tuple(ln.split()[:2]) for ln in out3.splitlines()}
        check("db check names a registry entry the repository does not hold (unstored)",
              rc == 1 and ("unstored", gone_row) in lines, out3)
        check("... and one whose SHA-1 differs between registry and repository (mismatch)",
              ("mismatch", other_hash) in lines and "ab" * 20 in out3, out3)
        rc, out, err = db_check(a.xdsctl, os.path.join(run.tmp, "nothing"))
        check("db check without a repository.db: exit 1 with the reason", rc == 1 and "repository.db" in err,
              (rc, err))
        n = run.node = Node(a.xdsd, state, ["repository.verify_first_max=100k"])
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
