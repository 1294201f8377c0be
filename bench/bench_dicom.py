"""DICOM bridge benchmark: N instances of 512 KB sent by one
storescu association to (1) dcmtk's storescp followed by sync of its
output directory, (2) the bridge of an xdsd (durable per instance:
fsync, rename, directory fsync before Success), (3) Orthanc.  Every
dcmtk tool runs with TCP_NODELAY=1 (the same fair setting: Debian's
dcmtk leaves Nagle on otherwise).  Also the delay from the last
instance's Success to the registered manifest (with dicom.publish_after=1,
whose quiet second is included and reported separately), and 40 small
instances on one association with dcmtk's default (Nagle on): with the
SCP's TCP_NODELAY and quick ACKs there are no 40 ms stalls (a test only
checks they are stored: a time is not a test's business).  With --tls,
storescp and the bridge (dicom.tls) both take DICOM over mutual TLS from
storescu (test PKI of tests/lib/xdstest.py).

usage: python3 bench/bench_dicom.py --xdsd build/xdsd --xdsctl build/xdsctl [--n 1000]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import xdstest  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
ap.add_argument("--orthanc", default=shutil.which("Orthanc") or "/usr/sbin/Orthanc")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--size", type=int, default=512 * 1024)
ap.add_argument("--dir", default=None, help="work directory (default: a new one under TMPDIR); "
                "its generated instances are reused by the next run")
ap.add_argument("--assoc", type=int, default=1, help="parallel storescu associations (instances split by series)")
ap.add_argument("--only", default="storescp,bridge,orthanc", help="receivers to run, comma separated")
ap.add_argument("--tls", action="store_true", help="DICOM over mutual TLS (storescp and the bridge)")
args = ap.parse_args()
ENV = dict(os.environ, TCP_NODELAY="1")
STUDY = "1.2.826.0.1.3680043.9.7.777"

HELD = []

def free_port():
    """A reserved port for a program that cannot report the one it picked."""
    HELD.append(xdstest.reserve_port()); return HELD[-1].port

def wait_port(port):
    if not xdstest.wait_port(port):
        sys.exit("port %d did not open" % port)

def gen(d):
    pix = os.path.join(d, "pixels.raw")
    with open(pix, "wb") as f:
        f.write(os.urandom(args.size))
    side = int((args.size) ** 0.5)
    out = os.path.join(d, "in")
    if os.path.isdir(out) and len(os.listdir(out)) == args.n:
        return out	# reuse: same count (and size, by the caller's --dir)
    shutil.rmtree(out, ignore_errors=True); os.mkdir(out)
    for i in range(args.n):
        dump = os.path.join(d, "x.dump")
        open(dump, "w").write(
            "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.%d]\n(0008,0060) CS [OT]\n"
            "(0010,0020) LO [999911120]\n(0010,0021) LO [NLMINBIZA]\n(0020,000d) UI [%s]\n"
            "(0020,000e) UI [%s.%d]\n(0028,0002) US 1\n(0028,0004) CS [MONOCHROME2]\n(0028,0010) US %d\n"
            "(0028,0011) US %d\n(0028,0100) US 8\n(0028,0101) US 8\n(0028,0102) US 7\n(0028,0103) US 0\n"
            "(7fe0,0010) OB =%s\n" % (STUDY, i + 1, STUDY, STUDY, i // 100, side, args.size // side, pix))
        subprocess.run(["dump2dcm", "--write-xfer-little", dump, os.path.join(out, "%05d.dcm" % i)],
                       check=True, capture_output=True)
    return out

PKI = {}

def storescu(port, aet, src):
    """--assoc storescu processes at once, each with its share of the files."""
    files = sorted(os.listdir(src))
    parts = [[os.path.join(src, f) for f in files[i::args.assoc]] for i in range(args.assoc)]
    tls = ["+tls", PKI["client_key"], PKI["client_cert"], "+cf", PKI["ca"]] if PKI else []
    t = time.time()
    ps = [subprocess.Popen(["storescu", "-aec", aet, "-xs", *tls, "127.0.0.1", str(port)] + part,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
          for part in parts if part]
    errs = [(p.wait(), p.stderr.read()) for p in ps]
    el = time.time() - t
    for rc, e in errs:
        if rc != 0:
            sys.exit("storescu to %s failed: %s" % (aet, e[-500:]))
    return el

def stop(p):
    xdstest.stop_process(p, 20)

work = args.dir or tempfile.mkdtemp(prefix="xds-bench-dicom-")
os.makedirs(work, exist_ok=True)
src = gen(work)
res = {"n": args.n, "size": args.size, "assoc": args.assoc, "tls": args.tls}
if args.tls:
    pd = os.path.join(work, "pki"); shutil.rmtree(pd, ignore_errors=True); os.mkdir(pd)
    PKI.update(xdstest.make_pki(pd))
ONLY = args.only.split(",")

# (1) storescp + sync
if "storescp" in ONLY:
  ref = os.path.join(work, "storescp"); shutil.rmtree(ref, ignore_errors=True); os.mkdir(ref)
  port = free_port()
  # --fork: one process per association, so parallel ones are not serialised
  tls = ["+tls", PKI["server_key"], PKI["server_cert"], "+cf", PKI["ca"]] if PKI else []
  p = subprocess.Popen(["storescp"] + (["--fork"] if args.assoc > 1 else []) + tls + ["-od", ref, str(port)], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  wait_port(port)
  t = storescu(port, "ANY-SCP", src)
  t0 = time.time(); subprocess.run(["sync", "-f", ref], check=True); ts = time.time() - t0
  stop(p)
  res["storescp_s"], res["storescp_sync_s"] = t, t + ts

# (2) the bridge
if "bridge" in ONLY:
  state = os.path.join(work, "state"); shutil.rmtree(state, ignore_errors=True); os.mkdir(state)
  x = xdstest.Xdsd(args.xdsd, work, ["dicom.publish_after=1"] + (["dicom.tls=yes"] if PKI else []),
                   dicom=True, state=state, tls=PKI or None)
  if not x.start():
      sys.exit("xdsd did not start: %s" % x.log()[-2000:])
  p, dport = x.proc, x.dport
  t = storescu(dport, "XDSNODE", src)
  end = time.time()
  pub = None
  while time.time() - end < 60:
      r = subprocess.run([args.xdsctl, "--json", "-C", "node.state_dir=" + state, "dicom", "studies", "published"],
                         capture_output=True, text=True)
      if r.returncode == 0 and any(s["study"] == STUDY for s in json.loads(r.stdout)):
          pub = time.time() - end; break
      time.sleep(0.02)
  # 40 small instances on one association, dcmtk's default (Nagle on)
  small = os.path.join(work, "small.dump")
  open(small, "w").write("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.9.1]\n"
                         "(0008,0060) CS [OT]\n(0010,0020) LO [999911120]\n(0010,0021) LO [NLMINBIZA]\n"
                         "(0020,000d) UI [%s.9]\n(0020,000e) UI [%s.9.0]\n(7fe0,0010) OB 00\\01\\02\\03\n"
                         % (STUDY, STUDY, STUDY))
  sf = os.path.join(work, "small.dcm")
  subprocess.run(["dump2dcm", "--write-xfer-little", small, sf], check=True, capture_output=True)
  nodelay_off = {k: v for k, v in os.environ.items() if k != "TCP_NODELAY"}
  t0 = time.time()
  tls = ["+tls", PKI["client_key"], PKI["client_cert"], "+cf", PKI["ca"]] if PKI else []
  r = subprocess.run(["storescu", "-aec", "XDSNODE", *tls, "127.0.0.1", str(dport)] + [sf] * 40,
                     capture_output=True, env=nodelay_off)
  res["bridge_40_small_nagle_s"] = time.time() - t0 if r.returncode == 0 else None
  stop(p)
  res["bridge_s"], res["manifest_delay_s"] = t, pub

# (3) Orthanc
if "orthanc" in ONLY:
  od = os.path.join(work, "orthanc"); shutil.rmtree(od, ignore_errors=True); os.mkdir(od)
  oport, ohttp = free_port(), free_port()
  cf = os.path.join(work, "orthanc.json")
  json.dump({"StorageDirectory": od, "IndexDirectory": od, "DicomAet": "ORTHANC", "DicomPort": oport,
             "HttpPort": ohttp, "RemoteAccessAllowed": False, "Plugins": [], "StorageCompression": False,
             "DicomAlwaysAllowStore": True}, open(cf, "w"))
  p = subprocess.Popen([args.orthanc, cf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
  wait_port(oport)
  res["orthanc_s"] = storescu(oport, "ORTHANC", src)
  stop(p)

if "bridge_s" in res and "storescp_sync_s" in res:
    res["ratio_vs_storescp_sync"] = res["bridge_s"] / res["storescp_sync_s"]
if "bridge_s" in res and "orthanc_s" in res:
    res["ratio_vs_orthanc"] = res["bridge_s"] / res["orthanc_s"]
print(json.dumps(res, indent=1))
if not args.dir:
    shutil.rmtree(work, ignore_errors=True)
