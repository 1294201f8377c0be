"""Proxy mode of the DICOM bridge (dicom.mode = proxy), with
dcmtk's dcmqrscp as the PACS (its own storage directory, loopback).

A study of three images is loaded into the PACS (storescu) and sent to
xdsd in proxy mode too; one more image goes to xdsd only.  xdsd keeps no
full instance (no PixelData in any file under state_dir/dicom, each copy
marked as header-only, nothing left in dicom/tmp); the study is published
(xdsctl dicom publish: the KOS references every instance); RAD-69 fetches
the instances from the PACS by C-GET and returns byte-identical pixel data
(also transcoded into JPEG-LS when that is all the consumer takes); the
instance the PACS lacks is XDSDocumentUniqueIdError (PartialSuccess); with
the PACS down RAD-69 is a Failure with XDSRepositoryError; no answer file
is left behind.

One RAD-69 request fetches all its instances on one association (counted
in dcmqrscp's log).  The bounds, on a second xdsd with
repository.max_document_size = 64 KiB (so an answer holds at most 8 x
that, 512 KiB, of fetched files): a larger instance is refused with
XDSRepositoryError naming the limit, its file gone, the instances around
it still fetched (a new association after the abort); twenty 33 KB
instances give PartialSuccess, fifteen sent and the rest "answer size
limit"."""
import json, os, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (ELE, JLS, TESTDATA, check, check_no_answer_files, decoded_pixels,  # noqa: E402
                       finish, make_image, meta_split, pixel_data, publish, reserve_port,
                       start_bridge, stop_nodes, stop_process, wait_port)
from dicomtest import rad69_series as rad69  # noqa: E402
from dicomtest import qrscp as start_pacs, qrscp_associations as associations  # noqa: E402
import dicomtest  # noqa: E402

args = dicomtest.arguments()


def has_pixel_data(path):
    r = subprocess.run(["dcmdump", "-q", "+P", "7fe0,0010", path], capture_output=True, text=True)
    return r.stdout.strip() != ""


def header_only_mark(path):
    r = subprocess.run(["dcmdump", "-q", "-M", "+P", "0002,0100", path], capture_output=True, text=True)
    return "2.25." in r.stdout


def storescu(port, files, aec="XDSNODE", extra=("-xe",)):
    return dicomtest.storescu(port, files, aec, extra)


work = tempfile.mkdtemp(prefix="xds-proxy-")
study, series = "1.2.826.0.1.3680043.9.7.7700", "1.2.826.0.1.3680043.9.7.7700.1"
sops = [series + ".%d" % i for i in range(1, 4)]
missing = series + ".4"                       # sent to xdsd only
imgs = [make_image(work, study, series, s) for s in sops]
extra = make_image(work, study, series, missing)
orig = {s: pixel_data(open(f, "rb").read()) for s, f in zip(sops, imgs)}
qres = reserve_port()         # dcmqrscp cannot report a port it picked
qport = qres.port
pacs = start_pacs(work, qport)
DEADLINE = 6	# dicom.retrieve_deadline of the first xdsd
xdsd = start_bridge(args.xdsd, work, ["dicom.mode=proxy", "dicom.pacs=PACS@127.0.0.1:%d" % qport,
                                      "dicom.retrieve_deadline=%d" % DEADLINE])
