#!/usr/bin/env python3
"""ITI-86 Remove Documents on a live node (make check).

Two documents are submitted (ITI-41).  Removing one while the registry
still holds its DocumentEntry is refused (XDSRemoveDocumentsError); after
ITI-62 removed its metadata, `xdsctl remove-documents` removes it:
Success, its stored file is gone, ITI-43 answers XDSDocumentUniqueIdError
for it and still delivers the other.  Unknown uniqueIds and another
repository's id get XDSDocumentUniqueIdError and XDSUnknownRepositoryId,
a mix PartialSuccess.  Each request is one ITI-86 audit record, `xdsctl db
check` stays clean, and a restart keeps the document removed.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import xdsmsg as m  # noqa: E402
from test_integrity import blob_path, db_check  # noqa: E402
from test_repository import REPO_ID, Node, Run  # noqa: E402
from xdstest import check, command_line  # noqa: E402

ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ACT_ITI62 = "urn:ihe:iti:2010:DeleteDocumentSet"
ACT_ITI86 = "urn:ihe:iti:2017:RemoveDocuments"
SOAP12 = "application/soap+xml; charset=UTF-8"
GET_DOCS_AND_ASSOCS = "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a"


def soap(port, path, action, body):
    st, ct, rb = m.post(port, path, SOAP12 + '; action="%s"' % action,
                        m.envelope(action, body).encode())
    return st, rb.decode("utf-8", "replace")


def metadata_refs(port, duid):
    """entryUUIDs of the DocumentEntry duid and its associations."""
    q = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
         'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
         '<query:ResponseOption returnType="ObjectRef" returnComposedObjects="false"/>'
         '<rim:AdhocQuery id="%s"><rim:Slot name="$XDSDocumentEntryUniqueId"><rim:ValueList>'
         "<rim:Value>('%s')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery>"
         '</query:AdhocQueryRequest>' % (GET_DOCS_AND_ASSOCS, duid))
    _, xml = soap(port, "/xds/registry", ACT_ITI18, q)
    return re.findall(r'<rim:ObjectRef[^>]* id="([^"]+)"', xml)


def iti62(port, ids):
    body = ('<lcm:RemoveObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:ObjectRefList>%s'
            '</rim:ObjectRefList></lcm:RemoveObjectsRequest>'
            % "".join('<rim:ObjectRef id="%s"/>' % i for i in ids))
    _, xml = soap(port, "/xds/registry", ACT_ITI62, body)
    return m.status_of(xml), m.errors_of(xml)


def iti86(port, reqs):
    """reqs: [(repositoryUniqueId, documentUniqueId)]: (status, errors, xml)."""
    body = ('<rmd:RemoveDocumentsRequest xmlns:rmd="urn:ihe:iti:rmd:2017" '
            'xmlns:xdsb="urn:ihe:iti:xds-b:2007">%s</rmd:RemoveDocumentsRequest>'
            % "".join('<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
                      '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
                      % r for r in reqs))
    st, xml = soap(port, "/xds/repository", ACT_ITI86, body)
    return m.status_of(xml), m.errors_of(xml), xml


def ctl(xdsctl, node, *args):
    p = subprocess.run([xdsctl, "-C", "node.state_dir=" + node.state, "-C",
                        "repository.unique_id=" + REPO_ID, "--url", node.url("/xds/registry")]
                       + list(args), capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    a = command_line(xdsctl=True)
    with Run(a.xdsd, "remove") as run:
        n, state = run.node, run.state
        pat = m.patient()
        docs = [os.urandom(5000), os.urandom(6000)]
        st, errs, uids, _, _ = m.submit(n.port, docs, pat=pat)
        check("two documents stored", st == "Success", (st, errs))
        gone, kept = uids

        rc, out, err = ctl(a.xdsctl, n, "remove-documents", gone)
        check("remove-documents while the registry holds the entry: refused, exit 1",
              rc == 1 and "XDSRemoveDocumentsError" in err and "ITI-62" in err, (rc, out, err))
        check("... and its file is still there", os.path.exists(blob_path(state, docs[0])))

        refs = metadata_refs(n.port, gone)
        check("the entry and its association found", len(refs) == 2, refs)
        rs, rerrs = iti62(n.port, refs)
        check("ITI-62 removes the metadata", rs == "Success", (rs, rerrs))

        before = len([r for r in n.audit() if r["event"] == "ITI-86"])
        rc, out, err = ctl(a.xdsctl, n, "remove-documents", gone)
        check("xdsctl remove-documents after ITI-62: Success, exit 0",
              rc == 0 and "Success" in out, (rc, out, err))
        check("its stored file is gone", not os.path.exists(blob_path(state, docs[0])))
        check("the other document's file stays", os.path.exists(blob_path(state, docs[1])))
        recs = [r for r in n.audit() if r["event"] == "ITI-86"]
        check("one ITI-86 audit record for it, success, the document its object",
              len(recs) == before + 1 and recs[-1]["outcome"] == "success" and
              recs[-1]["object"] == gone, recs[-1:])

        rs, rerrs, got, _, _ = m.retrieve(n.port, [(REPO_ID, gone, None), (REPO_ID, kept, None)])
        check("ITI-43 of the removed one: XDSDocumentUniqueIdError; the other delivered",
              rs == "PartialSuccess" and rerrs == ["XDSDocumentUniqueIdError"] and
              got.get(kept, (0, None))[1] == docs[1], (rs, rerrs))

        rs, rerrs, xml = iti86(n.port, [(REPO_ID, gone), (REPO_ID, "1.2.3.4.999"), ("1.2.3.4.5", kept)])
        check("ITI-86 of unknown ids and another repository: Failure with each error",
              rs == "Failure" and rerrs == ["XDSDocumentUniqueIdError", "XDSDocumentUniqueIdError",
                                            "XDSUnknownRepositoryId"], (rs, rerrs))
        check("... located at the uniqueIds", 'location="1.2.3.4.999"' in xml, xml)
        rc, out, err = ctl(a.xdsctl, n, "--json", "remove-documents", "1.2.3.4.998")
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        check("remove-documents --json: the status and the errors as JSON, exit 1",
              rc == 1 and j.get("status") == "Failure" and
              [e["code"] for e in j.get("errors", [])] == ["XDSDocumentUniqueIdError"], (rc, out, err))
        rs, rerrs, xml = iti86(n.port, [])
        check("ITI-86 without a DocumentRequest: Failure", rs == "Failure" and
              rerrs == ["XDSRepositoryMetadataError"], (rs, rerrs))
        recs = [r for r in n.audit() if r["event"] == "ITI-86"]
        check("every ITI-86 request one audit record; failures recorded as such",
              len(recs) == before + 4 and recs[-3]["outcome"] != "success" and
              "XDSUnknownRepositoryId" in recs[-3]["errors"], recs[-3:])

        rc, out, err = db_check(a.xdsctl, state)
        check("xdsctl db check stays clean after the removal", rc == 0 and "0 damaged" in out,
              (rc, out, err))
        rc, out, err = db_check(a.xdsctl, state, "--json")
        check("db check --json counts one document", rc == 0 and '"documents":1' in out, (rc, out))

        n.stop()
        n = run.node = Node(a.xdsd, state)
        rs, rerrs, got, _, _ = m.retrieve(n.port, [(REPO_ID, gone, None)])
        check("after a restart the document stays removed",
              rs == "Failure" and rerrs == ["XDSDocumentUniqueIdError"], (rs, rerrs))
        log = n.log()
        check("no patient id in the log", pat.split("^")[0] not in log)
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
