#!/usr/bin/env python3
"""Study push benchmark: N instances of 512 KB pushed from node A to node
B over DICOM TLS (mutual, loopback), from `xdsctl push` until B's storage
commitment made the job done (B flushes every instance and records it
at the commitment request), side by side with dcmtk's own storescu --tls ->
storescp --tls for the same files followed by a sync of storescp's
directory (storescp has no fsync option).  Test PKI of tests/lib/xdstest.py;
every dcmtk tool with TCP_NODELAY=1.  With --proxy, in the same go, A again
in dicom.mode = proxy with dcmtk's dcmqrscp as its PACS (holding the
study, loaded untimed): the push fetches each window by C-GET into its
spool before sending it, beside dcmtk's getscu of the same study from
the same PACS (the fetch alone).

usage: python3 bench/bench_push.py --xdsd build/xdsd --xdsctl build/xdsctl [--n 1000]
       [--proxy] [--window 64]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "dicom"))
import dicomtest  # noqa: E402
import xdstest  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--size", type=int, default=512 * 1024)
ap.add_argument("--dir", default=None, help="work directory (default: a new one under TMPDIR)")
ap.add_argument("--assoc", type=int, default=4, help="push.associations of node A")
ap.add_argument("--proxy", action="store_true", help="also A in proxy mode, dcmqrscp its PACS")
ap.add_argument("--window", type=int, default=64, help="push.fetch_window of A in proxy mode")
args = ap.parse_args()
ENV = dict(os.environ, TCP_NODELAY="1")
STUDY = "1.2.826.0.1.3680043.9.7.778"
HCID_A, HCID_B = "urn:oid:2.16.528.1.1007.3.3.7001.1", "urn:oid:2.16.528.1.1007.3.3.7002.1"
URA_A, URA_B = "00007001", "00007002"


def gen(d):
    pix = os.path.join(d, "pixels.raw")
    with open(pix, "wb") as f:
        f.write(os.urandom(args.size))
    side = int(args.size ** 0.5)
    out = os.path.join(d, "in")
    shutil.rmtree(out, ignore_errors=True)
    os.mkdir(out)
    dump = os.path.join(d, "x.dump")
    for i in range(args.n):
        with open(dump, "w") as f:
            f.write("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.%d]\n"
                    "(0008,0060) CS [OT]\n(0010,0020) LO [999911120]\n(0010,0021) LO [NLMINBIZA]\n"
                    "(0020,000d) UI [%s]\n(0020,000e) UI [%s.%d]\n(0028,0002) US 1\n"
                    "(0028,0004) CS [MONOCHROME2]\n(0028,0010) US %d\n(0028,0011) US %d\n"
                    "(0028,0100) US 8\n(0028,0101) US 8\n(0028,0102) US 7\n(0028,0103) US 0\n"
                    "(7fe0,0010) OB =%s\n" % (STUDY, i + 1, STUDY, STUDY, i // 100, side,
                                             args.size // side, pix))
        subprocess.run(["dump2dcm", "--write-xfer-little", dump, os.path.join(out, "%05d.dcm" % i)],
                       check=True, capture_output=True)
    return out


def storescu(port, src, tls=(), aec="ANY-SCP"):
    files = [os.path.join(src, f) for f in sorted(os.listdir(src))]
    t = time.time()
    r = subprocess.run(["storescu", "-aec", aec, "-xs", *tls, "127.0.0.1", str(port)] + files,
                       capture_output=True, text=True, env=ENV)
    if r.returncode != 0:
        sys.exit("storescu failed: %s" % r.stderr[-500:])
    return time.time() - t


work = args.dir or tempfile.mkdtemp(prefix="xds-bench-push-")
os.makedirs(work, exist_ok=True)
src = gen(work)
pd = os.path.join(work, "pki")
shutil.rmtree(pd, ignore_errors=True)
os.mkdir(pd)
pki = xdstest.make_pki(pd)
cert_a = xdstest.org_cert(pd, "a.bench", URA_A, "Ziekenhuis A")
cert_b = xdstest.org_cert(pd, "b.bench", URA_B, "Ziekenhuis B")
res = {"n": args.n, "size": args.size, "associations": args.assoc}

# (1) dcmtk: storescu --tls -> storescp --tls, then sync
ref = os.path.join(work, "storescp")
shutil.rmtree(ref, ignore_errors=True)
os.mkdir(ref)
hold = xdstest.reserve_port()
port = hold.port
hold.close()
p = subprocess.Popen(["storescp", "+tls", cert_b[1], cert_b[0], "+cf", pki["ca"], "-od", ref,
                      str(port)], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if not xdstest.wait_port(port):
    sys.exit("storescp did not start")
t = storescu(port, src, ["+tls", cert_a[1], cert_a[0], "+cf", pki["ca"]])
t0 = time.time()
subprocess.run(["sync", "-f", ref], check=True)
res["storescp_tls_sync_s"] = t + time.time() - t0
xdstest.stop_process(p, 20)
shutil.rmtree(ref, ignore_errors=True)

# (2) A -> B: xdsctl push until the job is done; (3) the same, A in proxy mode
lport = xdstest.reserve_port()
directory = os.path.join(work, "directory")
with open(directory, "w") as f:
    f.write("%s https://127.0.0.1:1/x %s Ziekenhuis A\n%s https://127.0.0.1:1/x %s "
            "dicom=XDSNODE@127.0.0.1:%d Ziekenhuis B\n" % (HCID_A, URA_A, HCID_B, URA_B, lport.port))
common = ["gateway.responding=no", "gateway.initiating=no", "directory.file=" + directory,
          "dicom.publish_after=3600", "http.ca=" + pki["ca"], "node.log_level=" + os.environ.get("BENCH_LOG", "warning"),
          "push.associations=%d" % args.assoc]


def timed_push(name, more=()):
    """Seconds from xdsctl push to the job done, A (work/name) with more settings."""
    a = xdstest.Xdsd(args.xdsd, work, common + ["node.home_community_id=" + HCID_A,
                     "http.cert=" + cert_a[0], "http.key=" + cert_a[1], *more], name=name, dicom=True)
    b = xdstest.Xdsd(args.xdsd, work, common + ["node.home_community_id=" + HCID_B,
                     "http.cert=" + cert_b[0], "http.key=" + cert_b[1],
                     "push.listen=127.0.0.1:%d" % lport.port], name=name + "-b", dicom=True)
    try:
        if not a.start() or not b.start():
            sys.exit("xdsd did not start: %s %s" % (a.log()[-1000:], b.log()[-1000:]))
        storescu(a.dport, src, aec="XDSNODE")	# into A's bridge, not timed
        ctl = [args.xdsctl, "-C", "node.state_dir=" + a.state, "-C", "directory.file=" + directory,
               "-C", "node.home_community_id=" + HCID_A]
        t = time.time()
        r = subprocess.run(ctl + ["--json", "push", "--to", URA_B, "--study", STUDY],
                           capture_output=True, text=True)
        jid = json.loads(r.stdout)["id"]
        while True:
            r = subprocess.run(ctl + ["--json", "push", "show", str(jid)], capture_output=True,
                               text=True)
            j = json.loads(r.stdout)["job"]
            if j["state"] in ("done", "failed"):
                break
            time.sleep(0.02)
        took = time.time() - t
        if j["state"] != "done":
            sys.exit("%s: the push failed: %s" % (name, j["last_error"]))
        return took
    finally:
        b.stop()
        a.stop()


try:
    res["push_s"] = timed_push("a")
    if args.proxy:
        qhold = xdstest.reserve_port()
        qwork = os.path.join(work, "qr")
        shutil.rmtree(qwork, ignore_errors=True)
        os.mkdir(qwork)
        q = dicomtest.qrscp(qwork, qhold.port, ENV)
        try:
            storescu(qhold.port, src, aec="PACS")	# into the PACS, not timed
            # the fetch alone: dcmtk's getscu of the study from the PACS
            gd = os.path.join(work, "getscu")
            shutil.rmtree(gd, ignore_errors=True)
            os.mkdir(gd)
            t = time.time()
            r = subprocess.run(["getscu", "-S", "-aec", "PACS", "-k", "QueryRetrieveLevel=STUDY",
                                "-k", "StudyInstanceUID=" + STUDY, "-od", gd, "127.0.0.1",
                                str(qhold.port)], capture_output=True, text=True, env=ENV)
            res["getscu_s"] = time.time() - t
            if r.returncode != 0 or len(os.listdir(gd)) != args.n:
                sys.exit("getscu failed: %s" % r.stderr[-500:])
            shutil.rmtree(gd, ignore_errors=True)
            res["window"] = args.window
            res["push_proxy_s"] = timed_push("a-proxy", [
                "dicom.mode=proxy", "dicom.pacs=PACS@127.0.0.1:%d" % qhold.port,
                "push.fetch_window=%d" % args.window])
        finally:
            xdstest.stop_process(q, 20)
            qhold.close()
        res["ratio_proxy_vs_store"] = res["push_proxy_s"] / res["push_s"]
finally:
    lport.close()
res["ratio_vs_storescp_tls_sync"] = res["push_s"] / res["storescp_tls_sync_s"]
print(json.dumps(res, indent=1))
if not args.dir:
    shutil.rmtree(work, ignore_errors=True)
