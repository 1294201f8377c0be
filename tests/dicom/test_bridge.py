"""DICOM bridge integration test: xdsd with dicom.enabled, driven by dcmtk's
echoscu/storescu on loopback.  Checks C-ECHO, associations to another
called AE title rejected, every sample file stored bit-preserving (the
dataset after the meta header is byte-identical to what was sent),
concurrent associations, malformed DICOM refused while the SCP keeps
serving, the pending list, 40 instances on one association without
TCP_NODELAY (its timing is measured in bench/bench_dicom.py), publication end to end
(storescu -> quiet period -> KOS by RAD-68 -> FindDocuments over HTTP ->
ITI-43 returns the KOS bytes; a later instance -> RPLC, old entry
Deprecated; xdsctl dicom publish), clean SIGTERM, and the instance table
rebuilt from the stored files after a crash."""
import json, os, re, sqlite3, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (REPO_UID, TESTDATA as TD, Xdsd, bsn_instance, check, dump2dcm,  # noqa: E402
                       find_documents, finish, meta_split, publish, rad69, rad69_body, reserve_port,
                       stop_nodes, storescu, wait_port)
import dicomtest  # noqa: E402
import xdsmsg  # noqa: E402  (on sys.path by dicomtest)

args = dicomtest.arguments()
SAMPLES = os.path.join(TD, "dicom")

XOPT = {"1.2.840.10008.1.2": "-xi", "1.2.840.10008.1.2.1": "-xe", "1.2.840.10008.1.2.2": "-xb",
        "1.2.840.10008.1.2.4.70": "-xs", "1.2.840.10008.1.2.4.50": "-xy", "1.2.840.10008.1.2.4.51": "-xx",
        "1.2.840.10008.1.2.4.90": "-xv", "1.2.840.10008.1.2.4.91": "-xw", "1.2.840.10008.1.2.5": "-xr"}

def studies(state):
    return dicomtest.studies(args.xdsctl, state)

def wait_published(state, study, prev):
    """The study row once published with a uniqueId other than prev."""
    return dicomtest.wait_published(args.xdsctl, state, study, not_uid=prev)

def stored_instances(state):
    """[(study, series, sop, transfer syntax, path)] in the bridge's store."""
    out = []
    root = os.path.join(state, "dicom")
    for study in sorted(os.listdir(root)):
        if study in ("tmp", "kos"):
            continue
        for series in sorted(os.listdir(os.path.join(root, study))):
            for n in sorted(os.listdir(os.path.join(root, study, series))):
                p = os.path.join(root, study, series, n)
                out.append((study, series, n[:-4], meta_split(open(p, "rb").read())[0], p))
    return out

def nist_rad69(port, state):
    """Replay the NIST RAD-69 exception plans (ids_2018-4811, ids_4812) on
    our store: the UIDs of each plan's comparison case are mapped to a
    stored instance in explicit VR little endian; the others stay."""
    inst = [i for i in stored_instances(state) if i[3] == "1.2.840.10008.1.2.1"][0]
    base = os.path.join(TD, "negative", "rad69", "nist-testkit")
    for plan in ("ids_2018-4811", "ids_4812"):
        cases = sorted(d for d in os.listdir(os.path.join(base, plan)) if d.startswith("case-"))
        req = lambda c: [os.path.join(base, plan, c, f) for f in ("rad69-request.xml", "RAD-69Request.xml")
                         if os.path.exists(os.path.join(base, plan, c, f))][0]
        ref = open(req(cases[0])).read()
        m = {re.search(r'studyInstanceUID="([^"]+)"', ref).group(1): inst[0],
             re.search(r'seriesInstanceUID="([^"]+)"', ref).group(1): inst[1],
             re.search(r"<xdsb:DocumentUniqueId>([^<]+)<", ref).group(1): inst[2],
             re.search(r"<xdsb:RepositoryUniqueId>([^<]+)<", ref).group(1): REPO_UID}
        for c in cases:
            x = open(req(c)).read()
            for k in sorted(m, key=len, reverse=True):
                x = re.sub(r'(?<=[">])%s(?=[<"])' % re.escape(k), m[k], x)
            x = re.sub(r"^<\?xml[^>]*>\s*", "", x)
            st, errs, _, docs = rad69(port, x)
            want = "Success" if "Comparison" in c else "Failure"
            ok = st == want and (want == "Failure" or docs.get(inst[2], (None, None))[1] == open(inst[4], "rb").read())
            check(ok, "NIST %s/%s: %s %s" % (plan, c, st, " ".join(errs)))

