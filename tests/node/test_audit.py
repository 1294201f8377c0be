#!/usr/bin/env python3
"""The access log fails closed (make check).

The audit directory of a live xdsd is a small tmpfs, filled to the last
page while the node serves: a query (ITI-18) and a retrieve (ITI-43)
whose record cannot be written are answered 503 with a fault that says
why, and nothing of the patient's data leaves the node; the log holds
whole lines only (a record that did not fit is cut again) and `xdsctl
audit` reads every record; once space is back the node answers again.
With audit.min_free set, a submission is refused before anything is
stored.  A record torn by a crash is cut at start-up.  The records are
hash-chained across restarts and day files: `xdsctl audit verify` passes
on the log as written and names the first broken record after a line is
changed or deleted.  Past days are compressed by the node (at start),
read back by `xdsctl audit` and verify, never before the ATNA sender has
sent them, and removed after audit.retention_days, verify then saying
where the chain begins.

Needs a mount namespace (unshare -rm, util-linux) for the tmpfs: the test
re-runs itself in one, and is skipped (77) where none can be made.
"""
import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import (Xdsd, check, command_line, soap_envelope, summary,  # noqa: E402
                     tmpdir, wait_until)
import xdsmsg  # noqa: E402

REPO_UID = "1.3.6.1.4.1.21367.13.71.1"
TMPFS_SIZE = 256 * 1024



def in_namespace():
    """Re-run this test in a new user and mount namespace; its exit
    status, or 77 when no namespace can be made here."""
    try:
        probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    except FileNotFoundError:
        print("unshare not installed: skipped")
        return 77
    if probe.returncode != 0:
        print("no mount namespace here (%s): skipped" % probe.stderr.decode().strip())
        return 77
    env = dict(os.environ, XDS_AUDIT_NS="1")
    return subprocess.run(["unshare", "-rm", sys.executable] + sys.argv, env=env).returncode


def mount_tmpfs(path):
    os.makedirs(path, mode=0o700, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % TMPFS_SIZE,
                    "tmpfs", path], check=True)


