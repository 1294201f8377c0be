#!/usr/bin/env python3
"""xdsctl submit --patient (ITI-41) and xdsctl retrieve (ITI-43) against a
live xdsd (make check): two files in and out byte for byte with their
metadata, a 50 MB file with flat xdsctl memory, an unknown patient (nothing
stays behind), unknown uniqueIds (PartialSuccess / Failure, exit 1), usage
errors, and the ITI-42 form of submit untouched."""
import hashlib
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_node import Node, Xdsctl, check, command_line, summary, write_file  # noqa: E402
import xdsmsg  # noqa: E402  (tests/lib, on sys.path by test_node)

BSN = "900203638"
UNKNOWN_BSN = "999911120"    # valid 11-check, never added in feed mode


def sha1(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="xdsctl-provide-")

    def write(name, data):
        return write_file(tmp, name, data)

    with Node(a.xdsd, extra=["registry.patient_ids=feed"],
              what="xdsctl provide/retrieve tests") as node:
        state = node.state
        ctl = Xdsctl(a.xdsctl, node)

        def ctl_rss(*args):
            """Run xdsctl quietly; (exit status, its own peak RSS in KiB)."""
            pid = os.fork()
            if pid == 0:
                fd = os.open(os.devnull, os.O_WRONLY)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.execv(a.xdsctl, ctl.argv + list(args))
            _, status, ru = os.wait4(pid, 0)
            return os.waitstatus_to_exitcode(status), ru.ru_maxrss

        pdf = write("verslag.pdf", b"%PDF-1.4\n" + os.urandom(4000) + b"\n%%EOF\n")
        txt = write("brief.txt", "Geachte collega,\nmet vriendelijke groet\n".encode())
        out_dir = os.path.join(tmp, "out")
        os.mkdir(out_dir)

        rc, out, err = ctl("submit", txt, "--patient", "123456789")
        check("submit refuses a BSN failing the 11-check before sending", rc == 1 and "11-check" in err, out + err)
        rc, out, err = ctl("--json", "submit", txt, "--patient", UNKNOWN_BSN)
        res = json.loads(out) if out.startswith("{") else {}
        check("submit for an unknown patient fails with XDSUnknownPatientId (exit 1)",
              rc == 1 and res.get("status") == "Failure"
              and any(e["code"] == "XDSUnknownPatientId" for e in res.get("errors", [])), out + err)
        if res.get("documents"):
            rc, out, err = ctl("retrieve", res["documents"][0]["uniqueId"], "-o", out_dir)
            check("the refused document was not kept", rc == 1 and "XDSDocumentUniqueIdError" in err
                  and os.listdir(out_dir) == [], out + err)
        rc, out, err = ctl("patient", "add", BSN)
        check("patient add for the submissions", rc == 0, out + err)

        rc, out, err = ctl("--json", "submit", pdf, txt, "--patient", BSN,
                           "--title", "Verslag", "--title", "Brief", "--class", "REPORTS")
        res = json.loads(out) if out.startswith("{") else {}
        docs = res.get("documents", [])
        check("submit of two files: Success, one uniqueId each under affinity.uid_root",
              rc == 0 and res.get("status") == "Success" and len(docs) == 2
              and all(d["uniqueId"].startswith("2.25.") for d in docs)
              and len(set(d["uniqueId"] for d in docs)) == 2
              and res.get("submissionSet", "").startswith("2.25."), out + err)
        check("submit reports the size and the SHA-1 computed while streaming",
              [(d["size"], d["hash"]) for d in docs] ==
              [(os.path.getsize(pdf), sha1(pdf)), (os.path.getsize(txt), sha1(txt))], out)
        check("submit guesses the mime type from the extension",
              [d["mimeType"] for d in docs] == ["application/pdf", "text/plain"], out)
        uids = [d["uniqueId"] for d in docs] or ["none", "none"]
        blobs = []
        for f in (pdf, txt):
            h = hashlib.sha256(open(f, "rb").read()).hexdigest()
            blobs.append(os.path.join(state, "documents", h[:2], h[2:4], h))
        check("the blobs are named by the SHA-256 computed while spooling",
              all(os.path.exists(b) for b in blobs), blobs)

        rc, out, err = ctl("--json", "query", "FindDocuments", "patient=" + BSN)
        found = json.loads(out) if rc == 0 else []
        check("FindDocuments finds both entries",
              sorted(f["uniqueId"] for f in found) == sorted(uids), out + err)

        rc, out, err = ctl("--json", "retrieve", uids[0], uids[1], "-o", out_dir)
        res = json.loads(out) if out.startswith("{") else {}
        files = [d.get("file", "") for d in res.get("documents", [])]
        check("retrieve of both: Success, exit 0, files named uniqueId.ext",
              rc == 0 and res.get("status") == "Success" and res.get("retrieved") == 2
              and sorted(os.path.basename(f) for f in files) ==
              sorted([uids[0] + ".pdf", uids[1] + ".txt"]), out + err)
        check("retrieved files are byte-identical",
              len(files) == 2 and all(os.path.exists(f) for f in files)
              and open(os.path.join(out_dir, uids[0] + ".pdf"), "rb").read() == open(pdf, "rb").read()
              and open(os.path.join(out_dir, uids[1] + ".txt"), "rb").read() == open(txt, "rb").read(),
              files)
        rc, out, err = ctl("retrieve", uids[0], "-o", out_dir)
        check("retrieve never replaces a file: exit 1, \"the file exists\", the file unchanged",
              rc == 1 and "the file exists" in err
              and open(os.path.join(out_dir, uids[0] + ".pdf"), "rb").read() == open(pdf, "rb").read()
              and len(os.listdir(out_dir)) == 2, out + err)
        os.unlink(os.path.join(out_dir, uids[0] + ".pdf"))
        open(os.path.join(out_dir, uids[0] + ".pdf"), "wb").write(b"stale")
        rc, out, err = ctl("retrieve", uids[0], "-o", out_dir, "--force")
        check("retrieve --force replaces it",
              rc == 0 and open(os.path.join(out_dir, uids[0] + ".pdf"), "rb").read() ==
              open(pdf, "rb").read(), out + err)
        os.unlink(os.path.join(out_dir, uids[0] + ".pdf"))
        # two uniqueIds that clean to the same file name get two files
        base = xdsmsg.uid()
        ids = iter([base + "^a/b", base + "^a_b", xdsmsg.uid()])
        orig = xdsmsg.uid
        xdsmsg.uid = lambda: next(ids)
        try:
            st, errs, cuids = xdsmsg.submit(node.port, [b"document one", b"document two"],
                                            pat=xdsmsg.patient(BSN))[:3]
        finally:
            xdsmsg.uid = orig
        check("two documents whose uniqueIds differ only in / and _ are stored", st == "Success",
              (st, errs))
        cdir = os.path.join(tmp, "collide", "new")
        rc, out, err = ctl("--json", "retrieve", cuids[0], cuids[1], "-o", cdir)
        check("retrieve -o makes a directory that is not there, private (0700)",
              os.path.isdir(cdir) and os.stat(cdir).st_mode & 0o777 == 0o700, out + err)
        res = json.loads(out) if out.startswith("{") else {}
        got = {d.get("uniqueId"): d.get("file", "") for d in res.get("documents", [])}
        check("... retrieve writes them to two files, each with its own bytes",
              rc == 0 and len(set(got.values())) == 2 and len(os.listdir(cdir)) == 2
              and open(got.get(cuids[0], "/nonexistent"), "rb").read() == b"document one"
              and open(got.get(cuids[1], "/nonexistent"), "rb").read() == b"document two",
              out + err)
        rc, out, err = ctl("retrieve", uids[0], "1.2.3.4.5.6.7", "-o", out_dir)
        check("retrieve of a known and an unknown uniqueId: PartialSuccess, exit 1",
              rc == 1 and "PartialSuccess: 1 of 2 retrieved" in out
              and "XDSDocumentUniqueIdError" in err, out + err)
        rc, out, err = ctl("retrieve", "1.2.3.4.5.6.7", "-o", out_dir)
        check("retrieve of an unknown uniqueId alone: Failure, exit 1",
              rc == 1 and "Failure: 0 of 1 retrieved" in out, out + err)
        rc, out, err = ctl("retrieve", uids[0], "--repository", "1.2.3.999", "-o", out_dir)
        check("retrieve from a foreign repositoryUniqueId: XDSUnknownRepositoryId, exit 1",
              rc == 1 and "XDSUnknownRepositoryId" in err, out + err)
        check("no spool files are left in the output directory",
              sorted(os.listdir(out_dir)) == sorted([uids[0] + ".pdf", uids[1] + ".txt"]),
              os.listdir(out_dir))

        small = write("small.bin", os.urandom(1024))
        big = write("big.bin", os.urandom(50 * 1024 * 1024))
        rc0, rss0 = ctl_rss("submit", small, "--patient", BSN)
        rc1, rss1 = ctl_rss("submit", big, "--patient", BSN)
        check("a 50 MB submit succeeds with flat xdsctl memory (< 8 MiB over a 1 KiB one)",
              rc0 == 0 and rc1 == 0 and rss1 - rss0 < 8 * 1024, (rc0, rc1, rss0, rss1))
        rc, out, err = ctl("--json", "submit", big, "--patient", BSN, "--mime", "application/dicom")
        res = json.loads(out) if out.startswith("{") else {}
        uid = res["documents"][0]["uniqueId"] if res.get("documents") else "none"
        check("--mime overrides the guess", rc == 0 and res["documents"][0]["mimeType"] == "application/dicom",
              out + err)
        rc2, rss2 = ctl_rss("retrieve", uid, "-o", out_dir)
        got = os.path.join(out_dir, uid + ".dcm")
        check("the 50 MB retrieve has flat memory and identical bytes",
              rc2 == 0 and rss2 - rss0 < 8 * 1024 and os.path.exists(got) and sha1(got) == sha1(big),
              (rc2, rss2, rss0))

        rc, out, err = ctl("submit", "--patient", BSN)
        check("submit --patient without files is a usage error", rc == 2, out + err)
        rc, out, err = ctl("submit", txt, "--patient", BSN, "--class", "a^b")
        check("a malformed code is refused", rc == 1 and "code^display^codingScheme" in err, out + err)
        rc, out, err = ctl("submit", os.path.join(tmp, "missing.pdf"), "--patient", BSN)
        check("a missing file is named", rc == 1 and "missing.pdf" in err, out + err)
        rc, out, err = ctl("retrieve")
        check("retrieve without uniqueIds is a usage error", rc == 2, out + err)
        afile = os.path.join(tmp, "afile")
        open(afile, "w").close()
        rc, out, err = ctl("retrieve", uids[0], "-o", afile)
        check("retrieve -o a file is refused", rc == 1 and "not a directory" in err, out + err)
        rc, out, err = ctl("retrieve", uids[0], "-o", os.path.join(afile, "sub"))
        check("retrieve -o below a file is refused with the reason", rc == 1 and "afile" in err, out + err)
        rc, out, err = ctl("submit", pdf)
        check("submit without --patient still means ITI-42 of an ebRIM file",
              rc == 1 and "XML not well-formed" in err, out + err)
        rc, out, err = ctl("--url", "http://127.0.0.1:1/xds/repository", "submit", txt, "--patient", BSN)
        check("an unreachable repository is a clear error", rc == 1 and "127.0.0.1" in err, out + err)
    shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
