#!/usr/bin/env python3
"""Document Repository over HTTP with real MTOM (make check).

Starts xdsd (registry and repository in one node) on a free loopback port
and checks ITI-41/ITI-43 end to end: byte-identical round trip (XOP and
inline base64), dedup of identical bytes, hash/size mismatch, P1 errors,
duplicate uniqueId, registry failure leaving nothing behind, partial
retrieve, unknown repository id, HomeCommunityId and mimeType echo, RAD-68
(application/dicom), max_document_size.  One line per case, then a total.
"""
import hashlib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg as m  # noqa: E402
from xdstest import RESULTS, Xdsd, check, command_line, summary  # noqa: E402, F401  (for the importers)

REPO_ID = "1.3.6.1.4.1.21367.13.71.1"


class Node(Xdsd):
    """xdsd (registry and repository) with state_dir state, on port 0, or
    on port (a reservation: a node that must come back where it was);
    started.  Its log is xdsd-<state's name>.log beside state."""

    def __init__(self, xdsd, state, extra=(), port=0):
        super().__init__(xdsd, os.path.dirname(state), extra, port=port, state=state,
                         logname="xdsd-%s.log" % os.path.basename(state))
        if not self.start():
            self.dump()
            self.stop()
            raise RuntimeError("xdsd did not become ready")

    def dump(self):
        self.dump_log(4000)

    def close(self, ok=True):
        """Stop it: a check that it stops cleanly; its log after a failed
        check, or when the run was cut short (not ok)."""
        rc = self.stop()
        check("xdsd stops cleanly", rc == 0, rc)
        if not ok or not all(r for _, r in RESULTS):
            self.dump()


def finish(tmp, ok=True):
    """The exit status: summary()'s, and 1 when the run was cut short (not
    ok); the work directory tmp removed after a pass, else kept."""
    rc = summary() or (0 if ok else 1)
    if rc == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("work directory kept: %s" % tmp)
    return rc


class Run:
    """A test of one node: xdsd started on the state/ of a new temporary
    directory (its prefix named after name) with the -C settings conf.
    Used with "with", it closes the node at the end (node: the test
    replaces it when it restarts one), with a check that it stops
    cleanly; rc is then the exit status (finish()), a failure too when the
    block raised."""

    def __init__(self, xdsd, name, conf=()):
        self.tmp = tempfile.mkdtemp(prefix="xdsnode-%s-" % name)
        self.state = os.path.join(self.tmp, "state")
        self.node = Node(xdsd, self.state, conf)
        self.rc = 1

    def __enter__(self):
        return self

    def __exit__(self, etype, value, tb):
        self.node.close(etype is None)
        self.rc = finish(self.tmp, etype is None)
        return False


def blobs(state):
    out = []
    for root, _, files in os.walk(os.path.join(state, "documents")):
        if os.path.basename(root) != "tmp" and root != os.path.join(state, "documents"):
            out += files
    return sorted(out)


