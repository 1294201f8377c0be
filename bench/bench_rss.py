"""Idle memory of xdsd on its embedded defaults (registry, repository,
DICOM bridge), from /proc/PID/smaps_rollup:

  cold   ready, before any request;
  warm   after one of each: ITI-41 (xdsctl submit --patient), ITI-18,
         ITI-43, a DICOM C-STORE, GET /metrics and /status, then idle;

plain and with mutual TLS (http.tls, dicom.tls; test PKI of
tests/lib/xdstest.py), side by side with what other servers hold idle in
the same go: dcmtk's storescp, Orthanc, nginx (master and worker).

RSS counts every page mapped, shared-library pages included; how many of
those are mapped depends on the page cache (the kernel maps cached pages
around each fault), so it moves by several MB from run to run.  PSS
divides shared pages among the processes that map them, so it depends on
what else runs.  Anon is the process's own heap and stacks: what one more
node on the machine costs beyond the libraries.  The goal is idle RSS <=
20 MB.

usage: python3 bench/bench_rss.py --xdsd build/xdsd --xdsctl build/xdsctl
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import xdstest  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--xdsd", required=True)
ap.add_argument("--xdsctl", required=True)
ap.add_argument("--settle", type=float, default=2.0,
                help="seconds of quiet before a warm reading (threads finish, caches settle)")
args = ap.parse_args()
BSN = "999911120"


def status(pid):
    """Rss, Pss, Anonymous in kB from smaps_rollup, and the thread count,
    of pid."""
    out = {"Rss": 0, "Pss": 0, "Anon": 0, "Threads": 0}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Rss", "Pss"):
                out[k] = int(v.split()[0])
            elif k == "Anonymous":
                out["Anon"] = int(v.split()[0])
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                out["Threads"] = int(line.split()[1])
    return out


def row(name, st, note=""):
    print("%-34s %7.1f %7.1f %7.1f %4d  %s" % (name, st["Rss"] / 1024, st["Pss"] / 1024,
                                             st["Anon"] / 1024, st["Threads"], note))


def instance(d):
    """A small DICOM instance (64 KB of pixels) by dcmtk's dump2dcm."""
    pix = os.path.join(d, "pixels.raw")
    with open(pix, "wb") as f:
        f.write(os.urandom(256 * 256))
    dump = os.path.join(d, "x.dump")
    with open(dump, "w") as f:
        f.write("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [1.2.826.0.1.3680043.9.7.778.1]\n"
                "(0008,0060) CS [OT]\n(0010,0020) LO [%s]\n(0010,0021) LO [NLMINBIZA]\n"
                "(0020,000d) UI [1.2.826.0.1.3680043.9.7.778]\n(0020,000e) UI [1.2.826.0.1.3680043.9.7.778.2]\n"
                "(0028,0002) US 1\n(0028,0004) CS [MONOCHROME2]\n(0028,0010) US 256\n(0028,0011) US 256\n"
                "(0028,0100) US 8\n(0028,0101) US 8\n(0028,0102) US 7\n(0028,0103) US 0\n"
                "(7fe0,0010) OB =%s\n" % (BSN, pix))
    out = os.path.join(d, "one.dcm")
    subprocess.run(["dump2dcm", "--write-xfer-little", dump, out], check=True, capture_output=True)
    return out


