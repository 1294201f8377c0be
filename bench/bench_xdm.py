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

With --instances M (0: none) also a study of M Secondary Capture
instances of --isize bytes stored into A's bridge and published (not
timed), then `xdsctl xdm export --study` (the manifest by ITI-43, the
instances by RAD-69, the DICOMDIR from their headers, the ZIP), beside

  - dcmmkdir over the same instances unpacked: DCMTK's DICOMDIR alone,
    the work the export's DICOMDIR adds;
  - zip -r of them (and the archive fsync'd).

The median of --runs runs is kept.  Run from a build directory (xdsd and
xdsctl there):  ../bench/bench_xdm.py   Needs zip and unzip.  The work
directory (BENCH_DIR or the current directory) decides the disk.  The
study needs dcmtk (dump2dcm, storescu, dcmmkdir).
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
STUDY = "1.2.826.0.1.3680043.9.7.779"


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


def make_study(d, n, size):
    """n Secondary Capture instances (Explicit VR LE, 8-bit, size bytes of
    pixels) of STUDY with the BSN in d; their paths."""
    pix = os.path.join(d, "pixels.raw")
    with open(pix, "wb") as f:
        f.write(os.urandom(size))
    side = int(size ** 0.5)
    out, dump = [], os.path.join(d, "x.dump")
    for i in range(n):
        with open(dump, "w") as f:
            f.write("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.%d]\n"
                    "(0008,0020) DA [20261206]\n(0008,0030) TM [120000]\n(0008,0060) CS [OT]\n"
                    "(0010,0010) PN [Bench^Xdm]\n(0010,0020) LO [%s]\n(0010,0021) LO [NLMINBIZA]\n"
                    "(0020,000d) UI [%s]\n(0020,000e) UI [%s.%d]\n(0020,0010) SH [1]\n"
                    "(0020,0011) IS [%d]\n(0020,0013) IS [%d]\n(0028,0002) US 1\n"
                    "(0028,0004) CS [MONOCHROME2]\n(0028,0010) US %d\n(0028,0011) US %d\n"
                    "(0028,0100) US 8\n(0028,0101) US 8\n(0028,0102) US 7\n(0028,0103) US 0\n"
                    "(7fe0,0010) OB =%s\n" % (STUDY, i + 1, BSN, STUDY, STUDY, i // 100, i // 100 + 1,
                                              i + 1, side, size // side, pix))
        out.append(os.path.join(d, "%05d.dcm" % i))
        subprocess.run(["dump2dcm", "--write-xfer-little", dump, out[-1]], check=True, capture_output=True)
    return out


def published(xdsctl, state):
    """1 once `xdsctl dicom studies` shows STUDY published."""
    r = subprocess.run([xdsctl, "--json", "-C", "node.state_dir=" + state, "dicom", "studies"],
                       capture_output=True, text=True)
    rows = json.loads(r.stdout) if r.returncode == 0 else []
    return any(s["study"] == STUDY and s["state"] == "published" for s in rows)


def bench_study(a, na, ctl, work):
    """The study's export beside dcmmkdir and zip: {what: [seconds]}."""
    src = os.path.join(work, "study")
    os.mkdir(src)
    files = make_study(src, a.instances, a.isize)
    r = subprocess.run(["storescu", "-aec", "XDSNODE", "-xs", "127.0.0.1", str(na.dport)] + files,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("storescu: " + r.stderr[-500:])
    deadline = time.monotonic() + 120
    while not published(a.xdsctl, na.state):
        if time.monotonic() > deadline:
            sys.exit("the study was not published within 120 s")
        time.sleep(0.5)
    res = {"export": [], "dcmmkdir": [], "zip": []}
    for run in range(a.runs):
        out = os.path.join(work, "s%d.zip" % run)
        res["export"].append(timed(ctl(na, "xdm", "export", "--patient", BSN, "--study", STUDY,
                                       "-o", out)))
        d = os.path.join(work, "sunz%d" % run)
        subprocess.run(["unzip", "-q", out, "DICOM/*", "-d", d], check=True)
        res["dcmmkdir"].append(timed(["dcmmkdir", "-q", "+r", "DICOM"], cwd=d))
        ref = os.path.join(work, "sref%d.zip" % run)
        t0 = time.monotonic()
        subprocess.run(["zip", "-q", "-r", ref, "DICOM"], cwd=d, check=True)
        fsync_file(ref)
        res["zip"].append(time.monotonic() - t0)
        shutil.rmtree(d)
        os.unlink(ref)
        os.unlink(out)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("--xdsctl", default="./xdsctl")
    ap.add_argument("--files", type=int, default=100, help="documents (N)")
    ap.add_argument("--size", type=int, default=512 << 10, help="bytes per document")
    ap.add_argument("--runs", type=int, default=3, help="runs of each (median kept)")
    ap.add_argument("--instances", type=int, default=200, help="instances of the study (0: no study)")
    ap.add_argument("--isize", type=int, default=256 << 10, help="bytes of pixels per instance")
    a = ap.parse_args()
    for t in ("zip", "unzip"):
        if shutil.which(t) is None:
            sys.exit("%s not installed (apt-get install zip unzip)" % t)
    work = os.path.abspath(tempfile.mkdtemp(prefix="bench-xdm-", dir=os.environ.get("BENCH_DIR", ".")))
    nodes = []
    try:
        for name in ("a", "b"):
            x = xdstest.Xdsd(a.xdsd, os.path.join(work, name), ["node.log_level=warning",
                             "dicom.publish_after=1"], dicom=name == "a" and a.instances > 0)
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
        if a.instances > 0:
            res = bench_study(a, na, ctl, work)
            mb = a.instances * a.isize / 1e6
            print("a study of %d instances of %d KB (%.0f MB), median of %d runs"
                  % (a.instances, a.isize >> 10, mb, a.runs))
            for what, k in (("xdsctl xdm export --study (DICOMDIR)", "export"),
                            ("dcmmkdir of the instances (reference)", "dcmmkdir"),
                            ("zip -r of the instances, fsync (ref.)", "zip")):
                m = statistics.median(res[k])
                print("%-42s %7.2f s %8.1f MB/s" % (what, m, mb / m))
    finally:
        for x in nodes:
            x.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