def main():
    a = command_line()
    with Run(a.xdsd, "repo", ["repository.max_document_size=2m"]) as run:
        n, state = run.node, run.state
        p = n.port
        docs = [os.urandom(300000), b"hello world\r\n\x00\xff", b""]
        st, errs, uids, xml, hs = m.submit(p, docs)
        check("ITI-41 XOP, three documents (one empty)", st == "Success" and hs == 200, (st, errs, hs))
        rs, rerrs, got, rxml, rh = m.retrieve(p, [(REPO_ID, u, None) for u in uids])
        check("ITI-43 three documents, byte-identical",
              rs == "Success" and all(got.get(u, (0, None))[1] == d for u, d in zip(uids, docs)),
              (rs, rerrs, [len(v[1] or b"") for v in got.values()]))
        check("ITI-43 mimeType echoed", all(v[0] == "text/plain" for v in got.values()))

        st, errs, uids2, _, _ = m.submit(p, [b"inline document \xe2\x82\xac"], inline=True)
        rs, _, got, hxml, _ = m.retrieve(p, [(REPO_ID, uids2[0], "urn:oid:1.2.3.4")])
        check("inline base64 in MTOM round trip",
              st == "Success" and got.get(uids2[0], (0, None))[1] == b"inline document \xe2\x82\xac", (st, errs))
        check("HomeCommunityId echoed", "<xdsb:HomeCommunityId>urn:oid:1.2.3.4</xdsb:HomeCommunityId>" in hxml)

        before = blobs(state)
        st, _, _, _, _ = m.submit(p, [docs[1]])
        check("same bytes stored once", st == "Success" and blobs(state) == before, (st, len(before)))

        st, errs, _, _, _ = m.submit(p, [b"abc"], hashes={0: m.sha1(b"abc").upper()}, sizes={0: 3})
        check("supplied hash (upper case) and size accepted", st == "Success", errs)
        st, errs, _, _, _ = m.submit(p, [b"abc"], hashes={0: "0" * 40})
        check("hash mismatch -> XDSRepositoryMetadataError", st == "Failure" and errs == ["XDSRepositoryMetadataError"], (st, errs))
        st, errs, _, _, _ = m.submit(p, [b"abc"], sizes={0: 4})
        check("size mismatch -> XDSRepositoryMetadataError", st == "Failure" and errs == ["XDSRepositoryMetadataError"], (st, errs))

        # P1: metadata without its document; a document without metadata
        pat = m.patient()
        e1, e2 = m.urn(), m.urn()
        sor = m.submission(pat, [(e1, m.doc_entry(e1, m.uid(), pat)), (e2, m.doc_entry(e2, m.uid(), pat))])
        ct, body = m.mtom(m.ACT_ITI41, m.pnr_body(sor, [(e1, "a@x", None)]), [("a@x", b"a")])
        hs, rct, rb = m.post(p, "/xds/repository", ct, body)
        xml, _ = m.split_mtom(rct, rb)
        check("missing document -> XDSMissingDocument", m.status_of(xml) == "Failure" and "XDSMissingDocument" in m.errors_of(xml),
              m.errors_of(xml))
        sor = m.submission(pat, [(e1, m.doc_entry(e1, m.uid(), pat))])
        ct, body = m.mtom(m.ACT_ITI41, m.pnr_body(sor, [(e1, "a@x", None), ("urn:uuid:other", "b@x", None)]),
                          [("a@x", b"a"), ("b@x", b"b")])
        hs, rct, rb = m.post(p, "/xds/repository", ct, body)
        xml, _ = m.split_mtom(rct, rb)
        check("missing metadata -> XDSMissingDocumentMetadata",
              m.status_of(xml) == "Failure" and m.errors_of(xml) == ["XDSMissingDocumentMetadata"], m.errors_of(xml))
        du = m.uid()
        sor = m.submission(pat, [(e1, m.doc_entry(e1, du, pat)), (e2, m.doc_entry(e2, du, pat))])
        ct, body = m.mtom(m.ACT_ITI41, m.pnr_body(sor, [(e1, "a@x", None), (e2, "b@x", None)]), [("a@x", b"a"), ("b@x", b"b")])
        hs, rct, rb = m.post(p, "/xds/repository", ct, body)
        xml, _ = m.split_mtom(rct, rb)
        check("duplicate uniqueId -> XDSRepositoryDuplicateUniqueIdInMessage",
              m.status_of(xml) == "Failure" and m.errors_of(xml) == ["XDSRepositoryDuplicateUniqueIdInMessage"],
              m.errors_of(xml))

        # registry failure: a patient that is not a BSN
        before = blobs(state)
        unique = os.urandom(1000)
        st, errs, uids3, _, _ = m.submit(p, [unique], pat="12345^^^&1.2.3.4.5&ISO")
        check("registry failure passed through (XDSUnknownPatientId)", st == "Failure" and "XDSUnknownPatientId" in errs,
              (st, errs))
        check("registry failure leaves no bytes behind", blobs(state) == before)
        rs, rerrs, _, _, _ = m.retrieve(p, [(REPO_ID, uids3[0], None)])
        check("registry failure leaves no row behind", rs == "Failure" and rerrs == ["XDSDocumentUniqueIdError"], (rs, rerrs))

        rs, rerrs, got, _, _ = m.retrieve(p, [(REPO_ID, uids[0], None), (REPO_ID, "1.2.3.4.5.999", None),
                                              ("9.8.7", uids[1], None)])
        check("partial retrieve -> PartialSuccess", rs == "PartialSuccess" and
              sorted(rerrs) == ["XDSDocumentUniqueIdError", "XDSUnknownRepositoryId"] and
              got.get(uids[0], (0, None))[1] == docs[0], (rs, rerrs))
        rs, rerrs, _, _, _ = m.retrieve(p, [("9.8.7", uids[0], None)])
        check("unknown repository -> Failure XDSUnknownRepositoryId", rs == "Failure" and rerrs == ["XDSUnknownRepositoryId"],
              (rs, rerrs))

        # a registered document whose stored bytes are gone: the
        # repository's failure (XDSRepositoryError), not an unknown id
        lost = os.urandom(777)
        st, errs, lost_uids, _, _ = m.submit(p, [lost])
        h = hashlib.sha256(lost).hexdigest()
        blob = os.path.join(state, "documents", h[:2], h[2:4], h)
        check("a document to lose is stored", st == "Success" and os.path.exists(blob), (st, errs, blob))
        os.unlink(blob)
        rs, rerrs, _, rxml, _ = m.retrieve(p, [(REPO_ID, lost_uids[0], None)])
        check("its bytes deleted on disk: Failure, XDSRepositoryError (not XDSDocumentUniqueIdError)",
              rs == "Failure" and rerrs == ["XDSRepositoryError"], (rs, rerrs, rxml[-400:]))

        kos = b"\x00" * 128 + b"DICM" + os.urandom(2000)
        st, errs, uk, _, _ = m.submit(p, [kos], mimes={0: "application/dicom"})
        rs, _, got, _, _ = m.retrieve(p, [(REPO_ID, uk[0], None)])
        check("RAD-68 KOS (application/dicom) round trip",
              st == "Success" and got.get(uk[0]) == ("application/dicom", kos), (st, errs))

        big = os.urandom(2 * 1024 * 1024 + 1)
        st, errs, _, xml, hs = m.submit(p, [big])
        check("over repository.max_document_size -> 413 SOAP fault", st is None and hs == 413 and "Fault" in xml, (hs, xml[:200]))

        st, errs, _, xml, hs = m.submit(p, [big], inline=True)
        check("inline base64 over repository.max_document_size -> 413 SOAP fault",
              st is None and hs == 413 and "Fault" in xml, (hs, xml[:200]))

        # simple SOAP to an MTOM-only route is a clear fault
        hs, _, rb = m.post(p, "/xds/repository", 'application/soap+xml; charset=UTF-8',
                           m.envelope(m.ACT_ITI43, m.retrieve_body([(REPO_ID, uids[0], None)])).encode())
        check("ITI-43 over simple SOAP -> 400 fault", hs == 400 and b"MTOM" in rb, hs)

        # restart on the same state: everything still there
        n.stop()
        n = run.node = Node(a.xdsd, state)
        rs, _, got, _, _ = m.retrieve(n.port, [(REPO_ID, u, None) for u in uids])
        check("after restart: documents retrievable", rs == "Success" and
              all(got.get(u, (0, None))[1] == d for u, d in zip(uids, docs)), rs)
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