work = tempfile.mkdtemp(prefix="xds-dicom-")
env = dict(os.environ); env.pop("TCP_NODELAY", None)   # the bridge must not depend on it
xdsd = Xdsd(args.xdsd, work, ["dicom.publish_after=1", "dicom.max_associations=8"], dicom=True, env=env)
state, dport, hport = xdsd.state, xdsd.dport, xdsd.port
try:
    check(xdsd.start(), "xdsd started (ports in state/xdsd.ports)")
    ports = dicomtest.xdstest.read_ports(state)
    check(ports is not None and ports.get("dicom") == ("127.0.0.1", dport) and ports.get("http") == ("127.0.0.1", hport),
          "state/xdsd.ports names the HTTP and DICOM listeners (%s)" % (ports,))
    check("DICOM bridge XDSNODE listening on 127.0.0.1:%d" % dport in xdsd.log(), "the log names the DICOM port")
    r = subprocess.run(["echoscu", "-aec", "XDSNODE", "127.0.0.1", str(dport)], capture_output=True, text=True)
    check(r.returncode == 0, "C-ECHO answered")
    r = subprocess.run(["echoscu", "-aec", "OTHERAE", "127.0.0.1", str(dport)], capture_output=True, text=True)
    check(r.returncode != 0 and "Called AE Title Not Recognized" in r.stdout + r.stderr,
          "association to another called AE title rejected (A-ASSOCIATE-RJ, called AE not recognised)")

    # every sample, each with the proposal of its own transfer syntax
    samples = []
    for root, _, files in os.walk(SAMPLES):
        samples += [os.path.join(root, f) for f in sorted(files) if f.endswith(".dcm") and f != "no_meta.dcm"]
    # The reference for "as sent": dcmtk's own storescp in bit-preserving
    # mode receives the same sends.  storescu re-encodes some files on the
    # wire (undefined-length sequences and items get explicit lengths,
    # padding beyond the value is dropped: JPEG2000, JPGExtended, MR01,
    # MR02), so the file itself is not the reference; the wire is.
    refdir = os.path.join(work, "ref"); os.mkdir(refdir)
    rres = reserve_port()        # storescp cannot report a port it picked
    rport = rres.port
    ref = subprocess.Popen(["storescp", "-B", "+xa", "-od", refdir, str(rport)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(wait_port(rport, proc=ref), "the reference storescp listens")
    sent = {}
    try:
        for f in samples:
            data = open(f, "rb").read()
            ts, ds = meta_split(data)
            r = storescu(dport, [f], extra=(XOPT.get(ts, "-xe"),))
            check(r.returncode == 0, "stored %s (%s)" % (os.path.relpath(f, SAMPLES), ts))
            r2 = storescu(rport, [f], "ANY-SCP", (XOPT.get(ts, "-xe"),))
            sent[f] = (ts, ds, r2.returncode == 0)
    finally:
        ref.terminate(); ref.wait(); rres.close()
    wire = {}
    for n in os.listdir(refdir):
        wire[n.split(".", 1)[1]] = os.path.join(refdir, n)
    stored = {}
    for root, _, files in os.walk(os.path.join(state, "dicom")):
        if os.path.basename(root) == "tmp":
            check(files == [], "no receive files left in dicom/tmp")
            continue
        for n in files:
            stored[n] = os.path.join(root, n)
    for f, (ts, ds, ref_ok) in sent.items():
        out = subprocess.run(["dcmdump", "+P", "0008,0018", f], capture_output=True, text=True).stdout
        sop = out.split("[", 1)[1].split("]", 1)[0]
        p = stored.get(sop + ".dcm")
        check(p is not None, "%s on disk as <study>/<series>/<sop>.dcm" % os.path.basename(f))
        w = wire.get(sop)
        check(ref_ok and w is not None, "%s received by the reference storescp -B" % os.path.basename(f))
        if p and w:
            ts2, ds2 = meta_split(open(p, "rb").read())
            tsw, dsw = meta_split(open(w, "rb").read())
            # strict: the very bytes that came over the wire, in the
            # transfer syntax they came in
            check(ds2 == dsw and ts2 == tsw, "%s stored byte for byte as sent (%s -> %s, %s)"
                  % (os.path.basename(f), ts, ts2, "file unchanged by the SCU" if ds2 == ds else
                     "re-encoded by storescu, identical to storescp -B"))

    # generated study with a BSN, and concurrent associations
    gen = os.path.join(work, "gen"); os.mkdir(gen)
    files = []
    for i in range(24):
        files.append(bsn_instance(os.path.join(gen, "%d.dcm" % i), "1.2.826.0.1.3680043.9.7.%d" % (i + 1),
                                  "1.2.826.0.1.3680043.9.7", "1.2.826.0.1.3680043.9.7.0", "LOCAL1",
                                  "999911120"))
    results = []
    def worker(chunk):
        results.append(storescu(dport, chunk).returncode)
    ts_ = [threading.Thread(target=worker, args=(files[k::6],)) for k in range(6)]
    t0 = time.time()
    for t in ts_: t.start()
    for t in ts_: t.join()
    check(results == [0] * 6, "6 concurrent associations all stored (%.2fs)" % (time.time() - t0))
    n = len(os.listdir(os.path.join(state, "dicom", "1.2.826.0.1.3680043.9.7", "1.2.826.0.1.3680043.9.7.0")))
    check(n == 24, "24 generated instances on disk (%d)" % n)

    # Nagle: 40 instances on one association, storescu without TCP_NODELAY
    many = [files[0]] * 40
    r = storescu(dport, many, env=env)
    check(r.returncode == 0, "40 instances on one association without TCP_NODELAY stored")

    # malformed: truncated, wrong lengths, missing UIDs -> refused, no crash
    bad = []
    data = open(files[0], "rb").read()
    p = os.path.join(work, "trunc.dcm"); open(p, "wb").write(data[:-20]); bad.append(("truncated", p))
    d2 = bytearray(data); i = d2.find(b"\x20\x00\x0d\x00")
    d2[i+6:i+8] = struct.pack("<H", 4000)
    p = os.path.join(work, "badlen.dcm"); open(p, "wb").write(bytes(d2)); bad.append(("wrong length", p))
    p = dump2dcm("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [1.2.826.0.1.3680043.9.8.1]\n",
                 os.path.join(work, "nostudy.dcm"))
    bad.append(("missing StudyInstanceUID", p))
    for what, p in bad:
        r = storescu(dport, [p])
        check(r.returncode != 0 or "Status" in r.stderr, "%s refused" % what)
    check(xdsd.running(), "xdsd still running after malformed input")
    r = subprocess.run(["echoscu", "-aec", "XDSNODE", "127.0.0.1", str(dport)], capture_output=True)
    check(r.returncode == 0, "C-ECHO still answered")
    check(not os.path.exists(os.path.join(state, "dicom", "1.2.826.0.1.3680043.9.8.1")), "nothing stored for the malformed ones")

    # pending list: the sample studies have no BSN; the generated one has.
    # The scheduler has run over them all once the BSN study is published
    # (below): the ones without a BSN stay pending.
    STUDY = "1.2.826.0.1.3680043.9.7"
    first = wait_published(state, STUDY, None)
    r = subprocess.run([args.xdsctl, "-C", "node.state_dir=" + state, "dicom", "pending"], capture_output=True, text=True)
    check(r.returncode == 0 and "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322" in r.stdout
          and "1.2.826.0.1.3680043.9.7 " not in r.stdout, "xdsctl dicom pending lists the studies without BSN only")
    # publication: the BSN study went ready after dicom.publish_after and
    # the node's own repository registered its manifest
    check(first is not None and first["bsn"] == "999911120" and first["instances"] == 24,
          "the BSN study is published after dicom.publish_after (%s)" % (first,))
    if first:
        kos = os.path.join(state, "dicom", "kos", first["unique_id"] + ".dcm")
        ents = find_documents(hport, "999911120", ["Approved"])
        e = ents.get(first["entry_uuid"])
        check(len(ents) == 1 and e is not None and e["unique_id"] == first["unique_id"],
              "FindDocuments finds the KOS entry for the BSN (%d entries)" % len(ents))
        if e:
            body = e["xml"]
            check('mimeType="application/dicom"' in body and "1.2.840.10008.5.1.4.1.1.88.59" in body
                  and STUDY + "^^^^urn:ihe:iti:xds:2016:studyInstanceUID" in body
                  and re.search(r'nodeRepresentation="OT"', body) is not None,
                  "the entry carries the KOS formatCode, mimeType, studyInstanceUID and modality OT")
        st, errs, docs, xml, hst = xdsmsg.retrieve(hport, [("1.3.6.1.4.1.21367.13.71.1", first["unique_id"], None)])
        got = docs.get(first["unique_id"], (None, None))
        check(st == "Success" and got[0] == "application/dicom" and got[1] == open(kos, "rb").read(),
              "ITI-43 returns the KOS bytes (%s %s)" % (st, errs))
        r = subprocess.run(["dsrdump", kos], capture_output=True, text=True)
        check(r.stdout.count("contains IMAGE") == 24 and '"Manifest"' in r.stdout,
              "the KOS references the 24 instances")
        # a later instance: the study republishes with RPLC
        late = dump2dcm(open(os.path.join(gen, "0.dump")).read().replace(
            "1.2.826.0.1.3680043.9.7.1]", "1.2.826.0.1.3680043.9.7.99]"), os.path.join(gen, "late.dcm"))
        r = storescu(dport, [late])
        check(r.returncode == 0, "a late instance stored")
        second = wait_published(state, STUDY, first["unique_id"])
        check(second is not None and second["instances"] == 25, "republished with 25 instances (%s)" % (second,))
        if second:
            ents = find_documents(hport, "999911120", ["Approved", "Deprecated"])
            old, new = ents.get(first["entry_uuid"]), ents.get(second["entry_uuid"])
            check(old is not None and old["status_attr"].endswith("Deprecated") and new is not None
                  and new["status_attr"].endswith("Approved") and new["unique_id"] == second["unique_id"],
                  "RPLC: the old entry is Deprecated, the new one Approved")
            # xdsctl dicom publish: republish on demand, replacing again
            r = publish(args.xdsctl, state, STUDY, as_json=True)
            out = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}
            check(out.get("replaces") == second["entry_uuid"] and out.get("unique_id") not in (None, second["unique_id"]),
                  "xdsctl dicom publish republishes, replacing the last entry (%s%s)" % (r.stdout.strip(), r.stderr.strip()))
    # RAD-69 from the store: attributes and elements, partial, wrong syntax
    gs = "1.2.826.0.1.3680043.9.7"; gse = gs + ".0"
    g1, g2 = os.path.join(state, "dicom", gs, gse, gs + ".1.dcm"), os.path.join(state, "dicom", gs, gse, gs + ".2.dcm")
    gts = meta_split(open(g1, "rb").read())[0]
    st, errs, _, docs = rad69(hport, rad69_body([(gs, [(gse, [(REPO_UID, gs + ".1"), (REPO_UID, gs + ".2"),
                                                            (REPO_UID, gs + ".777")])])], [gts]))
    check(st == "PartialSuccess" and errs == ["XDSDocumentUniqueIdError"]
          and docs.get(gs + ".1") == ("application/dicom", open(g1, "rb").read())
          and docs.get(gs + ".2") == ("application/dicom", open(g2, "rb").read()),
          "RAD-69: two stored instances byte for byte, the unknown one XDSDocumentUniqueIdError (%s %s)" % (st, errs))
    st, errs, _, docs = rad69(hport, rad69_body([(gs, [(gse, [(REPO_UID, gs + ".3")])])],
                                                ["1.2.840.10008.1.2.4.50", gts], elements=True))
    check(st == "Success" and list(docs) == [gs + ".3"], "RAD-69: study/series UIDs as elements (%s %s)" % (st, errs))
    st, errs, _, docs = rad69(hport, rad69_body([(gs, [(gse, [(REPO_UID, gs + ".3")])])], ["1.2.840.10008.1.2.4.50"]))
    check(st == "Failure" and errs == ["XDSRepositoryError"], "RAD-69: no acceptable transfer syntax (%s %s)" % (st, errs))
    st, errs, _, docs = rad69(hport, rad69_body([(gs, [(gse, [("1.2.3.999", gs + ".3")])])], [gts]))
    check(st == "Failure" and errs == ["XDSUnknownRepositoryId"], "RAD-69: another repository (%s %s)" % (st, errs))
    st, errs, _, docs = rad69(hport, rad69_body([(gs, [(gse, [(REPO_UID, "../../../etc/passwd")])])], [gts]))
    check(st == "Failure" and errs == ["XDSDocumentUniqueIdError"], "RAD-69: a path as SOP UID is no document")
    nist_rad69(hport, state)

    r = publish(args.xdsctl, state, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322")
    check(r.returncode == 1 and "pending" in r.stderr, "xdsctl dicom publish refuses a study without BSN")
    check(xdsd.stop() == 0, "SIGTERM stops xdsd cleanly")
    check(os.path.exists(os.path.join(state, "dicom", "clean")), "a clean stop leaves dicom/clean")

    # Crash recovery: instance rows are committed without their own fsync
    # (the file and its directory entry are durable before Success); after
    # an unclean stop a file whose row was lost gets it back at start-up.
    check(xdsd.start(), "xdsd restarted")
    check(not os.path.exists(os.path.join(state, "dicom", "clean")), "dicom/clean removed while running")
    cs, cse = "1.2.826.0.1.3680043.9.7.555", "1.2.826.0.1.3680043.9.7.555.1"
    cf = dump2dcm(
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s.1]\n(0008,0060) CS [OT]\n"
        "(0010,0020) LO [999911120]\n(0010,0021) LO [NLMINBIZA]\n(0020,000d) UI [%s]\n"
        "(0020,000e) UI [%s]\n(7fe0,0010) OB 00\\01\n" % (cse, cs, cse), os.path.join(work, "crash.dcm"))
    check(storescu(dport, [cf]).returncode == 0, "crash: instance stored")
    xdsd.kill()
    db = sqlite3.connect(os.path.join(state, "dicom.db"))
    db.execute("DELETE FROM instance WHERE study_uid = ?", (cs,))
    db.execute("DELETE FROM study WHERE study_uid = ?", (cs,))
    db.commit(); db.close()
    check(cs not in studies(state), "crash: the row is gone (a lost commit)")
    check(xdsd.start(), "xdsd restarted")
    s = studies(state).get(cs)
    check(s is not None and s["instances"] == 1 and s["bsn"] == "999911120",
          "crash: the row is rebuilt from the file at start-up (%s)" % (s,))
    check(xdsd.stop() == 0, "SIGTERM stops the restarted xdsd cleanly")
finally:
    stop_nodes(xdsd)
sys.exit(finish(work))