def fill(path):
    """Fill the file system of path to its last page; the filler's path."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 64, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return filler


def records_whole(state):
    """(True, n) when every access log file is whole lines of JSON
    objects, else (False, what is wrong)."""
    n = 0
    for name in sorted(os.listdir(os.path.join(state, "audit"))):
        if not name.startswith("access-"):
            continue
        data = open(os.path.join(state, "audit", name), "rb").read()
        if data and not data.endswith(b"\n"):
            return False, "%s does not end with a newline: %r" % (name, data[-80:])
        for line in data.splitlines():
            try:
                if not isinstance(json.loads(line), dict):
                    return False, "not an object: %r" % line[:120]
            except ValueError:
                return False, "not JSON: %r" % line[:120]
            n += 1
    return True, n


def find(node, pat):
    return node.post("/xds/registry", soap_envelope(
        "urn:ihe:iti:2007:RegistryStoredQuery", xdsmsg.find_documents(pat)))


def retrieve(node, duid):
    ct, body = xdsmsg.mtom(xdsmsg.ACT_ITI43, xdsmsg.retrieve_body([(REPO_UID, duid, None)]), [])
    st, rct, rb = xdsmsg.post(node.port, "/xds/repository", ct, body)
    return st, rb


def metric(node, name):
    st, body = node.get("/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if st == 200 and m else -1


def full_disk_tests(xdsd, xdsctl, work):
    """min_free 0: the requests reach the log and find it full."""
    node = Xdsd(xdsd, work, ["audit.min_free=0"], name="full")
    mount_tmpfs(os.path.join(node.state, "audit"))
    if not check("full disk: the node starts on a tmpfs audit directory", node.start(), ""):
        node.dump_log()
        return
    try:
        pat = xdsmsg.patient()
        secret = b"Uitslag MRI knie: geen afwijkingen " + os.urandom(8).hex().encode()
        status, errors, uids, _, _ = xdsmsg.submit(node.port, [secret], pat)
        check("full disk: a document is submitted first", status == "Success", repr(errors))
        st, body = find(node, pat)
        check("full disk: the query finds it while there is space",
              st == 200 and uids[0].encode() in body, body[:300])

        filler = fill(os.path.join(node.state, "audit"))
        answers = []
        for i in range(100):     # the last page fills within a few records
            st, body = find(node, pat)
            answers.append((st, body))
            if st == 503:
                break
        st, body = answers[-1]
        check("full disk: a query whose record does not fit is refused (503)", st == 503,
              "%d answers, last %d %r" % (len(answers), st, body[:300]))
        check("full disk: the refusal is a SOAP fault that says why",
              b"Fault" in body and b"access log" in body, body[:400])
        check("full disk: nothing of the patient leaves with the refusal",
              uids[0].encode() not in body and pat.split("^")[0].encode() not in body, body[:400])
        # A health record is shorter than a query's: it may still fit in
        # what is left of the last page, until it does not.
        health = [node.get("/health") for _ in range(50)]
        bad = [h for h in health if h[0] != 200]
        check("full disk: /health says the access log cannot take records",
              bad and bad[0][0] == 503 and b"access log" in bad[0][1], repr(health[-1]))
        st, rb = retrieve(node, uids[0])
        check("full disk: a retrieve is refused (503) without the document",
              st == 503 and secret not in rb, "%d %r" % (st, rb[:300]))
        ok, n = records_whole(node.state)
        check("full disk: the log holds whole records only (a torn one was cut)", ok, n)
        check("full disk: failed records are counted",
              metric(node, 'xds_audit_records_total{result="failed"}') >= 1, "")

        os.unlink(filler)
        st, body = find(node, pat)
        if not check("full disk: with space back the query is answered again",
                     st == 200 and uids[0].encode() in body, "%d %r" % (st, body[:300])):
            node.dump_log(3000)
        st, rb = retrieve(node, uids[0])
        check("full disk: and the retrieve", st == 200 and secret in rb, "%d" % st)
        ok, n = records_whole(node.state)
        check("full disk: the log is still whole records", ok, n)
        rc, out = verify(xdsctl, node.state)
        check("full disk: the records cut for want of space left the chain whole", rc == 0, out)
        p = subprocess.run([xdsctl, "-C", "node.state_dir=" + node.state, "--json", "audit"],
                           capture_output=True, text=True)
        recs = json.loads(p.stdout) if p.returncode == 0 and p.stdout.startswith("[") else []
        check("full disk: xdsctl audit reads every record",
              p.returncode == 0 and "not a whole record" not in p.stderr and len(recs) == n,
              "rc %d, %d of %d, %s" % (p.returncode, len(recs), n, p.stderr[:300]))
        refused = [r for r in recs if r.get("http_status") == 503]
        check("full disk: a refusal that could be written is recorded as a fault",
              all(r["outcome"] == "fault" for r in refused), repr(refused[:2]))
    finally:
        node.stop()


def reserve_tests(xdsd, work):
    """min_free: below it requests are refused before any work."""
    node = Xdsd(xdsd, work, ["audit.min_free=128k"], name="reserve")
    audit = os.path.join(node.state, "audit")
    mount_tmpfs(audit)
    if not check("reserve: the node starts", node.start(), ""):
        node.dump_log()
        return
    try:
        filler = os.path.join(audit, "filler")
        with open(filler, "wb") as f:      # leaves less than 128k of 256k
            f.write(b"\0" * (160 * 1024))
        pat = xdsmsg.patient()
        status, errors, uids, xml, st = xdsmsg.submit(node.port, [b"verslag"], pat)
        check("reserve: a submission is refused (503) before anything is stored",
              st == 503 and "access log" in xml, "%s %r" % (st, xml[:300]))
        st, body = node.get("/health")
        check("reserve: /health says why", st == 503 and b"audit.min_free" in body, body)
        recs = [json.loads(l) for f in os.listdir(audit) if f.startswith("access-")
                for l in open(os.path.join(audit, f))]
        check("reserve: the refusal is audited (outcome fault, 503)",
              any(r["http_status"] == 503 and r["endpoint"] == "/xds/repository" for r in recs), "")
        os.unlink(filler)
        st, body = find(node, pat)
        check("reserve: nothing of the refused submission was stored",
              st == 200 and uids[0].encode() not in body, body[:300])
        check("reserve: refusals are counted", metric(node, "xds_audit_refused_total") >= 1, "")
    finally:
        node.stop()


def torn_tail_tests(xdsd, xdsctl):
    work = tmpdir("audit-torn")
    node = Xdsd(xdsd, work)
    if not check("torn tail: the node starts", node.start(), ""):
        node.dump_log()
        return
    node.get("/health")
    node.stop()
    logs = [f for f in os.listdir(os.path.join(node.state, "audit")) if f.startswith("access-")]
    path = os.path.join(node.state, "audit", sorted(logs)[-1])
    with open(path, "ab") as f:
        f.write(b'{"time":"2026-01-01T00:00:00.000Z","event":"ITI-18","user":"anon')
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + node.state, "audit"],
                       capture_output=True, text=True)
    check("torn tail: xdsctl audit reports a torn record instead of misreading it",
          p.returncode == 1 and "not a whole record" in p.stderr, p.stdout + p.stderr)
    ok = node.start()
    check("torn tail: the node starts over a torn record", ok, "")
    whole, n = records_whole(node.state)
    check("torn tail: it is cut at start-up, the records before it kept", whole and n >= 1, n)
    check("torn tail: the cut is logged", "torn record cut" in node.log(), node.log()[-500:])
    node.get("/health")
    rc, out = verify(xdsctl, node.state)
    check("torn tail: the record after the cut chains to the last whole one", rc == 0, out)
    node.stop()
    shutil.rmtree(work, ignore_errors=True)


def verify(xdsctl, state):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state, "audit", "verify"],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def chain_tests(xdsd, xdsctl):
    """The chain over a restart and into a new day file; verify finds a
    changed and a deleted record and names the first broken one."""
    work = tmpdir("audit-chain")
    node = Xdsd(xdsd, work)
    if not check("chain: the node starts", node.start(), ""):
        node.dump_log()
        return
    pat = xdsmsg.patient()
    for _ in range(3):
        node.get("/health")
    node.stop()
    audit = os.path.join(node.state, "audit")
    today = sorted(f for f in os.listdir(audit) if f.startswith("access-"))[-1]
    # Yesterday's file, as if the node had run then: the next record opens
    # today's file and must chain to the last record of this one, which
    # the node compressed at start.
    oldname = "access-%s.jsonl" % day(-1)
    os.rename(os.path.join(audit, today), os.path.join(audit, oldname))
    check("chain: the node starts again", node.start(), "")
    status, errors, uids, _, _ = xdsmsg.submit(node.port, [b"verslag"], pat)
    check("chain: a submission after the restart", status == "Success", repr(errors))
    find(node, pat)
    node.stop()
    rc, out = verify(xdsctl, node.state)
    check("chain: verify passes over the restart and the new day file",
          rc == 0 and "intact" in out and "2 files" in out, out)
    first = json.loads(open(os.path.join(audit, today)).readline())
    old = os.path.join(audit, oldname + ".gz")
    check("chain: yesterday's file was compressed at the restart",
          os.path.exists(old) and not os.path.exists(os.path.join(audit, oldname)),
          repr(sorted(os.listdir(audit))))
    last_old = gzip.open(old, "rb").read().splitlines()[-1]
    check("chain: the first record of a day file links to the last of the one before",
          first["prev"] == hashlib.sha256(last_old).hexdigest(), repr(first.get("prev")))

    path = os.path.join(audit, today)
    good = open(path, "rb").read()
    lines = good.splitlines(True)
    lines[1] = lines[1].replace(b'"outcome":"success"', b'"outcome":"failure"', 1)
    open(path, "wb").write(b"".join(lines))
    rc, out = verify(xdsctl, node.state)
    check("chain: a changed record is found: the record after it is named, the changed one too",
          rc == 1 and "%s line 3:" % today in out and "%s line 2)" % today in out, out)
    lines = good.splitlines(True)
    del lines[1]
    open(path, "wb").write(b"".join(lines))
    rc, out = verify(xdsctl, node.state)
    check("chain: a deleted record is found at the record after the gap",
          rc == 1 and "%s line 2:" % today in out and "removed" in out, out)
    open(path, "wb").write(good)
    data = open(old, "rb").read()
    os.unlink(old)
    rc, out = verify(xdsctl, node.state)
    check("chain: a removed earlier file is found", rc == 1 and "line 1:" in out, out)
    open(old, "wb").write(data)
    rc, out = verify(xdsctl, node.state)
    check("chain: restored, the log verifies again", rc == 0, out)
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + node.state, "audit",
                        "patient=" + pat.split("^")[0]], capture_output=True, text=True)
    check("chain: xdsctl audit patient= shows when, what, from where and who",
          p.returncode == 0 and "ITI-41" in p.stdout and "127.0.0.1" in p.stdout
          and "anonymous" in p.stdout, p.stdout + p.stderr)
    shutil.rmtree(work, ignore_errors=True)


def day(offset):
    """YYYY-MM-DD, UTC, offset days from today."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset)
    return t.strftime("%Y-%m-%d")


