"""RAD-69 in a requested transfer syntax, on a live xdsd fed by
dcmtk's storescu: an Explicit VR Little Endian image asked for in JPEG-LS
lossless only leaves as JPEG-LS whose decoded pixels equal the original;
asked for in JPEG Baseline only (lossy) it is XDSRepositoryError; the
stored syntax anywhere in the list means the stored bytes; the first
listed syntax that can be made wins; an empty list is XDSRepositoryError;
parallel transcodings beyond the bound wait instead of failing; no answer
file is left in dicom/tmp/rad69 after any answer; transcoded parts past
the answer's bound (8 x repository.max_document_size) are "answer size
limit" errors, stored files sent as they are do not count.

The harness is tests/dicom/dicomtest.py."""
import argparse, os, sys, tempfile, threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dicomtest import (ELE, ILE, JLS, JPEG_BASE, check, check_no_answer_files,  # noqa: E402
                       decoded_pixels, finish, make_image, meta_split, pixel_data, start_bridge,
                       stop_nodes, storescu)
from dicomtest import rad69_series as rad69  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="xds-rad69ts-")
    study, series = "1.2.826.0.1.3680043.9.7.6900", "1.2.826.0.1.3680043.9.7.6900.1"
    sops = [series + ".%d" % i for i in range(1, 4)]
    imgs = [make_image(work, study, series, s) for s in sops]
    orig = {s: pixel_data(open(f, "rb").read()) for s, f in zip(sops, imgs)}
    xdsd = start_bridge(args.xdsd, work)
    hport, state = xdsd.port, xdsd.state
    try:
        r = storescu(xdsd.dport, imgs, extra=("-xe",))
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
        check_no_answer_files(state, "no answer file left after the transcoded answer")

        st, errs, texts, docs = rad69(hport, study, series, sops[:1], [JPEG_BASE])
        check(st == "Failure" and errs == ["XDSRepositoryError"] and not docs
              and any("transfer syntax" in t for t in texts),
              "JPEG Baseline only (lossy): Failure, XDSRepositoryError (%s %s %s)" % (st, errs, texts))
        check_no_answer_files(state, "no answer file left after the error")

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
        check_no_answer_files(state, "no answer file left after the parallel answers")
        check(xdsd.stop() == 0, "SIGTERM stops xdsd cleanly")

        # the answer's bound on temp files, 8 x repository.max_document_size
        # = 16 KiB: the transcoded parts (8.8 KB each) count, the stored
        # files sent as they are do not
        xdsd = start_bridge(args.xdsd, work, ["repository.max_document_size=2048"])
        hport, state = xdsd.port, xdsd.state
        st, errs, texts, docs = rad69(hport, study, series, sops, [ILE])
        check(st == "PartialSuccess" and list(docs) == sops[:1] and errs == ["XDSRepositoryError"] * 2
              and all("answer size limit" in t for t in texts),
              "3 transcodings over an answer bound of 16 KiB: PartialSuccess, 1 sent, 2 \"answer size limit\" "
              "(%s %s %s)" % (st, errs, texts[:1]))
        st, errs, texts, docs = rad69(hport, study, series, sops, [ELE])
        check(st == "Success" and len(docs) == 3, "the stored files as they are take none of it: Success (%s %s)"
              % (st, errs))
        check_no_answer_files(state, "no answer file left after the bounded answer")
        check(xdsd.stop() == 0, "SIGTERM stops xdsd cleanly")
    finally:
        stop_nodes(xdsd)
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
