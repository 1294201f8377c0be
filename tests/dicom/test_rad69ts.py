"""RAD-69 in a requested transfer syntax (issue 4), on a live xdsd fed by
dcmtk's storescu: an Explicit VR Little Endian image asked for in JPEG-LS
lossless only leaves as JPEG-LS whose decoded pixels equal the original;
asked for in JPEG Baseline only (lossy) it is XDSRepositoryError; the
stored syntax anywhere in the list means the stored bytes; the first
listed syntax that can be made wins; an empty list is XDSRepositoryError;
parallel transcodings beyond the bound wait instead of failing; no answer
file is left in dicom/tmp/rad69 after any answer; transcoded parts past
the answer's bound (8 x repository.max_document_size) are "answer size
limit" errors, stored files sent as they are do not count.

The helpers are shared with tests/dicom/test_proxy.py."""
import argparse, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "repo"))
import xdsmsg  # noqa: E402

ELE = "1.2.840.10008.1.2.1"          # Explicit VR Little Endian
ILE = "1.2.840.10008.1.2"            # Implicit VR Little Endian
JLS = "1.2.840.10008.1.2.4.80"       # JPEG-LS lossless
JPEG_BASE = "1.2.840.10008.1.2.4.50"  # JPEG Baseline (lossy)
REPO_UID = "1.3.6.1.4.1.21367.13.71.1"   # repository.unique_id default = Retrieve Location UID
ACT_RAD69 = "urn:ihe:rad:2009:RetrieveImagingDocumentSet"
BSN = "999911120"
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); return True
        except OSError:
            time.sleep(0.05)
    return False


def meta_split(data):
    """(transfer syntax, dataset bytes) of a Part 10 file."""
    assert data[128:132] == b"DICM"
    glen = struct.unpack("<I", data[140:144])[0]
    end = 144 + glen
    meta, ts, i = data[132:end], None, 0
    while i < len(meta):
        g, e = struct.unpack("<HH", meta[i:i+4]); vr = meta[i+4:i+6]
        if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
            ln = struct.unpack("<I", meta[i+8:i+12])[0]; v = meta[i+12:i+12+ln]; i += 12 + ln
        else:
            ln = struct.unpack("<H", meta[i+6:i+8])[0]; v = meta[i+8:i+8+ln]; i += 8 + ln
        if (g, e) == (2, 0x10):
            ts = v.rstrip(b"\0 ").decode()
    return ts, data[end:]


def pixel_data(data):
    """The PixelData value of an uncompressed explicit VR LE Part 10 file, or None."""
    _, ds = meta_split(data)
    i = ds.rfind(b"\xe0\x7f\x10\x00")
    if i < 0 or ds[i+4:i+6] not in (b"OW", b"OB"):
        return None
    ln = struct.unpack("<I", ds[i+8:i+12])[0]
    return ds[i+12:i+12+ln]


