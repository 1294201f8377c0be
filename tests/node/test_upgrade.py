#!/usr/bin/env python3
"""Today's xdsd on the state of an earlier release, and back (make check).

tests/fixtures/state-0.1.0 is the state directory written by release 0.1.0
(tests/fixtures/make_state.py): two documents and a published DICOM
study for patient 999911120, its databases as SQL text with their
user_version (registry.db 1, repository.db and dicom.db 0: versions were
not kept yet).  Checks:
  * today's xdsd starts on it and brings each database to its version,
    saying so in the log; the documents are found and retrieved byte for
    byte, FindDocuments gives each old entry its lid and VersionInfo
    (the stored XML of 0.1.0 has no VersionInfo), the study is there and
    published, `xdsctl db check` finds nothing wrong, and the access
    log's hash chain goes on from the old records (`xdsctl audit verify`);
  * a database written by a newer release (a higher user_version) is
    refused: xdsd exits 1 naming the file and saying that a downgrade is
    not supported, and leaves the file as it was.
Prints one line per check and a final "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
import xdsmsg  # noqa: E402
from xdstest import DEADLINE, Xdsd, check, command_line, summary, tmpdir  # noqa: E402
from dicomtest import wait_published  # noqa: E402

FIXTURE = os.path.join(HERE, "..", "fixtures", "state-0.1.0")
DOCS = [b"fixture document one\n", b"fixture document two\n"]
STUDY = "1.2.826.0.1.3680043.10.1.1"
REPOSITORY_ID = "1.3.6.1.4.1.21367.13.71.1"


def make_state(state):
    """The fixture as a state directory."""
    os.makedirs(state, mode=0o700)
    for name in sorted(os.listdir(FIXTURE)):
        src = os.path.join(FIXTURE, name)
        if name.endswith(".sql"):
            with open(src) as f:
                subprocess.run(["sqlite3", os.path.join(state, name[:-4] + ".db")], stdin=f,
                               check=True)
        elif os.path.isdir(src):
            shutil.copytree(src, os.path.join(state, name))
    for root, dirs, files in os.walk(os.path.join(state, "documents")):
        for f in files:
            os.chmod(os.path.join(root, f), 0o400)


def version(db):
    return subprocess.run(["sqlite3", db, "PRAGMA user_version"], capture_output=True,
                          text=True).stdout.strip()


def ctl(xdsctl, state, *args):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state, *args], capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    a = command_line(xdsctl=True)
    if shutil.which("sqlite3") is None:
        print("SKIP: sqlite3 not installed")
        return 77
    work = tmpdir("upgrade")
    state = os.path.join(work, "state")
    make_state(state)
    with open(os.path.join(FIXTURE, "uids")) as f:
        uids = f.read().split()
    node = Xdsd(a.xdsd, work, ["dicom.publish_after=3600"], dicom=True, state=state)
    try:
        if not check("today's xdsd starts on the state of release 0.1.0", node.start(),
                     node.log()[-600:]):
            return summary()
        log = node.log()
        check("it brings repository.db from version 0 to 1 and dicom.db to 3, and says so",
              "repository.db: schema version 0 to 1" in log and
              "dicom.db: schema version 0 to 3" in log and
              version(os.path.join(state, "repository.db")) == "1" and
              version(os.path.join(state, "dicom.db")) == "3", log[-800:])
        check("registry.db, at today's version already, is left alone",
              "registry.db: schema version" not in log and
              version(os.path.join(state, "registry.db")) == "1")
        st, errs, got = xdsmsg.retrieve(node.port, [(REPOSITORY_ID, u, None) for u in uids])[:3]
        check("the old documents are retrieved byte for byte",
              st == "Success" and [got.get(u, (None, None))[1] for u in uids] == DOCS, (st, errs))
        st, _, body = xdsmsg.post(node.port, "/xds/registry", "application/soap+xml",
                                  xdsmsg.envelope("urn:ihe:iti:2007:RegistryStoredQuery",
                                                  xdsmsg.find_documents(
                                                      xdsmsg.patient("999911120"))).encode())
        text = body.decode("utf-8", "replace")
        check("... and found by FindDocuments, with the study's manifest",
              all(u in text for u in uids) and text.count("<rim:ExtrinsicObject") == 3, text[:400])
        entries = [e.split("</rim:ExtrinsicObject>")[0]
                   for e in text.split("<rim:ExtrinsicObject")[1:]]
        check("... each old entry with its lid and VersionInfo (version 1), which its "
              "stored XML lacks",
              len(entries) == 3 and
              all(' lid="urn:uuid:' in e and '<rim:VersionInfo versionName="1"/>' in e
                  for e in entries), text[:600])
        check("the study is there, published",
              wait_published(a.xdsctl, state, STUDY, timeout=5) is not None)
        m = re.search(r'<rim:ExtrinsicObject[^>]* id="(urn:uuid:[^"]+)"', text)
        url = "http://127.0.0.1:%d/xds/registry" % node.port
        old = [ctl(a.xdsctl, state, "--url", url, cmd, m.group(1) if m else "none")
               for cmd in ("deprecate", "approve")]
        check("an entry of release 0.1.0 changes status by ITI-57 (xdsctl deprecate, approve)",
              [r[0] for r in old] == [0, 0], old)
        node.stop()
        rc, out, err = ctl(a.xdsctl, state, "db", "check")
        check("db check finds nothing wrong", rc == 0, out + err)
        rc, out, err = ctl(a.xdsctl, state, "audit", "verify")
        check("the access log's chain goes on from the old records", rc == 0, out + err)

        # A release from the future wrote registry.db: refused, untouched.
        reg = os.path.join(state, "registry.db")
        subprocess.run(["sqlite3", reg, "PRAGMA user_version=2"], check=True)
        p = subprocess.run(node.command(), capture_output=True, text=True, timeout=DEADLINE)
        msg = p.stdout + p.stderr
        check("a registry.db of a newer release is refused: exit 1, naming it, no downgrade",
              p.returncode == 1 and "registry.db: schema version 2" in msg and
              "downgrade is not supported" in msg, (p.returncode, msg[-600:]))
        check("... and left as it was", version(reg) == "2")
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