def audit_json(xdsctl, state, *filters):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + state, "--json", "audit"]
                       + list(filters), capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except ValueError:
        return p.returncode, None, p.stdout + p.stderr


def move_today(audit, to_day):
    today = "access-%s.jsonl" % day(0)
    os.rename(os.path.join(audit, today), os.path.join(audit, "access-%s.jsonl" % to_day))


def retention_tests(xdsd, xdsctl):
    """Three days, the two past ones compressed by the node at start;
    xdsctl audit and verify read across .gz and .jsonl; a compression cut
    short between rename and unlink; retention of one day."""
    work = tmpdir("audit-keep")
    node = Xdsd(xdsd, work)
    audit = os.path.join(node.state, "audit")
    pat = xdsmsg.patient()
    for past in (-2, -1, None):
        if not check("keep: the node starts", node.start(), ""):
            node.dump_log()
            return
        status, errors, _, _, _ = xdsmsg.submit(node.port, [b"verslag"], pat)
        check("keep: a submission", status == "Success", repr(errors))
        node.stop()
        if past is not None:
            move_today(audit, day(past))
    names = sorted(os.listdir(audit))
    check("keep: the past days compressed, today's not",
          all(n in names for n in ("access-%s.jsonl.gz" % day(-2),
                                   "access-%s.jsonl.gz" % day(-1), "access-%s.jsonl" % day(0)))
          and "access-%s.jsonl" % day(-1) not in names, repr(names))
    rc, recs, err = audit_json(xdsctl, node.state, "patient=" + pat.split("^")[0], "event=ITI-41")
    check("keep: xdsctl audit patient= sees every record across .gz and .jsonl",
          rc == 0 and recs is not None and len(recs) == 3, err)
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + node.state, "audit",
                        "patient=" + pat.split("^")[0], "since=" + day(-1)],
                       capture_output=True, text=True)
    check("keep: since= filters compressed days too",
          p.returncode == 0 and p.stdout.count(" ITI-41 ") == 2, p.stdout + p.stderr)
    rc, out = verify(xdsctl, node.state)
    check("keep: verify passes across .gz and .jsonl days",
          rc == 0 and "intact" in out and "3 files" in out, out)

    # A crash between the rename and the unlink: both forms of a day, and
    # a stale .gz.tmp of another.
    y = os.path.join(audit, "access-%s.jsonl" % day(-1))
    open(y, "wb").write(gzip.open(y + ".gz").read())
    stale = os.path.join(audit, "access-%s.jsonl.gz.tmp" % day(-2))
    open(stale, "wb").write(b"\x1f\x8b half")
    rc, recs, err = audit_json(xdsctl, node.state, "patient=" + pat.split("^")[0], "event=ITI-41")
    check("keep: after a crash mid-compression each record is read once",
          rc == 0 and recs is not None and len(recs) == 3, err)
    rc, out = verify(xdsctl, node.state)
    check("keep: after a crash mid-compression verify passes", rc == 0 and "3 files" in out, out)
    check("keep: the node starts after the crash", node.start(), "")
    node.stop()
    check("keep: the next start finishes the compression and removes the stale file",
          not os.path.exists(y) and os.path.exists(y + ".gz") and not os.path.exists(stale),
          repr(sorted(os.listdir(audit))))

    # Retention of one day: the day before yesterday goes, yesterday stays.
    os.rename(os.path.join(audit, "access-%s.jsonl.gz" % day(-2)),
              os.path.join(audit, "access-%s.jsonl.gz" % day(-3)))
    node.opts.append("audit.retention_days=1")
    check("keep: the node starts with audit.retention_days=1", node.start(), "")
    node.stop()
    names = sorted(os.listdir(audit))
    check("keep: days older than audit.retention_days are removed, newer ones kept",
          "access-%s.jsonl.gz" % day(-3) not in names
          and "access-%s.jsonl.gz" % day(-1) in names, repr(names))
    rc, out = verify(xdsctl, node.state)
    check("keep: verify passes and says where the chain begins",
          rc == 0 and "intact" in out and "the chain begins at %s: earlier days removed "
          "after audit.retention_days" % day(-1) in out, out)
    rc, recs, err = audit_json(xdsctl, node.state, "patient=" + pat.split("^")[0], "event=ITI-41")
    check("keep: the kept days' records are all read",
          rc == 0 and recs is not None and len(recs) == 2, err)
    shutil.rmtree(work, ignore_errors=True)