def run_node(work, name, tls):
    opts = ["dicom.publish_after=1"]
    if tls:
        opts += ["dicom.tls=yes", "gateway.responding=no"]
    node = xdstest.Xdsd(args.xdsd, work, opts, name=name, dicom=True, tls=PKI if tls else None)
    if not node.start():
        node.dump_log(3000)
        sys.exit("xdsd (%s) did not start" % name)
    pid = node.proc.pid
    cold = status(pid)
    doc = os.path.join(work, "letter.txt")
    with open(doc, "w") as f:
        f.write("verslag\n" * 500)
    ctl = [args.xdsctl, "--url", node.url("")]
    if tls:
        ctl += ["--cert", PKI["client_cert"], "--key", PKI["client_key"], "--ca", PKI["ca"]]
    subprocess.run(ctl + ["submit", "--patient", BSN, doc], check=True, capture_output=True)
    q = subprocess.run(ctl + ["--json", "query", "FindDocuments", "patient=" + BSN], check=True,
                       capture_output=True, text=True).stdout
    uid = q.split('"uniqueId":"', 1)[1].split('"', 1)[0] if '"uniqueId":"' in q else None
    if uid:
        subprocess.run(ctl + ["retrieve", uid, "-o", os.path.join(work, name + "-out")], check=True,
                       capture_output=True)
    tls_args = ["+tls", PKI["client_key"], PKI["client_cert"], "+cf", PKI["ca"]] if tls else []
    subprocess.run(["storescu", "-aec", "XDSNODE", *tls_args, "127.0.0.1", str(node.dport), DCM],
                   check=True, capture_output=True)
    node.get("/metrics")
    node.get("/status")
    time.sleep(args.settle)
    warm = status(pid)
    node.stop()
    return cold, warm


def reference(argv, port):
    """The idle RSS of a server (with its children) once it listens on
    port; (totals, number of processes), or (None, 0)."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not xdstest.wait_port(port, proc=p):
        xdstest.stop_process(p, 10)
        return None, 0
    time.sleep(args.settle)
    pids = [p.pid] + [int(x) for x in subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                                     text=True).stdout.split()]
    total = {"Rss": 0, "Pss": 0, "Anon": 0, "Threads": 0}
    for pid in pids:
        for k, v in status(pid).items():
            total[k] += v
    xdstest.stop_process(p, 10)
    return total, len(pids)


def port():
    """A loopback port for a server that cannot report the one it took."""
    r = xdstest.reserve_port()
    HELD.append(r)
    return r.port


HELD = []
work = tempfile.mkdtemp(prefix="xds-bench-rss-")
os.makedirs(os.path.join(work, "pki"))
PKI = xdstest.make_pki(os.path.join(work, "pki"))
DCM = instance(work)
print("%-34s %7s %7s %7s %4s" % ("process (idle), MB", "RSS", "PSS", "anon", "thr"))
for name, tls in (("xdsd", False), ("xdsd, mutual TLS", True)):
    cold, warm = run_node(work, "tls" if tls else "plain", tls)
    row(name + ", cold", cold, "ready, no request yet")
    row(name + ", warm", warm, "after ITI-41/18/43, a C-STORE, /metrics, /status")

os.mkdir(os.path.join(work, "scp"))
pp = port()
st, n = reference(["storescp", "-od", os.path.join(work, "scp"), str(pp)], pp)
if st:
    row("dcmtk storescp", st)
orthanc = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
if os.path.exists(orthanc):
    od = os.path.join(work, "orthanc")
    os.mkdir(od)
    hp, dp = port(), port()
    cfg = os.path.join(od, "orthanc.json")
    with open(cfg, "w") as f:
        f.write('{"StorageDirectory":"%s/db","IndexDirectory":"%s/db","HttpPort":%d,"DicomPort":%d,'
                '"RemoteAccessAllowed":false,"Plugins":[]}' % (od, od, hp, dp))
    st, n = reference([orthanc, cfg], hp)
    if st:
        row("Orthanc", st)
nginx = shutil.which("nginx") or "/usr/sbin/nginx"
if os.path.exists(nginx):
    nd = os.path.join(work, "nginx")
    os.mkdir(nd)
    hp = port()
    conf = os.path.join(nd, "nginx.conf")
    with open(conf, "w") as f:
        f.write("daemon off; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;\n"
                "events { worker_connections 64; }\nhttp { access_log off; client_body_temp_path %s;"
                " proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;"
                " server { listen 127.0.0.1:%d; root %s; } }\n" % ((nd,) * 7 + (hp, nd)))
    st, n = reference([nginx, "-c", conf, "-p", nd], hp)
    if st:
        row("nginx (master + %d worker)" % (n - 1), st)
shutil.rmtree(work, ignore_errors=True)
