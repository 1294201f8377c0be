#!/usr/bin/env python3
"""Push by XDR: N documents of 1 MB (PDF-like, random bytes) sent from
hospital A's side with `xdsctl send` to hospital B's Document Recipient
over mutual TLS on loopback, answered only once durable; beside the same
files

  - sent by `xdsctl submit --patient` to B's own repository endpoint
    (/xds/repository, the same TLS): what the recipient's sender check and
    in-process hand-over cost over the repository path itself;
  - written plainly to the same file system: each file written, fsync'd,
    renamed, its directory fsync'd (the floor of a durable store).

Two shapes: one transfer carrying all N files, and N transfers of one file
each (one TLS handshake, one submission set and one registry commit per
transfer).  The median of --runs runs is kept.

Run from a build directory (xdsd and xdsctl there):  ../bench/bench_xdr.py
Needs openssl (the test PKI).  The work directory (BENCH_DIR or the current
directory) decides the disk.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import xdstest  # noqa: E402
from bench_repo import fsync_dir  # noqa: E402

HCID_A = "urn:oid:2.16.528.1.1007.3.3.7001.1"
HCID_B = "urn:oid:2.16.528.1.1007.3.3.7002.1"
URA_A = "00007001"
BSN = "900203638"


def reference_write(files, dst):
    """Each file written, fsync'd, renamed, the directory fsync'd: seconds."""
    t0 = time.monotonic()
    for i, src in enumerate(files):
        tmp = os.path.join(dst, "ref-%d.tmp" % i)
        with open(src, "rb") as f, open(tmp, "wb") as o:
            shutil.copyfileobj(f, o, 1 << 20)
            o.flush()
            os.fsync(o.fileno())
        os.rename(tmp, os.path.join(dst, "ref-%d.pdf" % i))
        fsync_dir(dst)
    dt = time.monotonic() - t0
    for i in range(len(files)):
        os.unlink(os.path.join(dst, "ref-%d.pdf" % i))
    return dt


def timed(argv):
    """Run argv; its wall seconds (it must exit 0)."""
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (argv[-1], p.returncode, p.stderr[-2000:]))
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("--xdsctl", default="./xdsctl")
    ap.add_argument("--files", type=int, default=20, help="documents per run (N)")
    ap.add_argument("--size", type=int, default=1 << 20, help="bytes per document")
    ap.add_argument("--runs", type=int, default=5, help="runs of each (median kept)")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bench-xdr-", dir=os.environ.get("BENCH_DIR", os.getcwd()))
    b = None
    try:
        pki = xdstest.make_pki(work)
        cert_a = xdstest.org_cert(work, "xdr.a.bench", URA_A, "Ziekenhuis A")
        with open(os.path.join(work, "directory-b"), "w") as f:
            f.write("%s https://127.0.0.1:1/xca/responding %s Ziekenhuis A\n" % (HCID_A, URA_A))
        b = xdstest.Xdsd(a.xdsd, os.path.join(work, "b"), [
            "node.log_level=warning", "gateway.responding=no", "gateway.initiating=no",
            "node.home_community_id=" + HCID_B, "xdr.recipient=yes",
            "directory.file=" + os.path.join(work, "directory-b")], tls=pki)
        if not b.start():
            b.dump_log()
            return 1
        files = []
        for i in range(a.files):
            p = os.path.join(work, "doc-%03d.pdf" % i)
            with open(p, "wb") as f:
                f.write(b"%PDF-1.4\n" + os.urandom(a.size - 16) + b"\n%%EOF\n")
            files.append(p)
        ctl = [a.xdsctl, "-C", "node.home_community_id=" + HCID_A, "--cert", cert_a[0],
               "--key", cert_a[1], "--ca", pki["ca"]]
        xdr = b.url("/xdr/recipient")
        ctl_repo = ctl + ["--url", b.url("/xds/registry")]
        refdir = os.path.join(work, "ref")
        os.mkdir(refdir)

        rows = [
            ("xdsctl send, 1 transfer of N (XDR)",
             lambda: timed(ctl + ["send", "--url", xdr, "--patient", BSN] + files)),
            ("xdsctl submit, 1 of N (/xds/repository)",
             lambda: timed(ctl_repo + ["submit", "--patient", BSN] + files)),
            ("xdsctl send, N transfers of 1 (XDR)",
             lambda: sum(timed(ctl + ["send", "--url", xdr, "--patient", BSN, f])
                         for f in files)),
            ("xdsctl submit, N of 1 (/xds/repository)",
             lambda: sum(timed(ctl_repo + ["submit", "--patient", BSN, f]) for f in files)),
            ("write+fsync+rename+fsync(dir), N files",
             lambda: reference_write(files, refdir)),
        ]
        mb = a.files * a.size / 1e6
        print("push by XDR: %d documents of %d bytes, mutual TLS on loopback, median of %d"
              % (a.files, a.size, a.runs))
        for name, fn in rows:
            fn()    # warm: page cache, the registry's first pages
            t = statistics.median(fn() for _ in range(a.runs))
            print("%-42s %8.3f s  %7.1f MB/s  %7.1f ms/document" % (
                name, t, mb / t, t * 1000 / a.files))
        return 0
    finally:
        if b is not None:
            b.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
