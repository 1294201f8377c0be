#!/usr/bin/env python3
"""Replay the NIST raw HTTP/MTOM captures of ITI-41 (PnrXop, PnrNoXop)
against a running repository: patient ids become a fresh BSN, uniqueIds
fresh OIDs, then the status is compared with the test plan.  A first step
towards tests/nist covering the repository plans; usage:
    nist_raw.py --port PORT --testdata DIR
"""
import argparse
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xdsmsg as m  # noqa: E402

PID_SCHEMES = ("urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446")
UID_SCHEMES = ("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8")


def rewrite(body, pat):
    def eid(mo):
        tag = mo.group(0)
        scheme = re.search(rb'identificationScheme="([^"]+)"', tag)
        if not scheme:
            return tag
        s = scheme.group(1).decode()
        if s in PID_SCHEMES:
            return re.sub(rb'value="[^"]*"', b'value="' + m.esc(pat).encode() + b'"', tag)
        if s in UID_SCHEMES:
            return re.sub(rb'value="[^"]*"', b'value="' + m.uid().encode() + b'"', tag)
        return tag
    return re.sub(rb"<(?:rim:)?ExternalIdentifier\b[^>]*>", eid, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--testdata", required=True)
    a = ap.parse_args()
    root = os.path.join(a.testdata, "iti41-provide-register", "nist-testkit")
    fails = 0
    for plan in sorted(glob.glob(os.path.join(root, "Pnr*", "*", "testplan.xml"))):
        d = os.path.dirname(plan)
        if not os.path.exists(os.path.join(d, "body.txt")):
            continue
        tp = open(plan, encoding="utf-8").read()
        ct = re.search(r"Content-Type:\s*(.+)", tp).group(1).strip()
        want = re.search(r"<ExpectedStatus>(\w+)<", tp).group(1)
        body = open(os.path.join(d, "body.txt"), "rb").read()
        if b"\r\n" not in body:
            body = body.replace(b"\n", b"\r\n")
        body = rewrite(body, m.patient())
        hs, rct, rb = m.post(a.port, "/xds/repository", ct, body)
        xml, _ = m.split_mtom(rct, rb)
        got = m.status_of(xml)
        ok = got == want
        fails += not ok
        print("%s: %s (HTTP %d, %s, %s)" % ("PASS" if ok else "FAIL", os.path.relpath(d, root), hs, got,
                                             m.errors_of(xml) or re.findall(r"<[^>]*Text[^>]*>([^<]*)<", xml)[:1]))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