def make_image(work, study, series, sop, bsn=BSN, size=64):
    """An Explicit VR LE MONOCHROME2 16-bit (12 stored) image with a BSN; its path."""
    px = "\\".join("%04x" % ((x * 37 + y * 11 + (x * y) % 97) & 0x0fff)
                   for y in range(size) for x in range(size))
    dump = os.path.join(work, sop + ".dump")
    with open(dump, "w") as f:
        f.write("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]\n(0008,0018) UI [%s]\n"
                "(0008,0020) DA [20260101]\n(0008,0030) TM [101010]\n(0008,0050) SH [ACC1]\n"
                "(0008,0060) CS [OT]\n(0010,0010) PN [Test^Proxy]\n(0010,0020) LO [%s]\n"
                "(0010,0021) LO [NLMINBIZA]\n(0020,000d) UI [%s]\n(0020,000e) UI [%s]\n"
                "(0020,0010) SH [1]\n(0020,0013) IS [1]\n"
                "(0028,0002) US 1\n(0028,0004) CS [MONOCHROME2]\n(0028,0010) US %d\n"
                "(0028,0011) US %d\n(0028,0100) US 16\n(0028,0101) US 12\n(0028,0102) US 11\n"
                "(0028,0103) US 0\n(7fe0,0010) OW %s\n" % (sop, bsn, study, series, size, size, px))
    out = os.path.join(work, sop + ".dcm")
    r = subprocess.run(["dump2dcm", "+l", "200000", "--write-xfer-little", dump, out], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("dump2dcm: " + r.stderr)
    return out


def decoded_pixels(work, data, name):
    """PixelData after decompressing data (any syntax dcmtk decodes) to Explicit VR LE."""
    src, dst = os.path.join(work, name + ".in.dcm"), os.path.join(work, name + ".out.dcm")
    with open(src, "wb") as f:
        f.write(data)
    ts, _ = meta_split(data)
    tool = {JLS: ["dcmdjpls"], "1.2.840.10008.1.2.4.81": ["dcmdjpls"],
            "1.2.840.10008.1.2.5": ["dcmdrle"]}.get(ts, ["dcmdjpeg"] if ".4." in ts else ["dcmconv", "+te"])
    r = subprocess.run(tool + [src, dst], capture_output=True, text=True)
    if r.returncode != 0:
        print("  %s: %s" % (" ".join(tool), r.stderr.strip()[:300]))
        return None
    with open(dst, "rb") as f:
        return pixel_data(f.read())


def storescu(port, files, aec="XDSNODE", extra=("-xe",)):
    return subprocess.run(["storescu", "-aec", aec, *extra, "127.0.0.1", str(port), *files],
                          capture_output=True, text=True, timeout=60)


def rad69_body(studies, ts):
    """studies: [(study, [(series, [(repo, sop)])])]."""
    out = ['<xdsiB:RetrieveImagingDocumentSetRequest xmlns:xdsiB="urn:ihe:rad:xdsi-b:2009" '
           'xmlns:xdsb="urn:ihe:iti:xds-b:2007">']
    for st, series in studies:
        out.append('<xdsiB:StudyRequest studyInstanceUID="%s">' % st)
        for se, docs in series:
            out.append('<xdsiB:SeriesRequest seriesInstanceUID="%s">' % se)
            for repo, sop in docs:
                out.append('<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
                           '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>' % (repo, sop))
            out.append('</xdsiB:SeriesRequest>')
        out.append('</xdsiB:StudyRequest>')
    out.append('<xdsiB:TransferSyntaxUIDList>%s</xdsiB:TransferSyntaxUIDList>'
               % "".join("<xdsiB:TransferSyntaxUID>%s</xdsiB:TransferSyntaxUID>" % t for t in ts))
    out.append('</xdsiB:RetrieveImagingDocumentSetRequest>')
    return "".join(out)


def rad69(port, study, series, sops, ts):
    """(status, error codes, error texts, {sop: bytes}) of a RAD-69 request."""
    body = rad69_body([(study, [(series, [(REPO_UID, s) for s in sops])])], ts)
    ct, b = xdsmsg.mtom(ACT_RAD69, body, [])
    _, rct, rb = xdsmsg.post(port, "/xdsi/source", ct, b)
    xml, att = xdsmsg.split_mtom(rct, rb)
    docs = {}
    for m in re.finditer(r"<xdsb:DocumentResponse>(.*?)</xdsb:DocumentResponse>", xml, re.S):
        dr = m.group(1)
        u = re.search(r"<xdsb:DocumentUniqueId>([^<]*)<", dr).group(1)
        mt = re.search(r"<xdsb:mimeType>([^<]*)<", dr).group(1)
        cid = re.search(r'href="cid:([^"]+)"', dr).group(1)
        docs[u] = att.get(cid) if mt == "application/dicom" else None
    texts = re.findall(r'codeContext="([^"]*)"', xml)
    return xdsmsg.status_of(xml), xdsmsg.errors_of(xml), texts, docs


def answer_files(state):
    d = os.path.join(state, "dicom", "tmp", "rad69")
    return sorted(os.listdir(d)) if os.path.isdir(d) else ["(no %s)" % d]


def no_answer_files(state, timeout=3.0):
    """The SOAP layer removes answer files once the response is sent: wait for it."""
    end = time.time() + timeout
    while time.time() < end:
        left = answer_files(state)
        if not left:
            return True, left
        time.sleep(0.05)
    return False, left


def start_xdsd(xdsd_bin, work, extra=()):
    """(process, dicom port, http port, state dir, log file)."""
    state = os.path.join(work, "state")
    dport, hport = free_port(), free_port()
    cmd = [xdsd_bin, "-f", "-C", "node.state_dir=" + state, "-C", "http.listen=127.0.0.1:%d" % hport,
           "-C", "dicom.enabled=yes", "-C", "dicom.listen=127.0.0.1:%d" % dport,
           "-C", "dicom.publish_after=3600", "-C", "dicom.timeout=10"]
    for e in extra:
        cmd += ["-C", e]
    log = open(os.path.join(work, "xdsd.log"), "a")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    if not (wait_port(dport) and wait_port(hport)):
        print("xdsd did not start")
    return p, dport, hport, state, log


def stop_xdsd(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="xds-rad69ts-")
    study, series = "1.2.826.0.1.3680043.9.7.6900", "1.2.826.0.1.3680043.9.7.6900.1"
    sops = [series + ".%d" % i for i in range(1, 4)]
    imgs = [make_image(work, study, series, s) for s in sops]
    orig = {s: pixel_data(open(f, "rb").read()) for s, f in zip(sops, imgs)}
    xdsd, dport, hport, state, log = start_xdsd(args.xdsd, work)
    try:
        r = storescu(dport, imgs)
        check(r.returncode == 0, "3 Explicit VR LE images stored (%s)" % r.stderr.strip()[:200])
        stored = os.path.join(state, "dicom", study, series, sops[0] + ".dcm")
        check(meta_split(open(stored, "rb").read())[0] == ELE, "stored as Explicit VR Little Endian")

        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JLS])
        got = docs.get(sops[0])
        ts = meta_split(got)[0] if got else None
        check(st == "Success" and ts == JLS, "JPEG-LS lossless only: Success, part in %s (%s %s %s)"
              % (ts, st, errs, texts))
        if got:
            px = decoded_pixels(work, got, "jls")
            check(px is not None and px == orig[sops[0]],
                  "JPEG-LS part decodes to the original pixels (%s of %d bytes)"
                  % ("equal" if px == orig[sops[0]] else "differ", len(orig[sops[0]])))
            check(b"Test^Proxy" in got and sops[0].encode() in got, "the same instance (SOP UID, patient)")
        ok, left = no_answer_files(state)
        check(ok, "no answer file left after the transcoded answer (%s)" % left)

        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JPEG_BASE])
        check(st == "Failure" and errs == ["XDSRepositoryError"] and not docs
              and any("transfer syntax" in t for t in texts),
              "JPEG Baseline only (lossy): Failure, XDSRepositoryError (%s %s %s)" % (st, errs, texts))
        ok, left = no_answer_files(state)
        check(ok, "no answer file left after the error (%s)" % left)

        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JPEG_BASE, JLS, ELE])
        check(st == "Success" and docs.get(sops[0]) == open(stored, "rb").read(),
              "stored syntax in the list (third): the stored bytes as they are (%s %s)" % (st, errs))
        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JPEG_BASE, JLS, ILE])
        got = docs.get(sops[0])
        check(st == "Success" and got is not None and meta_split(got)[0] == JLS,
              "stored syntax not listed: the first listed one that can be made (JPEG-LS) (%s %s %s)"
              % (st, errs, meta_split(got)[0] if got else None))
        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [ILE])
        got = docs.get(sops[0])
        check(st == "Success" and got is not None and meta_split(got)[0] == ILE
              and decoded_pixels(work, got, "ile") == orig[sops[0]],
              "Implicit VR LE only: converted, same pixels (%s %s)" % (st, errs))
        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [])
        check(st == "Failure" and errs == ["XDSRepositoryError"],
              "empty TransferSyntaxUIDList: Failure, XDSRepositoryError (%s %s)" % (st, errs))
        st, errs, texts, docs = rad69(hport, study, series, sops + [series + ".99"], [JLS])
        check(st == "PartialSuccess" and errs == ["XDSDocumentUniqueIdError"] and len(docs) == 3
              and all(meta_split(d)[0] == JLS for d in docs.values()),
              "3 transcoded and one unknown: PartialSuccess (%s %s %d)" % (st, errs, len(docs)))

        # more parallel transcodings than the bound (2): they wait their turn
        res = []
        def one():
            try:
                s, e, _, d = rad69(hport, study, series, sops, [JLS])
                res.append(s == "Success" and len(d) == 3)
            except Exception as ex:  # noqa: BLE001
                print("  %s" % ex); res.append(False)
        th = [threading.Thread(target=one) for _ in range(6)]
        for t in th: t.start()
        for t in th: t.join()
        check(res == [True] * 6, "6 parallel requests of 3 transcodings each all answered (%s)" % res)
        ok, left = no_answer_files(state)
        check(ok, "no answer file left after the parallel answers (%s)" % left)
        check(stop_xdsd(xdsd) == 0, "SIGTERM stops xdsd cleanly")

        # the answer's bound on temp files, 8 x repository.max_document_size
        # = 16 KiB: the transcoded parts (8.8 KB each) count, the stored
        # files sent as they are do not
        log.close()
        xdsd, dport, hport, state, log = start_xdsd(args.xdsd, work, ["repository.max_document_size=2048"])
        st, errs, texts, docs = rad69(hport, study, series, sops, [ILE])
        check(st == "PartialSuccess" and list(docs) == sops[:1] and errs == ["XDSRepositoryError"] * 2
              and all("answer size limit" in t for t in texts),
              "3 transcodings over an answer bound of 16 KiB: PartialSuccess, 1 sent, 2 \"answer size limit\" "
              "(%s %s %s)" % (st, errs, texts[:1]))
        st, errs, texts, docs = rad69(hport, study, series, sops, [ELE])
        check(st == "Success" and len(docs) == 3, "the stored files as they are take none of it: Success (%s %s)"
              % (st, errs))
        ok, left = no_answer_files(state)
        check(ok, "no answer file left after the bounded answer (%s)" % left)
        check(stop_xdsd(xdsd) == 0, "SIGTERM stops xdsd cleanly")
    finally:
        stop_xdsd(xdsd)
        log.close()
        if FAILS:
            print(open(os.path.join(work, "xdsd.log")).read()[-3000:])
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
