#!/usr/bin/env python3
"""xdsctl xdm export and import (XDM, ITI-32) between two live nodes.

Node A holds two documents of the patient (xdsctl submit --patient) and a
study its DICOM bridge published; `xdm export` writes them as XDM packages,
checked here with Python's zipfile (the layout of ITI TF-3 4.3.1, every
file's size and SHA-1 against METADATA.XML).  `xdm import` brings them
into node B: the documents come back byte for byte by ITI-43 under new
entryUUIDs with the same uniqueIds, the study's instances reach B's bridge,
which publishes its own manifest.  The study's package is PDI media too:
its DICOMDIR (dcmdump, and dciodvfy when dicom3tools is installed) has
PATIENT, STUDY, SERIES and IMAGE records that reference every instance
file, and B imports the package both as XDM and, unpacked without its XDM
part, by that DICOMDIR alone (a file it does not reference is not sent
either way).  A 48 MB document goes out and in with
xdsctl's memory flat.  Hostile or broken packages made here
(a zip bomb, a header that lies about its size, "../x", "/etc/x", a
symbolic link, an encrypted entry, twice the same name, a hash mismatch, a missing file, bad XML, another patient,
--max-size) are each refused with exit 3 and the rule named, and B holds
no new entry.  PDI media: a directory with a DICOMDIR (dcmmkdir) of
instances with the BSN is imported, the files its records reference and
only those; one of them missing, a symbolic link, and the corpus's sample
study (without a BSN) are refused."""
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
from dicomtest import (BSN, Xdsd, bsn_instance, check, find_documents, finish, storescu,  # noqa: E402
                       stop_nodes, wait_for, wait_published)
import dicomtest  # noqa: E402

OTHER_BSN = "900203638"
STUDY = "1.2.826.0.1.3680043.9.7.5151"
STUDY_PDI = "1.2.826.0.1.3680043.9.7.5152"
STUDY_NONAME = "1.2.826.0.1.3680043.9.7.5153"
RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
SUB = "IHE_XDM/SUBSET01/"
# what a DICOMDIR's records need of an instance (dcmmkdir)
PDI_TAGS = ("(0008,0020) DA [20260101]\n(0008,0030) TM [101010]\n(0010,0010) PN [Test^Pdi]\n"
            "(0020,0010) SH [1]\n(0020,0011) IS [1]\n(0020,0013) IS [%d]\n")

args = dicomtest.arguments()
work = tempfile.mkdtemp(prefix="xds-xdm-")


def sha1(data):
    return hashlib.sha1(data).hexdigest()


# xdsctl's spool and quarantine directories go here (TMPDIR), to be seen
TMP = os.path.join(work, "tmp")
os.mkdir(TMP)


def ctl(node, *a):
    """xdsctl at node, TMPDIR=TMP: (exit status, stdout, stderr)."""
    p = subprocess.run([args.xdsctl, "-C", "node.state_dir=" + node.state, "-C", "dicom.timeout=10",
                        "--url", "http://127.0.0.1:%d/xds/registry" % node.port, *a],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, TMPDIR=TMP))
    return p.returncode, p.stdout, p.stderr


def ctl_rss(node, *a):
    """ctl(node, *a) quietly: (exit status, its peak RSS in KiB)."""
    argv = [args.xdsctl, "-C", "node.state_dir=" + node.state, "--url",
            "http://127.0.0.1:%d/xds/registry" % node.port, *a]
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(args.xdsctl, argv, dict(os.environ, TMPDIR=TMP))
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_maxrss


def metadata_docs(xml):
    """{URI: (size, hash, uniqueId)} of METADATA.XML's DocumentEntries."""
    out = {}
    for eo in ET.fromstring(xml).iter(RIM + "ExtrinsicObject"):
        slots = {s.get("name"): [v.text for v in s.iter(RIM + "Value")] for s in eo.findall(RIM + "Slot")}
        uid = [e.get("value") for e in eo.findall(RIM + "ExternalIdentifier")
               if e.get("identificationScheme") == dicomtest.EI_DE_UNIQUEID]
        out[slots["URI"][0]] = (int(slots["size"][0]), slots["hash"][0], uid[0])
    return out


