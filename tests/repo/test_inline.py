#!/usr/bin/env python3
"""ITI-41 with inline base64 documents inside an MTOM package.

Starts xdsd (registry and repository in one node) and checks that inline
base64 documents stream from the socket to the store:
  - 40 MiB inline (over the 16 MiB soap.max_envelope): Success, ITI-43
    gives identical bytes, the registry's hash slot is its SHA-1;
  - 200 MiB inline with CRLF-wrapped base64: Success while xdsd's VmHWM
    grows by at most 32 MiB (read from /proc/PID/status);
    XDS_INLINE_BIG_MB=1024 (or --big-mb) for the 1 GiB run;
  - invalid base64: Failure with XDSRepositoryMetadataError (the answer
    the repository always gave);
  - an inline document over repository.max_document_size: 413 SOAP fault;
  - the envelope limit still applies to the rest of the envelope: 413.
The request bodies are streamed, never built in memory.
One line per case, then a total.
"""
import argparse
import base64
import hashlib
import http.client
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_repository import Node, REPO_ID, Run, check, command_line  # noqa: E402
import xdsmsg as m  # noqa: E402  (test_repository put tests/lib on sys.path)

MIB = 1024 * 1024
CHUNK = 57 * 18396          # whole base64 lines, a multiple of 3
HOLE = "@@INLINE-DOCUMENT@@"


