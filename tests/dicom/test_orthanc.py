"""Orthanc end to end: Orthanc -> bridge -> registry -> RAD-69 ->
Orthanc.  A generated study is uploaded to Orthanc over its REST API,
Orthanc C-STOREs it to the bridge of an xdsd, the bridge publishes the KOS
manifest (dicom.publish_after=1), ITI-18 FindDocuments finds it; the study
is deleted from Orthanc and `xdsctl image import` brings it back (ITI-18,
ITI-43 for the manifest, RAD-69 for the instances, C-STORE to dicom.pacs):
Orthanc holds the study again with the same SOP Instance UIDs.

Then across communities (XCA-I): the bridge's node is community B behind
its responding gateway; a second xdsd, community A, lists it in its
directory.  The study leaves Orthanc once more and `xdsctl image import
--community B` at A brings it back through A's initiating gateway (ITI-38,
ITI-39 and RAD-75 to B); `xdsctl timeline` at A shows B's manifest with
its study UID."""
import json, os, re, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (BSN, Xdsd, bsn_instance, check, find_documents, finish, reserve_port,  # noqa: E402
                       stop_nodes, stop_process, wait_until)
import dicomtest  # noqa: E402

args = dicomtest.arguments(orthanc="Orthanc")
STUDY = "1.2.826.0.1.3680043.9.7.4242"
N = 5