def rezip(src, dst, change=None, add=()):
    """dst: the entries of src, each (name, data) through change (None
    drops it), then the (ZipInfo or name, data) of add."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for n in zi.namelist():
            r = change(n, zi.read(n)) if change else (n, zi.read(n))
            if r is not None:
                zo.writestr(r[0], r[1])
        for info, data in add:
            zo.writestr(info, data)
    return dst


def encrypt_flag(path):
    """Set the "encrypted" bit of every entry's headers (local and central)."""
    data = bytearray(open(path, "rb").read())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", data, i + off)[0] | 1
            struct.pack_into("<H", data, i + off, flags)
            i = data.find(sig, i + 4)
    open(path, "wb").write(bytes(data))


def declared_size(path, name, size):
    """Patch the uncompressed size of entry name in its local and central
    headers to size."""
    data = bytearray(open(path, "rb").read())
    enc = name.encode()
    for sig, off, noff in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        i = data.find(sig)
        while i >= 0:
            if data[i + noff:i + noff + len(enc)] == enc:
                struct.pack_into("<I", data, i + off, size)
            i = data.find(sig, i + 4)
    open(path, "wb").write(bytes(data))


def dicomdir_records(path):
    """[(record type, ReferencedFileID with '/', ReferencedSOPInstanceUIDInFile)]
    of the DICOMDIR at path, by dcmdump."""
    out = subprocess.run(["dcmdump", "-q", path], capture_output=True, text=True).stdout
    recs = []
    for line in out.splitlines():
        m = re.match(r"\s*\((0004,1430|0004,1500|0004,1511)\) \w\w \[([^]]*)\]", line)
        if m and m.group(1) == "0004,1430":
            recs.append([m.group(2), None, None])
        elif m and recs:
            recs[-1][1 if m.group(1) == "0004,1500" else 2] = m.group(2).replace("\\", "/")
    return [tuple(r) for r in recs]


def sop_of(path):
    """The SOPInstanceUID of the DICOM file at path, by dcmdump."""
    out = subprocess.run(["dcmdump", "-q", "+P", "0008,0018", path], capture_output=True, text=True).stdout
    m = re.search(r"\[([0-9.]+)\]", out)
    return m.group(1) if m else None


def b_counts():
    """(documents of BSN at B, of OTHER_BSN at B)."""
    return (len(find_documents(b.port, BSN, ("Approved",))),
            len(find_documents(b.port, OTHER_BSN, ("Approved",))))