dport, hport, state = xdsd.dport, xdsd.port, xdsd.state
try:
    r = storescu(qport, imgs, aec="PACS")
    check(r.returncode == 0, "the study loaded into the PACS (dcmqrscp) (%s)" % r.stderr.strip()[:200])
    r = storescu(dport, imgs + [extra])
    check(r.returncode == 0, "the study sent to xdsd in proxy mode (%s)" % r.stderr.strip()[:200])

    files = []
    for root, _, names in os.walk(os.path.join(state, "dicom")):
        files += [os.path.join(root, n) for n in names if n.endswith(".dcm") or n.startswith("rcv-")]
    inst = [f for f in files if os.sep + study + os.sep in f]
    check(len(inst) == 4, "4 header copies under dicom/<study>/<series>/ (%d)" % len(inst))
    check(files and not any(has_pixel_data(f) for f in files), "no PixelData in any file under state_dir/dicom")
    check(inst and all(header_only_mark(f) for f in inst), "each copy marked header-only in its File Meta")
    check(inst and all(os.path.getsize(f) < 2000 for f in inst),
          "each copy is small (%s bytes; the image is %d)" % ([os.path.getsize(f) for f in inst],
                                                              os.path.getsize(imgs[0])))
    check(not [n for n in os.listdir(os.path.join(state, "dicom", "tmp")) if n.startswith("rcv-")],
          "no received bytes left in dicom/tmp")
    if inst:
        ts, _ = meta_split(open(inst[0], "rb").read())
        check(ts == ELE, "the copy keeps the syntax it was received in (%s)" % ts)
    s = dicomtest.studies(args.xdsctl, state).get(study)
    check(s is not None and s["instances"] == 4 and s["bsn"] == "999911120",
          "the study table has the 4 instances and the BSN (%s)" % (s,))

    r = publish(args.xdsctl, state, study, as_json=True)
    out = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}
    kos = os.path.join(state, "dicom", "kos", "%s.dcm" % out.get("unique_id"))
    check(r.returncode == 0 and os.path.exists(kos), "xdsctl dicom publish: KOS published (%s%s)"
          % (r.stdout.strip()[:200], r.stderr.strip()[:200]))
    if os.path.exists(kos):
        d = subprocess.run(["dsrdump", kos], capture_output=True, text=True).stdout
        check(d.count("contains IMAGE") == 4, "the KOS references the 4 instances from their headers")

    n0 = associations(work)
    st, errs, texts, docs = rad69(hport, study, series, sops, [ELE])
    n1 = associations(work)
    check(n1 - n0 == 1, "the 3 instances are fetched on one association (%d)" % (n1 - n0))
    ok = st == "Success" and len(docs) == 3
    for sop in sops:
        got = docs.get(sop)
        ok = ok and got is not None and meta_split(got)[0] == ELE and pixel_data(got) == orig[sop]
    check(ok, "RAD-69 fetches the 3 instances from the PACS by C-GET, pixel data byte-identical (%s %s %s)"
          % (st, errs, texts))
    check_no_answer_files(state, "no fetched file left after the answer")

    st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JLS])
    got = docs.get(sops[0])
    check(st == "Success" and got is not None and meta_split(got)[0] == JLS
          and decoded_pixels(work, got, "pjls") == orig[sops[0]],
          "RAD-69 asking JPEG-LS only: fetched, transcoded, same pixels (%s %s %s)" % (st, errs, texts))
    check_no_answer_files(state, "no fetched or transcoded file left")

    st, errs, texts, docs = rad69(hport, study, series, [sops[0], missing], [ELE])
    check(st == "PartialSuccess" and errs == ["XDSDocumentUniqueIdError"] and list(docs) == [sops[0]]
          and any("PACS" in t for t in texts),
          "an instance the PACS lacks: XDSDocumentUniqueIdError, PartialSuccess (%s %s %s)" % (st, errs, texts))

    # a compressed instance: fetched in the syntax it was stored in
    # (JPEG lossless SV1, the first context offered), and decoded for a
    # consumer that takes Explicit VR LE only
    jpg = os.path.join(TESTDATA, "dicom", "dcm4che", "MR-JPEGLosslessSV1.dcm")
    jst, jse = "1.3.46.670589.11.4140.6.123890950282789940", "1.3.46.670589.11.4140.7.1238909502827899400701"
    jsop = "1.3.46.670589.11.4140.9.1238909502827899400701.16.2.1.1.0.0.2"
    jts = "1.2.840.10008.1.2.4.70"
    r1 = storescu(qport, [jpg], aec="PACS", extra=("-xs",))
    r2 = storescu(dport, [jpg], extra=("-xs",))
    check(r1.returncode == 0 and r2.returncode == 0, "a JPEG lossless instance to the PACS and to xdsd")
    hdr = os.path.join(state, "dicom", jst, jse, jsop + ".dcm")
    check(os.path.exists(hdr) and not has_pixel_data(hdr) and meta_split(open(hdr, "rb").read())[0] == jts,
          "its header copy keeps the JPEG lossless syntax, without pixel data")
    st, errs, texts, docs = rad69(hport, jst, jse, [jsop], [jts])
    got = docs.get(jsop)
    ref = decoded_pixels(work, open(jpg, "rb").read(), "jref")
    check(st == "Success" and got is not None and meta_split(got)[0] == jts
          and decoded_pixels(work, got, "jgot") == ref,
          "RAD-69 in JPEG lossless: fetched as stored, same pixels (%s %s %s)" % (st, errs, texts))
    st, errs, texts, docs = rad69(hport, jst, jse, [jsop], [ELE])
    got = docs.get(jsop)
    check(st == "Success" and got is not None and meta_split(got)[0] == ELE and pixel_data(got) == ref,
          "RAD-69 in Explicit VR LE only: fetched and decoded, same pixels (%s %s %s)" % (st, errs, texts))
    check_no_answer_files(state, "no file left")

    # the bounds, on a second xdsd: 64 KiB per instance, 512 KiB per answer
    bwork = os.path.join(work, "bound")
    os.makedirs(bwork)
    bst, bse = study + ".2", study + ".2.1"
    big = bse + ".100"                              # 128 KiB of pixel data
    small = [bse + ".%d" % i for i in range(1, 21)]  # 32 KiB each
    bimgs = [make_image(bwork, bst, bse, s, size=128) for s in small] + \
        [make_image(bwork, bst, bse, big, size=256)]
    bx = start_bridge(args.xdsd, bwork, ["dicom.mode=proxy", "dicom.pacs=PACS@127.0.0.1:%d" % qport,
                                       "repository.max_document_size=65536"])
    bdport, bhport, bstate = bx.dport, bx.port, bx.state
    try:
        r1 = storescu(qport, bimgs, aec="PACS")
        r2 = storescu(bdport, bimgs)
        check(r1.returncode == 0 and r2.returncode == 0, "21 instances to the PACS and to the bounded xdsd")
        n0 = associations(work)
        st, errs, texts, docs = rad69(bhport, bst, bse, [small[0], big, small[1]], [ELE])
        n1 = associations(work)
        check(st == "PartialSuccess" and errs == ["XDSRepositoryError"] and sorted(docs) == sorted(small[:2])
              and len(texts) == 1 and "max_document_size" in texts[0] and big in texts[0]
              and all(pixel_data(d) is not None for d in docs.values()),
              "an instance over repository.max_document_size: XDSRepositoryError naming the limit, the others "
              "sent (%s %s %s %s)" % (st, errs, texts, sorted(docs)))
        check(n1 - n0 == 2, "the refused instance's association aborted, the next one on a new one (%d)"
              % (n1 - n0))
        check_no_answer_files(bstate, "the refused instance's file is gone")
        with open(os.path.join(bwork, "xdsd.log"), errors="replace") as f:
            lg = f.read()
        check("refused as it arrived" in lg, "refused as it arrived, not after (xdsd log)")

        st, errs, texts, docs = rad69(bhport, bst, bse, small, [ELE])
        limited = [t for t in texts if "answer size limit" in t]
        total = sum(len(d) for d in docs.values())
        check(st == "PartialSuccess" and len(docs) == 15 and errs == ["XDSRepositoryError"] * 5
              and len(limited) == 5 and total <= 8 * 65536
              and sorted(docs) == sorted(small[:15]),
              "20 instances of 33 KB over an answer bound of 512 KiB: PartialSuccess, 15 sent (%d bytes), 5 "
              "\"answer size limit\" (%s %s %s)" % (total, st, errs, texts[:1]))
        check_no_answer_files(bstate, "no answer file left after the bounded answer")
        check(bx.stop() == 0, "SIGTERM stops the bounded xdsd cleanly")
    finally:
        stop_nodes(bx)

    stop_process(pacs)
    t0 = time.time()
    st, errs, texts, docs = rad69(hport, study, series, sops, [ELE])
    check(st == "Failure" and errs == ["XDSRepositoryError"] * 3 and not docs
          and all("PACS" in t and "127.0.0.1" in t for t in texts),
          "PACS down: Failure, XDSRepositoryError naming the PACS for each instance (%s %s %s, %.1fs)"
          % (st, errs, texts[:1], time.time() - t0))
    check_no_answer_files(state, "no file left after the failed fetch")

    # A PACS that takes the connection and never answers (as one that
    # answers "pending" for ever, it never ends a C-GET): the retrieve's
    # deadline cuts it off, not dicom.timeout (30 s) per step.
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", qport))
    silent.listen(8)
    t0 = time.monotonic()
    st, errs, texts, docs = rad69(hport, study, series, sops, [ELE])
    took = time.monotonic() - t0
    silent.close()
    check(st == "Failure" and errs == ["XDSRepositoryError"] * 3 and not docs
          and all("deadline" in t for t in texts),
          "a PACS that never answers: Failure, each instance cut off by dicom.retrieve_deadline "
          "(%d s), not a hang (%s %s %s, %.1fs)" % (DEADLINE, st, errs, texts[:1], took))
    check_no_answer_files(state, "no file left after the cut-off fetch")
    check(xdsd.stop() == 0, "SIGTERM stops xdsd cleanly")
finally:
    stop_process(pacs)
    stop_nodes(xdsd)
sys.exit(finish(work, [os.path.join(work, "pacs.log")]))