def unsent_tests(xdsd, xdsctl):
    """With ATNA on and its repository unreachable, a past day the sender
    has not sent stays plain."""
    work = tmpdir("audit-unsent")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    node = Xdsd(xdsd, work)
    audit = os.path.join(node.state, "audit")
    if not check("unsent: the node starts", node.start(), ""):
        node.dump_log()
        return
    node.stop()
    node.opts.append("audit.syslog_url=tcp://127.0.0.1:%d" % closed)
    check("unsent: the node starts with an unreachable audit record repository",
          node.start(), "")
    pat = xdsmsg.patient()
    status, errors, _, _, _ = xdsmsg.submit(node.port, [b"verslag"], pat)
    check("unsent: a submission", status == "Success", repr(errors))
    node.stop()
    # The day is over: its file and the sender's cursor in it are
    # yesterday's.
    move_today(audit, day(-1))
    cursor = os.path.join(audit, "outbox", "cursor")
    text = open(cursor).read()
    open(cursor, "w").write(text.replace(day(0), day(-1)))
    check("unsent: the node starts again", node.start(), "")
    node.stop()
    names = sorted(os.listdir(audit))
    check("unsent: the day the sender has not sent is not compressed",
          "access-%s.jsonl" % day(-1) in names and "access-%s.jsonl.gz" % day(-1) not in names,
          repr(names) + " " + text)
    rc, recs, err = audit_json(xdsctl, node.state, "patient=" + pat.split("^")[0])
    check("unsent: its records are read", rc == 0 and recs is not None and len(recs) >= 1, err)
    shutil.rmtree(work, ignore_errors=True)


def main():
    a = command_line(xdsctl=True)
    if os.environ.get("XDS_AUDIT_NS") != "1":
        torn_tail_tests(a.xdsd, a.xdsctl)
        chain_tests(a.xdsd, a.xdsctl)
        retention_tests(a.xdsd, a.xdsctl)
        unsent_tests(a.xdsd, a.xdsctl)
        rc = summary()
        ns = in_namespace()
        return rc if ns == 77 else rc or ns
    work = tmpdir("audit-full")
    try:
        full_disk_tests(a.xdsd, a.xdsctl, work)
        reserve_tests(a.xdsd, work)
    finally:
        for name in ("full", "reserve"):
            subprocess.run(["umount", os.path.join(work, name, "state", "audit")],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