a = Xdsd(args.xdsd, work, ["dicom.publish_after=1", "dicom.timeout=10"], name="a", dicom=True)
b = Xdsd(args.xdsd, work, ["dicom.publish_after=1", "dicom.timeout=10"], name="b", dicom=True)
try:
    check(a.start() and b.start(), "two nodes up (HTTP and DICOM)")

    # --- on A: two documents and a study -----------------------------------
    docs = {"brief.txt": b"Geachte collega,\n" + os.urandom(3000).hex().encode(),
            "verslag.pdf": b"%PDF-1.4\n" + os.urandom(200000) + b"\n%%EOF\n"}
    paths = []
    for n, data in docs.items():
        paths.append(os.path.join(work, n))
        open(paths[-1], "wb").write(data)
    rc, out, err = ctl(a, "--json", "submit", *paths, "--patient", BSN)
    sub = json.loads(out) if rc == 0 else {}
    uids = {os.path.basename(d["file"]): d["uniqueId"] for d in sub.get("documents", [])}
    check(rc == 0 and len(uids) == 2, "two documents submitted at A: " + err)
    sops, files = [], []
    for i in range(3):
        sops.append("%s.%d" % (STUDY, i + 1))
        # PatientName (type 2) is all a DICOMDIR needs beyond the bridge:
        # the writer makes up StudyDate, StudyID and the other type 1 keys
        files.append(bsn_instance(os.path.join(work, "s%d.dcm" % i), sops[-1], STUDY, STUDY + ".1", "LOC1",
                                  extra="(0010,0010) PN [Test^Xdm]\n"))
    r = storescu(a.dport, files)
    check(r.returncode == 0, "the study C-STOREd to A's bridge: " + r.stderr[-300:])
    check(wait_published(args.xdsctl, a.state, STUDY) is not None, "A published the study's manifest")

    # --- export ----------------------------------------------------------------
    dzip = os.path.join(work, "docs.zip")
    rc, out, err = ctl(a, "xdm", "export", "--patient", BSN, "--document", *uids.values(), "-o", dzip)
    check(rc == 0 and os.path.exists(dzip), "xdm export --document: exit 0 (%s%s)" % (out, err))
    check(not os.path.exists(dzip + ".tmp"), "no temporary file left beside the package")
    with zipfile.ZipFile(dzip) as z:
        names = z.namelist()
        check({"README.TXT", "INDEX.HTM", SUB + "METADATA.XML"} <= set(names),
              "the package's layout: README.TXT, INDEX.HTM, %sMETADATA.XML (%s)" % (SUB, names))
        md = metadata_docs(z.read(SUB + "METADATA.XML"))
        check(len(md) == 2, "METADATA.XML: two DocumentEntries with a URI slot")
        ok = all(SUB + uri in names and len(z.read(SUB + uri)) == size and sha1(z.read(SUB + uri)) == h
                 for uri, (size, h, _) in md.items())
        check(ok, "every document's file has the size and SHA-1 METADATA.XML gives")
        byuid = {u: z.read(SUB + uri) for uri, (_, _, u) in md.items()}
        check(all(byuid.get(uids[n]) == data for n, data in docs.items()),
              "the documents in the package are the submitted bytes")
        check(b"verslag.pdf" in z.read("INDEX.HTM"), "INDEX.HTM lists the documents")

    szip = os.path.join(work, "study.zip")
    rc, out, err = ctl(a, "--json", "xdm", "export", "--patient", BSN, "--study", STUDY, "-o", szip)
    res = json.loads(out) if rc == 0 else {}
    check(rc == 0 and res.get("instances") == 3 and res.get("dicomdir") == "STD-GEN-CD",
          "xdm export --study: exit 0, a DICOMDIR of profile STD-GEN-CD (%s%s)" % (out, err))
    sdir = os.path.join(work, "study")
    with zipfile.ZipFile(szip) as z:
        inst = [n for n in z.namelist() if n.startswith("DICOM/")]
        md = metadata_docs(z.read(SUB + "METADATA.XML"))
        check(len(md) == 1 and list(md)[0].endswith(".DCM"), "the study's package holds its KOS manifest")
        check(len(inst) == 3 and all(z.read(n)[128:132] == b"DICM" for n in inst),
              "and the study's 3 instances in DICOM/ (%s)" % inst)
        check(all(re.fullmatch(r"(?:[A-Z0-9_]{1,8}/){0,7}[A-Z0-9_]{1,8}", n) for n in inst),
              "named by PS3.10 file IDs (8 components of 8 of A-Z, 0-9, _)")
        check("DICOMDIR" in z.namelist() and b"DICOMDIR" in z.read("README.TXT"),
              "a DICOMDIR at the root, named in README.TXT")
        z.extractall(sdir)
    recs = dicomdir_records(os.path.join(sdir, "DICOMDIR"))
    check([r[0] for r in recs if r[0] != "IMAGE"] == ["PATIENT", "STUDY", "SERIES"],
          "the DICOMDIR: one PATIENT, STUDY and SERIES record (%s)" % recs)
    images = {r[1]: r[2] for r in recs if r[0] == "IMAGE"}
    check(sorted(images) == sorted(inst) and
          all(sop_of(os.path.join(sdir, f)) == uid for f, uid in images.items()) and
          sorted(images.values()) == sorted(sops),
          "an IMAGE record for every instance file, with its SOP Instance UID (%s)" % images)
    if shutil.which("dciodvfy"):
        r = subprocess.run(["dciodvfy", os.path.join(sdir, "DICOMDIR")], capture_output=True, text=True)
        errs = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("Error")]
        check(r.returncode == 0 and not errs, "dciodvfy: the DICOMDIR is a valid Basic Directory (%s)" % errs)
    else:
        print("SKIP: dciodvfy not installed (dicom3tools): the DICOMDIR's IOD check")
    check(os.listdir(TMP) == [], "no spool directory left behind")
    rc, out, err = ctl(a, "xdm", "export", "--patient", BSN, "--document", "1.2.3.999", "-o",
                       os.path.join(work, "none.zip"))
    check(rc == 1 and "1.2.3.999" in err and not os.path.exists(os.path.join(work, "none.zip")),
          "xdm export of an unknown uniqueId: exit 1, named, no file")
    # an instance no DICOMDIR can list (no PatientName): the export fails
    # and says which, rather than write media that are not PDI's
    f = bsn_instance(os.path.join(work, "nn.dcm"), STUDY_NONAME + ".1", STUDY_NONAME, STUDY_NONAME + ".1",
                     "LOC4")
    r = storescu(a.dport, [f])
    check(r.returncode == 0 and wait_published(args.xdsctl, a.state, STUDY_NONAME) is not None,
          "a study without PatientName published at A")
    nzip = os.path.join(work, "noname.zip")
    rc, out, err = ctl(a, "xdm", "export", "--patient", BSN, "--study", STUDY_NONAME, "-o", nzip)
    check(rc == 1 and "DICOMDIR" in err and "DICOM/I0000001" in err and "PatientName" in err and
          not os.path.exists(nzip) and not os.path.exists(nzip + ".tmp"),
          "its export: exit 1, the instance and the missing attribute named, no file (%s)" % err.strip())
    check(os.listdir(TMP) == [], "no spool directory left behind the failed export")

    # --- hostile and broken packages: refused at B, nothing registered ---------
    before = b_counts()
    hostile = []
    bomb = zipfile.ZipInfo(SUB + "BOMB.BIN")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    hostile.append(("a zip bomb", rezip(dzip, os.path.join(work, "bomb.zip"),
                    add=[(bomb, b"\0" * (64 << 20))]), "compression ratio", ()))
    hostile.append(("../x", rezip(dzip, os.path.join(work, "dotdot.zip"), add=[("../x", b"x")]),
                    "'..' component", ()))
    hostile.append(("/etc/x", rezip(dzip, os.path.join(work, "abs.zip"), add=[("/etc/x", b"x")]),
                    "absolute name", ()))
    link = zipfile.ZipInfo("LINK")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    hostile.append(("a symbolic link", rezip(dzip, os.path.join(work, "link.zip"),
                    add=[(link, b"/etc/passwd")]), "symbolic link", ()))
    hostile.append(("twice the same name", rezip(dzip, os.path.join(work, "dup.zip"),
                    add=[("readme.txt", b"x")]), "duplicate name", ()))
    enc = rezip(dzip, os.path.join(work, "enc.zip"))
    encrypt_flag(enc)
    hostile.append(("an encrypted entry", enc, "encrypted", ()))

    def flip(n, data):
        if n.endswith(".TXT") and n.startswith(SUB):
            return n, bytes([data[0] ^ 1]) + data[1:]
        return n, data
    hostile.append(("a hash mismatch", rezip(dzip, os.path.join(work, "hash.zip"), flip),
                    "hash mismatch", ()))
    hostile.append(("a missing file", rezip(dzip, os.path.join(work, "missing.zip"),
                    lambda n, d: None if n.endswith(".PDF") else (n, d)), "missing file", ()))
    hostile.append(("bad XML", rezip(dzip, os.path.join(work, "badxml.zip"),
                    lambda n, d: (n, b"<lcm:Submit") if n.endswith("METADATA.XML") else (n, d)),
                    "bad metadata", ()))
    hostile.append(("no METADATA.XML", rezip(dzip, os.path.join(work, "nometa.zip"),
                    lambda n, d: None if n.endswith("METADATA.XML") else (n, d)), "missing file", ()))
    hostile.append(("another patient", dzip, "patient mismatch", ("--patient", OTHER_BSN)))
    hostile.append(("over --max-size", dzip, "--max-size", ("--max-size", "1000")))
    hostile.append(("the study under another patient", szip, "patient mismatch", ("--patient", OTHER_BSN)))
    lie = zipfile.ZipInfo(SUB + "LIE.BIN")
    lie.compress_type = zipfile.ZIP_DEFLATED
    liar = rezip(dzip, os.path.join(work, "liar.zip"), add=[(lie, b"\0" * (2 << 20))])
    declared_size(liar, SUB + "LIE.BIN", 1000)
    hostile.append(("a header that lies about its size", liar, "more bytes than its header declares", ()))
    notzip = os.path.join(work, "notzip.zip")
    open(notzip, "wb").write(b"not a zip at all")
    hostile.append(("not a ZIP", notzip, "not a readable ZIP", ()))
    with zipfile.ZipFile(os.path.join(work, "dotdot.zip")) as z:
        check("../x" in z.namelist(), "(the ../x package holds the name as given)")
    for what, path, rule, extra in hostile:
        opts = list(extra) if "--patient" in extra else ["--patient", BSN, *extra]
        rc, out, err = ctl(b, "xdm", "import", path, *opts)
        check(rc == 3 and "refused" in err and rule in err,
              "import of %s: exit 3, \"%s\" (rc %d: %s)" % (what, rule, rc, err.strip()[-200:]))
    check(b_counts() == before, "nothing registered at B by the refused packages %s" % (b_counts(),))
    check(dicomtest.studies(args.xdsctl, b.state) == {}, "no instance stored at B's bridge")
    check(os.listdir(TMP) == [], "no quarantine directory left behind")

    # --- import at B -----------------------------------------------------------
    rc, out, err = ctl(b, "--json", "xdm", "import", dzip, "--patient", BSN)
    res = json.loads(out) if rc == 0 else {}
    check(rc == 0 and res.get("registered") == 2, "xdm import of the documents at B: %s%s" % (out, err))
    found = find_documents(b.port, BSN, ("Approved",))
    check(sorted(d["unique_id"] for d in found.values()) == sorted(uids.values()),
          "B's registry holds the two documents under their uniqueIds")
    adocs = find_documents(a.port, BSN, ("Approved",))
    check(not set(found) & set(adocs), "under new entryUUIDs")
    outdir = os.path.join(work, "out")
    rc, out, err = ctl(b, "--json", "retrieve", *uids.values(), "-o", outdir)
    got = {d["uniqueId"]: open(d["file"], "rb").read() for d in json.loads(out)["documents"]} if rc == 0 else {}
    check(all(got.get(uids[n]) == data for n, data in docs.items()),
          "ITI-43 at B gives the documents byte for byte")
    check(all('value="%s"' % n in d["xml"] for n in docs for d in found.values()
              if d["unique_id"] == uids[n]) and
          all("sourcePatientId" in d["xml"] for d in found.values()),
          "with the package's metadata (titles, sourcePatientId)")

    store = "XDSNODE@127.0.0.1:%d" % b.dport
    rc, out, err = ctl(b, "--json", "xdm", "import", szip, "--patient", BSN, "--store", store)
    res = json.loads(out) if rc == 0 else {}
    check(rc == 0 and res.get("stored") == 3 and res.get("registered") == 0,
          "xdm import of the study at B: 3 instances C-STOREd, the manifest left to the bridge (%s%s)"
          % (out, err))
    check(wait_published(args.xdsctl, b.state, STUDY) is not None, "B's bridge published the study")
    # read as XDM, the instances are the files its DICOMDIR references: a
    # stray file of another patient beside them is not even read
    f = bsn_instance(os.path.join(work, "stray0.dcm"), STUDY + ".99", STUDY + ".9", STUDY + ".9.1",
                     "LOC9", bsn=OTHER_BSN)
    stray = rezip(szip, os.path.join(work, "stray.zip"), add=[("DICOM/STRAY", open(f, "rb").read())])
    rc, out, err = ctl(b, "--json", "xdm", "import", stray, "--patient", BSN, "--store", store)
    res = json.loads(out) if rc == 0 else {}
    check(rc == 0 and res.get("kind") == "xdm" and res.get("stored") == 3,
          "the package as XDM: its instances by the DICOMDIR, the stray file left (%s%s)" % (out, err))
    # the same package as PDI media: unpacked, its XDM part gone, the
    # stray file beside the instances
    shutil.rmtree(os.path.join(sdir, "IHE_XDM"))
    shutil.copy(f, os.path.join(sdir, "DICOM", "STRAY"))
    rc, out, err = ctl(b, "--json", "xdm", "import", sdir, "--patient", BSN, "--store", store)
    res = json.loads(out) if rc == 0 else {}
    check(rc == 0 and res.get("kind") == "pdi" and res.get("stored") == 3,
          "the exported study as PDI media: its 3 instances imported by the DICOMDIR (%s%s)" % (out, err))
    check(STUDY + ".9" not in dicomtest.studies(args.xdsctl, b.state),
          "the file the DICOMDIR does not reference was not sent")
    check(os.listdir(TMP) == [], "no quarantine directory left behind the imports")

    # --- memory: a 48 MB document out and in, xdsctl's memory flat --------------
    big = os.path.join(work, "groot.bin")
    with open(big, "wb") as f:
        for _ in range(48):
            f.write(os.urandom(1 << 20))
    rc, out, err = ctl(a, "--json", "submit", big, "--patient", OTHER_BSN)
    buid = json.loads(out)["documents"][0]["uniqueId"] if rc == 0 else "?"
    small = list(uids.values())[0]
    rc0, rss0 = ctl_rss(a, "xdm", "export", "--patient", BSN, "--document", small, "-o",
                        os.path.join(work, "small.zip"))
    bzip = os.path.join(work, "big.zip")
    rc1, rss1 = ctl_rss(a, "xdm", "export", "--patient", OTHER_BSN, "--document", buid, "-o", bzip)
    check(rc0 == 0 and rc1 == 0 and rss1 < rss0 + 8192,
          "export of a 48 MB document: xdsctl's memory flat (%d KiB, %d KiB for a small one)" % (rss1, rss0))
    rc2, rss2 = ctl_rss(b, "xdm", "import", bzip, "--patient", OTHER_BSN)
    check(rc2 == 0 and rss2 < rss0 + 8192,
          "import of it at B: xdsctl's memory flat (%d KiB)" % rss2)
    got = find_documents(b.port, OTHER_BSN, ("Approved",))
    check([d["unique_id"] for d in got.values()] == [buid], "the 48 MB document registered at B")

    # --- PDI media -------------------------------------------------------------
    pdi = os.path.join(work, "pdi")
    os.makedirs(os.path.join(pdi, "DICOM"))
    for i in range(2):
        f = bsn_instance(os.path.join(work, "p%d.dcm" % i), "%s.%d" % (STUDY_PDI, i + 1), STUDY_PDI,
                         STUDY_PDI + ".1", "LOC2", extra=PDI_TAGS % (i + 1))
        shutil.copy(f, os.path.join(pdi, "DICOM", "I%07d" % (i + 1)))
    if shutil.which("dcmmkdir"):
        r = subprocess.run(["dcmmkdir", "+r", "+I", "DICOM"], cwd=pdi, capture_output=True, text=True)
        check(r.returncode == 0 and os.path.exists(os.path.join(pdi, "DICOMDIR")),
              "dcmmkdir made a DICOMDIR: " + r.stderr[-200:])
        # a file the DICOMDIR does not reference is not read (here: another patient's)
        f = bsn_instance(os.path.join(work, "stray.dcm"), STUDY_PDI + ".99", STUDY_PDI + ".9",
                         STUDY_PDI + ".9.1", "LOC3", bsn=OTHER_BSN)
        shutil.copy(f, os.path.join(pdi, "DICOM", "STRAY"))
        hidden = os.path.join(work, "I0000002")
        shutil.move(os.path.join(pdi, "DICOM", "I0000002"), hidden)
        rc, out, err = ctl(b, "xdm", "import", pdi, "--patient", BSN, "--store", store)
        check(rc == 3 and "missing file" in err and "DICOM/I0000002" in err,
              "a file the DICOMDIR references missing: refused (%s)" % err.strip())
        shutil.move(hidden, os.path.join(pdi, "DICOM", "I0000002"))
        rc, out, err = ctl(b, "--json", "xdm", "import", pdi, "--patient", BSN, "--store", store)
        res = json.loads(out) if rc == 0 else {}
        check(rc == 0 and res.get("kind") == "pdi" and res.get("stored") == 2,
              "PDI media: the 2 instances its DICOMDIR references imported at B: %s%s" % (out, err))
        check(wait_published(args.xdsctl, b.state, STUDY_PDI) is not None, "B's bridge published its study")
        check(STUDY_PDI + ".9" not in dicomtest.studies(args.xdsctl, b.state),
              "the file the DICOMDIR does not reference was not sent")
        os.symlink("/etc/passwd", os.path.join(pdi, "LINK"))
        rc, out, err = ctl(b, "xdm", "import", pdi, "--patient", BSN, "--store", store)
        check(rc == 3 and "symbolic link" in err, "a symbolic link on the medium: refused")
        corpus = os.path.join(dicomtest.TESTDATA, "dicom", "pydicom", "study-98892003-MR2")
        if os.path.isdir(corpus):
            cd = os.path.join(work, "corpus")
            os.makedirs(os.path.join(cd, "DICOM"))
            for i, f in enumerate(sorted(os.listdir(corpus))):
                shutil.copy(os.path.join(corpus, f), os.path.join(cd, "DICOM", "I%07d" % (i + 1)))
            subprocess.run(["dcmmkdir", "+r", "+I", "DICOM"], cwd=cd, capture_output=True)
            rc, out, err = ctl(b, "xdm", "import", cd, "--patient", BSN, "--store", store)
            check(rc == 3 and "no BSN" in err,
                  "the corpus's sample study (no BSN): refused by the bridge's rule (%s)" % err.strip())
        else:
            print("SKIP: the corpus's DICOM samples (XDS_TESTDATA) not found")
    else:
        print("SKIP: dcmmkdir not installed (PDI media)")
finally:
    stop_nodes(a, b)
sys.exit(finish(work, [a.logpath, b.logpath]))
