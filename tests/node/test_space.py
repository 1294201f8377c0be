#!/usr/bin/env python3
"""The disk-space guard, node.min_free_space (make check).

A node stores a document and a DICOM instance; restarted with a minimum
no file system has (1 PiB), it refuses new data before storing any and
keeps serving what it holds:
  * ITI-41 is a Failure with XDSRepositoryOutOfResources naming
    node.min_free_space, ITI-42 one with XDSRegistryOutOfResources, and
    neither leaves a trace in the registry or the document store;
  * a C-STORE is refused with Out of Resources (A700) and not recorded;
  * FindDocuments and the retrieve of the stored document are answered;
  * /metrics counts the refusals.
Prints one line per check and a final "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
import xdsmsg  # noqa: E402
from xdstest import Xdsd, check, command_line, summary, tmpdir  # noqa: E402
from dicomtest import bsn_instance, storescu, studies  # noqa: E402

REPOSITORY_ID = "1.3.6.1.4.1.21367.13.71.1"
PIB = str(1 << 50)


def find(port, pat):
    st, _, body = xdsmsg.post(port, "/xds/registry", "application/soap+xml",
                              xdsmsg.envelope("urn:ihe:iti:2007:RegistryStoredQuery",
                                              xdsmsg.find_documents(pat)).encode())
    return st, body.decode("utf-8", "replace")


def main():
    a = command_line(xdsctl=True)
    work = tmpdir("space")
    pat = xdsmsg.patient("999911120")
    node = Xdsd(a.xdsd, work, ["dicom.publish_after=3600"], dicom=True)
    full = None
    try:
        if not check("a node with the default minimum starts", node.start()):
            return summary()
        st, errs, uids = xdsmsg.submit(node.port, [b"kept before the disk filled"], pat=pat)[:3]
        check("it stores a document", st == "Success", errs)
        f0 = bsn_instance(os.path.join(work, "a.dcm"), "1.2.3.77.1.1.0", "1.2.3.77.1",
                          "1.2.3.77.1.1", "L1")
        check("and a DICOM instance", storescu(node.dport, [f0]).returncode == 0)
        node.stop()

        full = Xdsd(a.xdsd, work, ["dicom.publish_after=3600", "node.min_free_space=" + PIB],
                    dicom=True, state=node.state, name="full")
        if not check("restarted with node.min_free_space = 1 PiB, it starts", full.start()):
            return summary()
        files_before = sorted(os.listdir(os.path.join(node.state, "documents")))
        st, errs, _, xml = xdsmsg.submit(full.port, [b"no room for me"], pat=pat)[:4]
        check("ITI-41 is a Failure with XDSRepositoryOutOfResources naming the option",
              st == "Failure" and errs == ["XDSRepositoryOutOfResources"] and
              "node.min_free_space" in xml, (st, errs, xml[-400:]))
        eid = xdsmsg.urn()
        sor = xdsmsg.submission(pat, [(eid, xdsmsg.doc_entry(
            eid, xdsmsg.uid(), pat, hash_="da39a3ee5e6b4b0d3255bfef95601890afd80709", size=0))])
        st, _, body = xdsmsg.post(full.port, "/xds/registry", "application/soap+xml",
                                  xdsmsg.envelope("urn:ihe:iti:2007:RegisterDocumentSet-b",
                                                  sor).encode())
        text = body.decode("utf-8", "replace")
        check("ITI-42 is a Failure with XDSRegistryOutOfResources",
              "ResponseStatusType:Failure" in text and "XDSRegistryOutOfResources" in text,
              text[:400])
        st, text = find(full.port, pat)
        check("nothing of either was registered", text.count("<rim:ExtrinsicObject") == 1, text[:300])
        check("nor stored", sorted(os.listdir(os.path.join(node.state, "documents"))) == files_before)
        f1 = bsn_instance(os.path.join(work, "b.dcm"), "1.2.3.77.2.1.0", "1.2.3.77.2",
                          "1.2.3.77.2.1", "L1")
        r = storescu(full.dport, [f1], extra=("-v",))
        check("a C-STORE is refused with Out of Resources (A700)",
              re.search(r"Refused: ?Out ?of ?Resources", r.stderr + r.stdout, re.I),
              (r.returncode, r.stderr[-600:], r.stdout[-300:]))
        check("... and not recorded", "1.2.3.77.2" not in studies(a.xdsctl, node.state))
        check("FindDocuments is answered", "ResponseStatusType:Success" in text)
        st, errs, got = xdsmsg.retrieve(full.port, [(REPOSITORY_ID, uids[0], None)])[:3]
        check("the stored document is retrieved",
              st == "Success" and got.get(uids[0], (None, None))[1] == b"kept before the disk filled",
              (st, errs))
        st, metrics = full.get("/metrics")
        m = re.search(rb"xds_space_refusals_total (\d+)", metrics)
        check("/metrics counts the refusals", m and int(m.group(1)) >= 3, metrics[-300:])
    finally:
        node.stop()
        if full is not None:
            full.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
