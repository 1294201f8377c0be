#!/usr/bin/env python3
"""xdsctl backup and restore (make check).

A node with the DICOM bridge gets documents (ITI-41) and a study
(C-STORE, published as a KOS); while a client keeps submitting, `xdsctl
backup` copies its state.  Checks:
  * the backup finishes beside the running node and lists every file in
    its MANIFEST; a second backup into the same directory is refused;
  * `xdsctl restore` into a new state directory, and a node started on it:
    every document stored before the backup is found (FindDocuments) and
    retrieved byte for byte, the study is there and published,
    `xdsctl db check` finds nothing wrong (no blob without its row, none
    missing) and `xdsctl audit verify` accepts the access log;
  * restore refuses a non-empty state directory, a backup without
    MANIFEST, and a backup with one changed byte in a document, naming the
    file, and then leaves no state directory behind.
Prints one line per check and a final "N passed, M failed".
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
import xdsmsg  # noqa: E402
from xdstest import Xdsd, check, command_line, summary, tmpdir, wait_until  # noqa: E402
from dicomtest import bsn_instance, storescu, wait_published  # noqa: E402

BSN = "999911120"


def ctl(xdsctl, state, *args):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state, *args],
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def repository_id(xdsd):
    """repository.unique_id of the default configuration."""
    out = subprocess.run([xdsd, "-n", "-v"], capture_output=True, text=True).stdout
    section = None
    for line in out.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "repository" and line.startswith("unique_id = "):
            return line.split(" = ", 1)[1]
    return None


def found_uids(port, pat):
    st, _, body = xdsmsg.post(port, "/xds/registry", "application/soap+xml; charset=UTF-8",
                           xdsmsg.envelope("urn:ihe:iti:2007:RegistryStoredQuery",
                                           xdsmsg.find_documents(pat)).encode())
    text = body.decode("utf-8", "replace")
    return text


def main():
    a = command_line(xdsctl=True)
    work = tmpdir("backup")
    node = Xdsd(a.xdsd, work, ["dicom.publish_after=3600", "dicom.timeout=10"], name="a",
                dicom=True)
    restored = None
    try:
        if not check("the node starts", node.start(), ""):
            node.dump_log()
            return summary()
        pat = xdsmsg.patient(BSN)
        docs = [b"report %d " % i + os.urandom(2000) for i in range(3)]
        st, errs, uids = xdsmsg.submit(node.port, docs, pat=pat)[:3]
        check("three documents are stored", st == "Success", errs)

        study, series = "1.2.3.99.1", "1.2.3.99.1.1"
        files = [bsn_instance(os.path.join(work, "i%d.dcm" % i), "1.2.3.99.1.1.%d" % i,
                              study, series, "LOCAL1") for i in range(2)]
        r = storescu(node.dport, files)
        check("two instances arrive by C-STORE", r.returncode == 0, r.stderr[-400:])
        rc, out, err = ctl(a.xdsctl, node.state, "dicom", "publish", study)
        row = wait_published(a.xdsctl, node.state, study)
        check("the study is published", row is not None, out + err)

        # Submissions go on during the backup: it is made beside a
        # running node, and what comes after it is left out whole.
        stop = threading.Event()
        later = []

        def submitter():
            while not stop.is_set():
                r = xdsmsg.submit(node.port, [os.urandom(500)], pat=pat)
                if r[0] == "Success":
                    later.append(r[2][0])
        t = threading.Thread(target=submitter)
        t.start()
        wait_until(lambda: len(later) > 0 or not t.is_alive())
        bdir = os.path.join(work, "backup")
        try:
            rc, out, err = ctl(a.xdsctl, node.state, "backup", bdir)
        finally:
            stop.set()
            t.join()
        check("xdsctl backup copies the running node's state (push.db too)", rc == 0 and
              "4 databases" in out, out + err)
        check("... quietly when not on a terminal (no progress lines)", err == "", err)
        if shutil.which("script"):
            # on a terminal (script(1) gives it one): progress on stderr
            tty_dir = os.path.join(work, "backup-tty")
            p = subprocess.run(["script", "-qec", " ".join(shlex.quote(w) for w in [
                a.xdsctl, "-C", "node.state_dir=" + node.state, "backup", tty_dir]),
                "/dev/null"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=300)
            check("... and with progress lines on a terminal",
                  p.returncode == 0 and re.search(r"^backup: \d+ files, [0-9.]+ MiB$", p.stdout, re.M),
                  (p.returncode, p.stdout[-300:], p.stderr[-300:]))
        with open(os.path.join(bdir, "MANIFEST")) as f:
            man = f.read().splitlines()
        names = [l.split(" ", 2)[2] for l in man[1:]]
        check("its MANIFEST lists the databases, documents, instances and access log",
              man[0] == "xdsnode backup 1" and "registry.db" in names and
              "repository.db" in names and "dicom.db" in names and
              sum(n.startswith("documents/") for n in names) >= 3 and
              any(n.startswith("dicom/") and n.endswith(".dcm") for n in names) and
              any(n.startswith("audit/access-") for n in names) and
              not any(n.endswith(("-wal", "-shm")) or "/tmp/" in n or n.startswith("spool")
                      for n in names), names)
        rc, out, err = ctl(a.xdsctl, node.state, "backup", bdir)
        check("a backup into a directory that is not empty is refused",
              rc == 1 and "not empty" in err, out + err)
        node.stop()

        rstate = os.path.join(work, "r", "state")
        os.makedirs(os.path.dirname(rstate))
        rc, out, err = ctl(a.xdsctl, rstate, "restore", bdir)
        check("xdsctl restore fills a new state directory", rc == 0 and "restored" in out,
              out + err)
        rc, out, err = ctl(a.xdsctl, rstate, "restore", bdir)
        check("restore into a state directory that is not empty is refused",
              rc == 1 and "not empty" in err, out + err)
        rc, out, err = ctl(a.xdsctl, rstate, "db", "check")
        check("db check of the restored state finds nothing wrong", rc == 0 and
              "0 missing, 0 damaged, 0 unreadable, 0 orphans" in out and err == "", out + err)
        rc, out, err = ctl(a.xdsctl, rstate, "audit", "verify")
        check("the restored access log's hash chain holds", rc == 0, out + err)

        restored = Xdsd(a.xdsd, work, ["dicom.publish_after=3600"], name="r", dicom=True,
                        state=rstate)
        if check("a node starts on the restored state", restored.start(), ""):
            text = found_uids(restored.port, pat)
            check("every document stored before the backup is found",
                  all(u in text for u in uids), text[:300])
            st, errs, got = xdsmsg.retrieve(restored.port, [(repository_id(a.xdsd), u, None)
                                                            for u in uids])[:3]
            check("... and retrieved byte for byte", st and st.endswith("Success") and
                  [got.get(u, (None, None))[1] for u in uids] == docs, (st, errs))
            # Of the documents submitted during the backup, each is in
            # the copy whole (found and retrievable) or not at all.
            during = [u for u in later if u in text]
            st, errs, got = xdsmsg.retrieve(restored.port, [(repository_id(a.xdsd), u, None)
                                                            for u in during])[:3] \
                if during else ("Success", [], {})
            check("documents submitted during the backup are in the copy whole or not at all",
                  st == "Success" and all(u in got for u in during),
                  (len(later), len(during), st, errs))
            row = wait_published(a.xdsctl, rstate, study, timeout=5)
            check("the study is there, published", row is not None)
            restored.stop()

        # db check --repair on the stopped restored node: an orphan blob
        # and a temporary file go, nothing else is touched.
        orphan = os.path.join(rstate, "documents", "00", "00", "00" * 32)
        os.makedirs(os.path.dirname(orphan), exist_ok=True)
        with open(orphan, "wb") as f:
            f.write(b"nobody's")
        os.utime(orphan, (1, 1))
        os.makedirs(os.path.join(rstate, "documents", "tmp"), exist_ok=True)
        with open(os.path.join(rstate, "documents", "tmp", "upload.part"), "wb") as f:
            f.write(b"half")
        rc, out, err = ctl(a.xdsctl, rstate, "db", "check", "--repair")
        check("db check --repair removes the orphan and the temporary file",
              rc == 0 and "repaired: 1 orphan files and 1 temporary files removed" in out and
              not os.path.exists(orphan), out + err)
        rc, out, err = ctl(a.xdsctl, rstate, "db", "check")
        check("... after which db check is clean", rc == 0, out + err)
        # The DICOM store against dicom.db.
        inst = [n for n in names if n.startswith("dicom/") and n.endswith(".dcm") and
                "/kos/" not in n]
        kos = [n for n in names if n.startswith("dicom/kos/")]
        os.unlink(os.path.join(rstate, inst[0]))
        os.unlink(os.path.join(rstate, kos[0]))
        rc, out, err = ctl(a.xdsctl, rstate, "db", "check")
        check("db check names an instance row without its file and a published study "
              "without its manifest", rc == 1 and
              ("no-instance-file", "1.2.3.99.1.1.0") in {tuple(l.split()[:2]) for l in out.splitlines()}
              and ("no-manifest", study) in {tuple(l.split()[:2]) for l in out.splitlines()}
              and "1 without their file, 1 without their manifest" in out, out + err)

        # A changed byte in a document, and a backup without MANIFEST.
        bad = os.path.join(work, "bad")
        shutil.copytree(bdir, bad)
        victim = os.path.join(bad, [n for n in names if n.startswith("documents/")][0])
        os.chmod(victim, 0o600)
        with open(victim, "r+b") as f:
            c = f.read(1)
            f.seek(0)
            f.write(bytes([c[0] ^ 1]))
        r2 = os.path.join(work, "r2")
        rc, out, err = ctl(a.xdsctl, r2, "restore", bad)
        check("restore of a backup with a changed document is refused, naming it",
              rc == 1 and os.path.basename(victim) in err and "SHA-256" in err, out + err)
        check("... and leaves no state directory behind",
              not os.path.exists(r2) and not os.path.exists(r2 + ".restore"))
        os.unlink(os.path.join(bad, "MANIFEST"))
        rc, out, err = ctl(a.xdsctl, r2, "restore", bad)
        check("restore of a directory without MANIFEST is refused",
              rc == 1 and "not a finished backup" in err and not os.path.exists(r2), out + err)
    finally:
        node.stop()
        if restored is not None:
            restored.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