class Doc:
    """size pseudo-random bytes from seed, base64 in CHUNK pieces."""

    def __init__(self, size, seed, wrap=None):
        self.size, self.seed, self.wrap = size, seed, wrap

    def raw(self):
        r = random.Random(self.seed)
        left = self.size
        while left > 0:
            n = min(CHUNK, left)
            yield r.randbytes(n)
            left -= n

    def b64(self):
        for piece in self.raw():
            if self.wrap is None:
                yield base64.b64encode(piece)
            else:
                yield base64.encodebytes(piece).replace(b"\n", self.wrap)

    def b64_len(self):
        full, r = divmod(self.size, CHUNK)
        n = full * self._enc_len(CHUNK)
        return n + (self._enc_len(r) if r else 0)

    def _enc_len(self, n):
        plain = 4 * ((n + 2) // 3)
        if self.wrap is None:
            return plain
        return plain + len(self.wrap) * ((n + 56) // 57)

    def sha1(self):
        h = hashlib.sha1()
        for piece in self.raw():
            h.update(piece)
        return h.hexdigest()


def submit_streamed(port, doc, pat=None, extra_xml=""):
    """ITI-41 with one inline document, streamed.  (status, errors, uid, xml, http status)"""
    pat = pat or m.patient()
    eid, duid = m.urn(), m.uid()
    sor = m.submission(pat, [(eid, m.doc_entry(eid, duid, pat))])
    body_xml = ('<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">%s%s'
                '<xdsb:Document id="%s">%s</xdsb:Document></xdsb:ProvideAndRegisterDocumentSetRequest>'
                % (sor, extra_xml, eid, HOLE))
    ct, body = m.mtom(m.ACT_ITI41, body_xml, [])
    head, tail = body.split(HOLE.encode())
    length = len(head) + doc.b64_len() + len(tail)

    def gen():
        yield head
        yield from doc.b64()
        yield tail

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        c.putrequest("POST", "/xds/repository")
        c.putheader("Content-Type", ct)
        c.putheader("Content-Length", str(length))
        c.endheaders()
        try:
            for piece in gen():
                c.send(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass                # the server answered early (413)
        r = c.getresponse()
        st, rct, rb = r.status, r.getheader("Content-Type") or "", r.read()
    finally:
        c.close()
    xml, _ = m.split_mtom(rct, rb)
    return m.status_of(xml), m.errors_of(xml), duid, xml, st


def registry_hash(port, duid):
    body = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>'
            '<rim:AdhocQuery id="urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4">'
            '<rim:Slot name="$XDSDocumentEntryUniqueId"><rim:ValueList><rim:Value>(\'%s\')</rim:Value>'
            '</rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>' % duid)
    st, _, rb = m.post(port, "/xds/registry", "application/soap+xml; charset=UTF-8",
                       m.envelope("urn:ihe:iti:2007:RegistryStoredQuery", body).encode())
    x = rb.decode("utf-8", "replace")
    h = re.search(r'name="hash"\s*>\s*<(?:\w+:)?ValueList>\s*<(?:\w+:)?Value>([0-9a-fA-F]{40})<', x)
    return h.group(1).lower() if h else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mb", type=int, default=int(os.environ.get("XDS_INLINE_BIG_MB", "200")))
    a = command_line(ap)
    with Run(a.xdsd, "inline", ["repository.max_document_size=%dm" % max(512, a.big_mb + 64),
                                "soap.max_envelope=16m"]) as run:
        n = run.node
        p = n.port
        # warm up (threads, registry, store) before the idle VmHWM
        st, errs, _, _, _ = m.submit(p, [b"warm-up"], inline=True)
        check("small inline document", st == "Success", (st, errs))
        idle = n.vm_hwm_kb()

        doc = Doc(40 * MIB, 41)
        st, errs, duid, xml, hs = submit_streamed(p, doc)
        check("ITI-41 40 MiB inline base64 (over soap.max_envelope) -> Success",
              hs == 200 and st == "Success", (hs, st, errs, xml[:300]))
        rs, rerrs, got, _, _ = m.retrieve(p, [(REPO_ID, duid, None)])
        data = got.get(duid, (None, None))[1]
        want = b"".join(doc.raw())
        check("ITI-43 gives the 40 MiB byte-identical", rs == "Success" and data == want,
              (rs, rerrs, len(data or b"")))
        del data, want
        sha1 = doc.sha1()
        got_hash = registry_hash(p, duid)
        check("registry hash slot = SHA-1 of the document", got_hash == sha1, (got_hash, sha1))

        big = Doc(a.big_mb * MIB, 200, wrap=b"\r\n")
        st, errs, duid, xml, hs = submit_streamed(p, big)
        peak = n.vm_hwm_kb()
        check("ITI-41 %d MiB inline base64 (CRLF lines) -> Success" % a.big_mb,
              hs == 200 and st == "Success", (hs, st, errs, xml[:300]))
        check("VmHWM growth %.1f MiB <= 32 MiB (idle %.1f MiB)" % ((peak - idle) / 1024.0, idle / 1024.0),
              peak - idle <= 32 * 1024, (idle, peak))
        got_hash = registry_hash(p, duid)
        check("registry hash of the %d MiB document" % a.big_mb, got_hash == big.sha1(), got_hash)

        # invalid base64: the repository's answer as before
        pat = m.patient()
        eid, duid = m.urn(), m.uid()
        sor = m.submission(pat, [(eid, m.doc_entry(eid, duid, pat))])
        body = m.pnr_body(sor, [(eid, None, b"x")]).replace(">eA==<", ">eA!=<")
        ct, b = m.mtom(m.ACT_ITI41, body, [])
        hs, rct, rb = m.post(p, "/xds/repository", ct, b)
        xml, _ = m.split_mtom(rct, rb)
        check("invalid base64 -> Failure XDSRepositoryMetadataError",
              hs == 200 and m.status_of(xml) == "Failure" and m.errors_of(xml) == ["XDSRepositoryMetadataError"],
              (hs, xml[:400]))
        rs, rerrs, _, _, _ = m.retrieve(p, [(REPO_ID, duid, None)])
        check("invalid base64 leaves no document", rs == "Failure", (rs, rerrs))

        n.close()

        # limits, on a node with small ones
        n = run.node = Node(a.xdsd, os.path.join(run.tmp, "state2"),
                 ["repository.max_document_size=2m", "soap.max_envelope=64k"])
        p = n.port
        st, errs, _, xml, hs = submit_streamed(p, Doc(3 * MIB, 7))
        check("inline document over repository.max_document_size -> 413 SOAP fault",
              st is None and hs == 413 and "Fault" in xml and "inline document" in xml, (hs, xml[:300]))
        # 1 MiB inline passes a 64 KiB envelope limit; 100 KiB of comments do not
        st, errs, _, xml, hs = submit_streamed(p, Doc(MIB, 8))
        check("1 MiB inline under a 64 KiB soap.max_envelope -> Success", st == "Success", (hs, st, errs))
        filler = "<!-- %s -->" % ("x" * 1000)
        st, errs, _, xml, hs = submit_streamed(p, Doc(1000, 3), extra_xml=filler * 100)
        check("envelope (inline documents not counted) over soap.max_envelope -> 413",
              hs == 413 and "SOAP envelope larger than" in xml, (hs, xml[:300]))
        st, errs, _, _, _ = m.submit(p, [b"after the faults"], inline=True)
        check("still serving after the faults", st == "Success", (st, errs))
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
