#!/usr/bin/env python3
"""A document removed (ITI-86) while `xdsctl backup` runs (make check).

XDSCTL_TEST_BACKUP_HOLD holds the backup after the databases are copied
and before any file, so the test changes the node exactly there.
Checks:
  * removed meanwhile: ITI-62 removed the entry before the backup, ITI-86
    removes the document during the hold; the backup says "1 documents
    removed during the backup left out", `xdsctl restore` accepts its
    manifest (the copy of repository.db changed after it was copied, and
    is listed as it is), and `xdsctl db check` of the restored state is
    clean, with the other documents there and the removed one gone;
  * damage: a document's file unlinked on the node during the hold (its
    row kept): the backup still succeeds but warns, naming the document,
    counts it in its summary and --json, and db check of its restore
    reports that one document as missing.
Prints one line per check and a final "N passed, M failed".
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "repo"))
import xdsmsg as m  # noqa: E402
from test_integrity import blob_path, db_check  # noqa: E402
from test_remove import iti62, iti86, metadata_refs  # noqa: E402
from test_repository import REPO_ID, Run  # noqa: E402
from xdstest import check, command_line, wait_until  # noqa: E402


def backup(xdsctl, state, bdir, hold, during, *extra):
    """xdsctl backup of state into bdir, held at the test point while
    during() runs: (rc, stdout, stderr)."""
    env = dict(os.environ, XDSCTL_TEST_BACKUP_HOLD=hold)
    p = subprocess.Popen([xdsctl, "-C", "node.state_dir=" + state] + list(extra) +
                         ["backup", bdir], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        held = wait_until(lambda: os.path.exists(hold) or p.poll() is not None)
        check("the backup stops at the test point", held and p.poll() is None)
        during()
    finally:
        if os.path.exists(hold):
            os.unlink(hold)
        out, err = p.communicate(timeout=120)
    return p.returncode, out, err


def restore(xdsctl, state, bdir):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state, "restore", bdir],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    a = command_line(xdsctl=True)
    with Run(a.xdsd, "backup-remove") as run:
        n, state, work = run.node, run.state, run.tmp
        pat = m.patient()
        docs = [os.urandom(3000), os.urandom(4000), os.urandom(5000)]
        st, errs, uids, _, _ = m.submit(n.port, docs, pat=pat)
        check("three documents stored", st == "Success", (st, errs))
        gone, hurt, kept = uids

        rs, rerrs = iti62(n.port, metadata_refs(n.port, gone))
        check("ITI-62 removes the metadata of one", rs == "Success", (rs, rerrs))

        def remove():
            rs, rerrs, _ = iti86(n.port, [(REPO_ID, gone)])
            check("ITI-86 removes it while the backup is held",
                  rs == "Success" and not os.path.exists(blob_path(state, docs[0])),
                  (rs, rerrs))
        b1 = os.path.join(work, "b1")
        rc, out, err = backup(a.xdsctl, state, b1, os.path.join(work, "hold1"), remove)
        check("the backup succeeds and says the removed document is left out",
              rc == 0 and "1 documents removed during the backup left out" in out and
              "warning" not in err, (rc, out, err))
        r1 = os.path.join(work, "r1")
        rc, out, err = restore(a.xdsctl, r1, b1)
        check("xdsctl restore accepts its manifest", rc == 0, (rc, out, err))
        rc, out, err = db_check(a.xdsctl, r1, "--json")
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        check("db check of the restored state is clean: two documents, none missing",
              rc == 0 and j.get("documents") == 2 and j.get("missing") == 0 and
              j.get("orphans") == 0 and j.get("unstored") == 0, (rc, out, err))

        def damage():
            os.unlink(blob_path(state, docs[1]))
        b2 = os.path.join(work, "b2")
        rc, out, err = backup(a.xdsctl, state, b2, os.path.join(work, "hold2"), damage,
                              "--json")
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        check("a file missing on the node: the backup warns, naming the document",
              rc == 0 and "warning: document %s:" % hurt in err and "missing on the node" in err,
              (rc, out, err))
        check("... and counts it (--json), removing nothing",
              j.get("missing") == 1 and j.get("removed_meanwhile") == 0, out)
        r2 = os.path.join(work, "r2")
        rc, out, err = restore(a.xdsctl, r2, b2)
        rc2, out2, err2 = db_check(a.xdsctl, r2)
        check("its restore's db check reports that document as missing",
              rc == 0 and rc2 == 1 and hurt in out2 and
              "2 documents" in out2 and "1 missing, 0 damaged" in out2,
              (rc, err, rc2, out2, err2))
        check("... and the other document is there", kept not in out2)
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
