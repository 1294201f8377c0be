#!/usr/bin/env python3
"""XDM packages: N documents of SIZE bytes (random, PDF-like) of one
patient at node A, `xdsctl xdm export` of all of them into one ZIP (ITI-18,
ITI-43 streamed from A, the archive written by libzip, fsync'd, renamed),
then `xdsctl xdm import` of that ZIP into node B (every entry through the
quarantine with its SHA-1, METADATA.XML checked, one ITI-41 to B's
repository, durable); beside the same files

  - zipped by Info-ZIP's `zip` (and the archive fsync'd): the floor of
    writing the archive;
  - unzipped by `unzip` into a directory: the floor of reading it.

The median of --runs runs is kept.  Run from a build directory (xdsd and
xdsctl there):  ../bench/bench_xdm.py   Needs zip and unzip.  The work
directory (BENCH_DIR or the current directory) decides the disk.
"""

import argparse
import json
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

BSN = "900203638"


def timed(argv, cwd=None):
    """Run argv; its wall seconds (it must exit 0)."""
    t0 = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("%s: exit %d: %s" % (argv[:4], r.returncode, r.stderr[-500:]))
    return dt


def fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("--xdsctl", default="./xdsctl")
    ap.add_argument("--files", type=int, default=100, help="documents (N)")
    ap.add_argument("--size", type=int, default=512 << 10, help="bytes per document")
    ap.add_argument("--runs", type=int, default=3, help="runs of each (median kept)")
    a = ap.parse_args()
    for t in ("zip", "unzip"):
        if shutil.which(t) is None:
            sys.exit("%s not installed (apt-get install zip unzip)" % t)
    work = os.path.abspath(tempfile.mkdtemp(prefix="bench-xdm-", dir=os.environ.get("BENCH_DIR", ".")))
    nodes = []
    try:
        for name in ("a", "b"):
            x = xdstest.Xdsd(a.xdsd, os.path.join(work, name), ["node.log_level=warning"])
            if not x.start():
                sys.exit("xdsd %s did not start" % name)
            nodes.append(x)
        na, nb = nodes
        src = os.path.join(work, "docs")
        os.mkdir(src)
        files = []
        for i in range(a.files):
            files.append(os.path.join(src, "d%04d.pdf" % i))
            with open(files[-1], "wb") as f:
                f.write(b"%PDF-1.4\n" + os.urandom(a.size - 16) + b"\n%%EOF\n")

        def ctl(node, *args):
            return [a.xdsctl, "-C", "node.state_dir=" + node.state, "--url",
                    "http://127.0.0.1:%d/xds/registry" % node.port, *args]
        r = subprocess.run(ctl(na, "--json", "submit", *files, "--patient", BSN), capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.exit("submit: " + r.stderr[-500:])
        uids = [d["uniqueId"] for d in json.loads(r.stdout)["documents"]]
        exp, ref_zip, imp, ref_unzip = [], [], [], []
        for run in range(a.runs):
            out = os.path.join(work, "p%d.zip" % run)
            exp.append(timed(ctl(na, "xdm", "export", "--patient", BSN, "--document", *uids, "-o", out)))
            ref = os.path.join(work, "ref%d.zip" % run)
            t0 = time.monotonic()
            subprocess.run(["zip", "-q", "-r", ref, "docs"], cwd=work, check=True)
            fsync_file(ref)
            ref_zip.append(time.monotonic() - t0)
            imp.append(timed(ctl(nb, "xdm", "import", out, "--patient", BSN)))
            d = os.path.join(work, "unz%d" % run)
            ref_unzip.append(timed(["unzip", "-q", out, "-d", d]))
            shutil.rmtree(d)
            os.unlink(ref)
        mb = a.files * a.size / 1e6
        print("%d documents of %d KB (%.0f MB), median of %d runs" % (a.files, a.size >> 10, mb, a.runs))
        for what, v in (("xdsctl xdm export (ITI-18, ITI-43, zip)", exp),
                        ("zip -r, fsync (reference)", ref_zip),
                        ("xdsctl xdm import (check, ITI-41)", imp),
                        ("unzip (reference)", ref_unzip)):
            m = statistics.median(v)
            print("%-42s %7.2f s %8.1f MB/s" % (what, m, mb / m))
    finally:
        for x in nodes:
            x.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