def rest(method, path, data=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (oport_http, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/dicom" if path == "/instances" else "application/json")
    with urllib.request.urlopen(req, timeout=20) as r:
        body = r.read()
    return json.loads(body) if body else None

def orthanc_sops():
    out = set()
    for st in rest("GET", "/studies"):
        for i in rest("GET", "/studies/%s/instances" % st):
            out.add(i["MainDicomTags"]["SOPInstanceUID"])
    return out

def find_manifests(port):
    """The Approved DocumentEntries (XML) of the BSN that reference STUDY."""
    docs = find_documents(port, BSN, ("Approved",))
    return [d["xml"] for d in docs.values() if STUDY + "^^^^urn:ihe:iti:xds:2016:studyInstanceUID" in d["xml"]]

work = tempfile.mkdtemp(prefix="xds-orthanc-")
# xdsctl's spool directories go into this run's own TMPDIR, so that other
# runs on the machine do not count in "no spool directory left behind"
ctl_tmp = os.path.join(work, "tmp")
os.mkdir(ctl_tmp)
os.environ["TMPDIR"] = ctl_tmp
odir = os.path.join(work, "orthanc"); os.mkdir(odir)
# Orthanc cannot report ports it picked: held for it (it binds with SO_REUSEADDR)
ores = (reserve_port(), reserve_port())
oport_dicom, oport_http = ores[0].port, ores[1].port
pacs = "ORTHANC@127.0.0.1:%d" % oport_dicom
HB = "urn:oid:1.3.6.1.4.1.21367.2024.52"   # community B: the bridge's
HA = "urn:oid:1.3.6.1.4.1.21367.2024.51"   # community A: asks B
xdsd = Xdsd(args.xdsd, work, ["dicom.publish_after=1", "dicom.pacs=" + pacs, "node.home_community_id=" + HB,
                              "gateway.allow=anonymous"], dicom=True)
os.mkdir(xdsd.state)
dport, hport = xdsd.dport, xdsd.port
conf = {
    "Name": "xdsnode-test", "StorageDirectory": odir, "IndexDirectory": odir,
    "DicomAet": "ORTHANC", "DicomPort": oport_dicom, "HttpPort": oport_http,
    "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "SslEnabled": False,
    "DicomModalities": {"bridge": ["XDSNODE", "127.0.0.1", dport]},
    "DicomAlwaysAllowStore": True, "DicomCheckModalityHost": False,
    "Plugins": [], "StorageCompression": False, "HttpServerEnabled": True,
    "DicomServerEnabled": True, "LimitFindResults": 0, "StableAge": 60,
    "SaveJobs": False, "ConcurrentJobs": 2,
}
cfile = os.path.join(work, "orthanc.json")
json.dump(conf, open(cfile, "w"))
olog = open(os.path.join(work, "orthanc.log"), "w")
orthanc = subprocess.Popen([args.orthanc, cfile], stdout=olog, stderr=subprocess.STDOUT)
t0 = time.time()
nodes = []
try:
    check(xdsd.start(), "xdsd up (HTTP and DICOM)")

    def rest_up():
        try:
            rest("GET", "/system")
            return True
        except OSError:
            return orthanc.poll() is not None and "exited"
    up = wait_until(rest_up) is True
    check(up, "Orthanc up on loopback (REST %d, DICOM %d)" % (oport_http, oport_dicom))

    # a study of N instances with the BSN in OtherPatientIDsSequence
    sops = []
    for i in range(N):
        sop = "%s.%d" % (STUDY, i + 1)
        sops.append(sop)
        f = bsn_instance(
            os.path.join(work, "%d.dcm" % i), sop, STUDY, STUDY + ".0", "LOCAL7",
            extra="(0008,0020) DA [20260101]\n(0010,0010) PN [Test^Patient]\n(0020,0013) IS [%d]\n"
            "(0028,0002) US 1\n(0028,0004) CS [MONOCHROME2]\n(0028,0010) US 2\n(0028,0011) US 2\n"
            "(0028,0100) US 8\n(0028,0101) US 8\n(0028,0102) US 7\n(0028,0103) US 0\n" % (i + 1))
        rest("POST", "/instances", open(f, "rb").read())
    check(orthanc_sops() == set(sops), "study uploaded to Orthanc over REST (%d instances)" % N)

    # Orthanc -> bridge
    ostudy = rest("GET", "/studies")[0]
    r = rest("POST", "/modalities/bridge/store", json.dumps({"Resources": [ostudy], "Synchronous": True}).encode())
    check(r is not None and r.get("FailedInstancesCount", 0) == 0 and r.get("InstancesCount") == N,
          "Orthanc C-STOREd the study to the bridge: %s" % r)

    # publication, then FindDocuments finds the KOS
    found = wait_until(lambda: find_manifests(hport)) or []
    check(len(found) == 1, "FindDocuments finds the study's KOS manifest (Approved)")
    check(len(found) == 1 and "1.2.840.10008.5.1.4.1.1.88.59" in found[0], "its formatCode is the KOS SOP class")

    # the study leaves Orthanc
    rest("DELETE", "/studies/%s" % ostudy)
    check(orthanc_sops() == set(), "study deleted from Orthanc")

    # and comes back through xdsctl image import
    url = "http://127.0.0.1:%d/xds/registry" % hport
    r = subprocess.run([args.xdsctl, "--json", "--url", url, "-C", "dicom.pacs=" + pacs, "image", "import",
                        "--patient", BSN, "--study", STUDY], capture_output=True, text=True, timeout=60)
    print(r.stderr, end="")
    res = json.loads(r.stdout) if r.returncode == 0 and r.stdout.startswith("{") else {}
    check(r.returncode == 0 and res.get("referenced") == N and res.get("stored") == N and res.get("failed") == 0,
          "xdsctl image import: %d referenced, %d retrieved by RAD-69, %d C-STOREd (rc %d)"
          % (res.get("referenced", -1), res.get("retrieved", -1), res.get("stored", -1), r.returncode))
    check(orthanc_sops() == set(sops), "the study is in Orthanc again with the same SOP Instance UIDs")
    # DCMTK's own log is at ERROR for xdsctl (dcmshim_log_level; -v: WARN),
    # through log.h ("[level] dcmtk: ...")
    check(not [l for l in r.stderr.splitlines() if re.search(r"\[(warning|info|debug)\] dcmtk: ", l)],
          "xdsctl image import: no DCMTK warning/info lines without -v")
    check(not [d for d in os.listdir(ctl_tmp) if d.startswith("xdsctl-image.")],
          "no spool directory left behind")

    # across communities: A asks B (XCA-I)
    dirfile = os.path.join(work, "communities")
    with open(dirfile, "w") as f:
        f.write("%s http://127.0.0.1:%d/xca/responding 00000052 Ziekenhuis B\n" % (HB, hport))
    na = Xdsd(args.xdsd, work, ["node.home_community_id=" + HA, "directory.file=" + dirfile],
              name="a")
    check(na.start(), "xdsd of community A up")
    nodes.append(na)
    rest("DELETE", "/studies/%s" % rest("GET", "/studies")[0])
    check(orthanc_sops() == set(), "study deleted from Orthanc again")
    aurl = "http://127.0.0.1:%d/xds/registry" % na.port
    r = subprocess.run([args.xdsctl, "--json", "--url", aurl, "-C", "dicom.pacs=" + pacs, "image", "import",
                        "--patient", BSN, "--study", STUDY, "--community", HB],
                       capture_output=True, text=True, timeout=60)
    print(r.stderr, end="")
    res = json.loads(r.stdout) if r.returncode == 0 and r.stdout.startswith("{") else {}
    check(r.returncode == 0 and res.get("referenced") == N and res.get("stored") == N,
          "xdsctl image import --community B at A: ITI-38, ITI-39 and RAD-75 through A's initiating gateway, "
          "%d instances C-STOREd (rc %d)" % (res.get("stored", -1), r.returncode))
    check(orthanc_sops() == set(sops), "the study is in Orthanc again, from community B")
    r = subprocess.run([args.xdsctl, "--url", aurl, "-C", "directory.file=" + dirfile,
                        "-C", "node.home_community_id=" + HA, "timeline", "--patient", BSN],
                       capture_output=True, text=True, timeout=60)
    line = [l for l in r.stdout.splitlines() if STUDY in l]
    check(r.returncode == 0 and len(line) == 1 and "Ziekenhuis B" in line[0],
          "xdsctl timeline at A: B's manifest, by B's name, with its study UID (%r)" % (line,))

    # refusals with a reason
    r = subprocess.run([args.xdsctl, "--url", aurl, "-C", "dicom.pacs=" + pacs, "image", "import",
                        "--patient", BSN, "--study", STUDY, "--community", "urn:oid:1.2.3"],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "no Approved manifest" in r.stderr,
          "--community of a community the directory does not list: no manifest, exit 1")
    r = subprocess.run([args.xdsctl, "--url", aurl, "image", "import", "--patient", BSN, "--study", STUDY,
                        "--community", "1.2.3"], capture_output=True, text=True)
    check(r.returncode == 2 and "urn:oid:" in r.stderr, "--community that is not urn:oid: refused")
    r = subprocess.run([args.xdsctl, "--url", url, "-C", "dicom.pacs=" + pacs, "image", "import",
                        "--patient", BSN, "--study", "1.2.3.999"], capture_output=True, text=True)
    check(r.returncode == 1 and "no Approved manifest" in r.stderr, "unknown study: no manifest, exit 1")
    r = subprocess.run([args.xdsctl, "--url", url, "image", "import", "--patient", BSN, "--study", STUDY],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "dicom.pacs" in r.stderr, "no dicom.pacs: refused")
    print("end to end in %.1f s (timed in bench/bench_dicom.py)" % (time.time() - t0))
finally:
    stop_nodes(xdsd, *nodes)
    stop_process(orthanc)
sys.exit(finish(work, [os.path.join(work, "orthanc.log")]))
