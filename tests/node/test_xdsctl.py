#!/usr/bin/env python3
"""xdsctl against a live xdsd (make check): submit, query (table and JSON),
validate, delete, update/deprecate/approve (ITI-57), patient add/list in
feed mode, the community directory (and xdsd -n refusing a bad one), exit
codes."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_node import Node, Xdsctl, check, command_line, summary, write_file  # noqa: E402

BSN_OID = "2.16.840.1.113883.2.4.6.3"


def submission(bsn, n, drop_class=False):
    """An ITI-42 SubmitObjectsRequest: one DocumentEntry, its SubmissionSet."""
    pid = "%s^^^&amp;%s&amp;ISO" % (bsn, BSN_OID)
    run = "%d.%d" % (int(time.time()), os.getpid())

    def code(cid, scheme, obj, value, system, name):
        return ('<rim:Classification id="%s" classificationScheme="%s" classifiedObject="%s" '
                'nodeRepresentation="%s"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>%s'
                '</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="%s"/>'
                '</rim:Name></rim:Classification>' % (cid, scheme, obj, value, system, name))

    def slot(name, value):
        return '<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>' % (name, value)

    def eid(i, scheme, obj, value, name):
        return ('<rim:ExternalIdentifier id="%s" registryObject="%s" identificationScheme="%s" value="%s">'
                '<rim:Name><rim:LocalizedString value="%s"/></rim:Name></rim:ExternalIdentifier>' % (i, obj, scheme, value, name))

    classcode = "" if drop_class else code("c1", "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "Doc", "REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports")
    return ('<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
            '<rim:ExtrinsicObject id="Doc" mimeType="application/pdf" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
            + slot("creationTime", "20261123120000") + slot("hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
            + slot("size", "0") + slot("languageCode", "nl-NL") + slot("repositoryUniqueId", "1.3.6.1.4.1.21367.13.70.2")
            + slot("sourcePatientId", pid)
            + '<rim:Name><rim:LocalizedString value="Verslag %d"/></rim:Name>' % n
            + classcode
            + code("c2", "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "Doc", "N", "2.16.840.1.113883.5.25", "normal")
            + code("c3", "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", "Doc", "urn:ihe:rad:PDF", "1.3.6.1.4.1.19376.1.2.3", "PDF")
            + code("c4", "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", "Doc", "22232009", "2.16.840.1.113883.6.96", "Hospital")
            + code("c5", "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", "Doc", "394914008", "2.16.840.1.113883.6.96", "Radiology")
            + code("c6", "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", "Doc", "18748-4", "2.16.840.1.113883.6.1", "Imaging study")
            + eid("e1", "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", "Doc", pid, "XDSDocumentEntry.patientId")
            + eid("e2", "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "Doc", "1.3.6.1.4.1.21367.13.70.9.%s.%d" % (run, n), "XDSDocumentEntry.uniqueId")
            + '</rim:ExtrinsicObject><rim:RegistryPackage id="SS">' + slot("submissionTime", "20261123120000")
            + '<rim:Classification id="c7" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" '
              'classifiedObject="SS" nodeRepresentation="">' + slot("authorInstitution", "Test Hospital^^^^^^^^^1.2.3")
            + '</rim:Classification>'
            + code("c8", "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", "SS", "371530004", "2.16.840.1.113883.6.96", "Radiology report")
            + eid("e3", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", "SS", "1.3.6.1.4.1.21367.13.70.8.%s.%d" % (run, n), "XDSSubmissionSet.uniqueId")
            + eid("e4", "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", "SS", "1.3.6.1.4.1.21367.13.70.7", "XDSSubmissionSet.sourceId")
            + eid("e5", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", "SS", pid, "XDSSubmissionSet.patientId")
            + '</rim:RegistryPackage><rim:Classification id="c9" classifiedObject="SS" '
              'classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
            '<rim:Association id="a1" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" '
            'sourceObject="SS" targetObject="Doc">' + slot("SubmissionSetStatus", "Original")
            + '</rim:Association></rim:RegistryObjectList></lcm:SubmitObjectsRequest>')


def versions(ctl, uid, level="2"):
    """{entryUUID: status} of the document entries with this uniqueId
    ($MetadataLevel 2: every version)."""
    rc, out, err = ctl("--json", "query", "GetDocuments", "XDSDocumentEntryUniqueId=" + uid,
                       "MetadataLevel=" + level)
    return {d["id"]: d["status"].rsplit(":", 1)[-1] for d in json.loads(out)} if rc == 0 else {}


def update_tests(ctl, tmp, text, uid):
    """xdsctl update (a new version of the entry submitted as text, whose
    uniqueId is uid), deprecate and approve (ITI-57)."""
    first = list(versions(ctl, uid))
    orig = first[0] if len(first) == 1 else "none"
    new = (text.replace('id="Doc"', 'id="Doc" lid="%s"' % orig, 1)
           .replace("Verslag 1", "Verslag 1, versie 2")
           .replace("13.70.8.", "13.70.8.2.")
           .replace('<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>',
                    '<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>'
                    '<rim:Slot name="PreviousVersion"><rim:ValueList><rim:Value>1'
                    '</rim:Value></rim:ValueList></rim:Slot>'))
    upd = write_file(tmp, "update.xml", new.encode())
    rc, out, err = ctl("update", upd)
    check("update sends a new version (ITI-57, Success)", rc == 0 and "Success" in out, out + err)
    v = versions(ctl, uid)
    latest = [k for k in v if k != orig]
    check("GetDocuments by uniqueId: the first version Deprecated, the second Approved",
          len(v) == 2 and v.get(orig) == "Deprecated" and latest and v[latest[0]] == "Approved", v)
    latest = latest[0] if latest else "none"
    check("... and the latest alone at MetadataLevel=1, the default",
          versions(ctl, uid, "1") == {latest: "Approved"}, v)
    rc, out, err = ctl("update", upd)
    check("update of a version that is no longer the latest fails with XDSMetadataVersionError",
          rc == 1 and "XDSMetadataVersionError" in err, out + err)
    rc, out, err = ctl("deprecate", latest)
    check("deprecate makes the latest version Deprecated",
          rc == 0 and versions(ctl, uid).get(latest) == "Deprecated", out + err)
    rc, out, err = ctl("approve", latest)
    check("approve makes it Approved again",
          rc == 0 and versions(ctl, uid).get(latest) == "Approved", out + err)
    rc, out, err = ctl("approve", orig)
    check("approve of an older version fails with XDSMetadataVersionError",
          rc == 1 and "XDSMetadataVersionError" in err, out + err)
    rc, out, err = ctl("deprecate", "urn:uuid:00000000-0000-4000-8000-000000000000")
    check("deprecate of an unknown entry says so", rc == 1 and "no such document entry" in err,
          out + err)
    rc, out, err = ctl("audit", "event=ITI-57", "outcome=success")
    check("audit records the updates (ITI-57)", rc == 0 and "(3 records)" in out, out + err)


HCID_A = "urn:oid:2.16.840.1.113883.2.4.3.1"
HCID_B = "urn:oid:2.16.840.1.113883.2.4.3.2"
HCID_OWN = "urn:oid:1.3.6.1.4.1.21367.13.70.1"   # node.home_community_id's default
DIRECTORY = ("# the communities of the region\n"
             "\n"
             + HCID_B + " https://gw.b.example/xca/responding 22222222 timeout=10 "
             "dicom=PACS@pacs.b.example:104 Ziekenhuis B\n"
             + HCID_OWN + " https://gw.own.example/xca/responding - This node\n"
             + HCID_A + " https://gw.a.example/xca/responding - Huisartsen A # no URA\n")


def directory_tests(xdsd, ctl, tmp):
    """xdsctl directory list / lookup on a temporary directory file, and
    xdsd -n on a bad one."""
    good = write_file(tmp, "communities", DIRECTORY.encode())
    bad = write_file(tmp, "bad-communities", (DIRECTORY + HCID_A + " https://x.example/ - Again\n").encode())
    use = ["-C", "directory.file=" + good]
    rc, out, err = ctl(*use, "directory", "list")
    lines = out.splitlines()
    check("directory list: a table of the other communities in the file's order, the own one left out",
          rc == 0 and lines[0].split() == ["HCID", "URA", "URL", "NAME", "SETTINGS"]
          and len(lines) == 4 and lines[1].startswith(HCID_B) and lines[2].startswith(HCID_A)
          and HCID_OWN not in out and "(2 communities)" in lines[3], out + err)
    check("directory list shows URA, URL, name and the settings that are set",
          "22222222" in lines[1] and "https://gw.b.example/xca/responding" in lines[1]
          and "Ziekenhuis B" in lines[1] and "timeout=10" in lines[1]
          and "dicom=PACS@pacs.b.example:104" in lines[1]
          and lines[2].split()[1] == "-" and lines[2].endswith("Huisartsen A"), out + err)
    rc, out, err = ctl(*use, "directory", "lookup", "22222222")
    fields = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    check("directory lookup URA prints every field of the community",
          rc == 0 and fields.get("hcid") == HCID_B and fields.get("name") == "Ziekenhuis B"
          and fields.get("timeout") == "10" and fields.get("dicom") == "PACS@pacs.b.example:104"
          and fields.get("xdr") == "-" and "max_documents" in fields, out + err)
    rc, out, err = ctl(*use, "directory", "lookup", HCID_A)
    check("directory lookup HCID; a setting the line leaves out names the node's option",
          rc == 0 and "Huisartsen A" in out and "(gateway.timeout)" in out, out + err)
    rc, out, err = ctl(*use, "directory", "lookup", "12345678")
    check("directory lookup of an unknown URA: exit 1 and a clear message",
          rc == 1 and out == "" and "no community with URA 12345678" in err, out + err)
    rc, out, err = ctl(*use, "directory", "lookup", HCID_OWN)
    check("directory lookup of the node's own community says why it is not listed",
          rc == 1 and "own community" in err, out + err)
    rc, out, err = ctl(*use, "directory", "lookup", "nonsense")
    check("directory lookup of neither a URA nor an HCID is a usage error", rc == 2, out + err)
    rc, out, err = ctl(*use, "directory")
    check("directory without a subcommand is a usage error", rc == 2, out + err)
    rc, out, err = ctl("-C", "directory.file=" + bad, "directory", "list")
    check("directory list of a bad file names file:line and both lines of a duplicate",
          rc == 1 and bad + ":6:" in err and "line 5" in err, out + err)
    rc, out, err = ctl("-C", "directory.file=", "directory", "list")
    check("directory list without a directory file: no communities",
          rc == 0 and "(0 communities)" in out, out + err)
    p = subprocess.run([xdsd, "-n", "-C", "directory.file=" + bad], capture_output=True, text=True,
                       timeout=60)
    check("xdsd -n refuses a bad directory file naming file:line",
          p.returncode == 1 and bad + ":6:" in p.stderr, p.stderr)
    p = subprocess.run([xdsd, "-n", "-C", "directory.file=" + good], capture_output=True, text=True,
                       timeout=60)
    check("xdsd -n accepts a good directory file", p.returncode == 0, p.stderr)


def main():
    a = command_line(xdsctl=True)
    tmp = tempfile.mkdtemp(prefix="xdsctl-test-")
    with Node(a.xdsd, extra=["registry.patient_ids=feed"], what="xdsctl tests") as node:
        ctl = Xdsctl(a.xdsctl, node, timeout=60)
        rc, out, err = ctl()
        check("xdsctl without a command is a usage error (exit 2)", rc == 2, rc)
        good_text = submission("900203638", 1)
        good = write_file(tmp, "good.xml", good_text.encode())
        bad = write_file(tmp, "bad.xml", submission("900203638", 2, drop_class=True).encode())
        rc, out, err = ctl("validate", good)
        check("validate: a complete submission is valid", rc == 0 and "valid" in out, out + err)
        rc, out, err = ctl("validate", bad)
        check("validate: a missing classCode is reported with its error code",
              rc == 1 and "XDSRegistryMetadataError" in out and "classCode" in out, out + err)

        rc, out, err = ctl("submit", good)
        check("submit in feed mode for an unknown patient fails with XDSUnknownPatientId",
              rc == 1 and "XDSUnknownPatientId" in err, out + err)
        rc, out, err = ctl("patient", "add", "900203638")
        check("patient add takes a BSN", rc == 0 and "900203638^^^&" + BSN_OID in out, out + err)
        rc, out, err = ctl("patient", "add", "900203639")
        check("patient add refuses a BSN that fails the 11-check", rc != 0 and "11-check" in err, out + err)
        rc, out, err = ctl("patient", "list")
        check("patient list shows the patient", rc == 0 and "900203638" in out, out + err)
        rc, out, err = ctl("--json", "patient", "list")
        check("patient list --json is JSON", rc == 0 and json.loads(out)[0]["patient"].startswith("900203638"), out + err)

        rc, out, err = ctl("submit", good)
        check("submit registers the submission (Success)", rc == 0 and "Success" in out, out + err)
        rc, out, err = ctl("submit", good)
        check("submitting the same SubmissionSet again fails with XDSDuplicateUniqueIdInRegistry",
              rc == 1 and "XDSDuplicateUniqueIdInRegistry" in err, out + err)
        rc, out, err = ctl("submit", bad)
        check("submit of an invalid submission fails with XDSRegistryMetadataError",
              rc == 1 and "XDSRegistryMetadataError" in err, out + err)

        rc, out, err = ctl("query", "FindDocuments", "patient=900203638")
        check("query FindDocuments prints the DocumentEntry as a table",
              rc == 0 and "DocumentEntry" in out and "Verslag 1" in out and "(1 object)" in out, out + err)
        lines = out.splitlines()
        row = [l for l in lines if l.startswith("DocumentEntry")]
        check("the query table's columns line up however long the uniqueId",
              rc == 0 and row and lines[0].index("STATUS") == row[0].index("Approved"), out)
        rc, out, err = ctl("--json", "query", "FindDocuments", "patient=900203638")
        docs = json.loads(out) if rc == 0 else []
        check("query --json gives the uniqueId and status",
              len(docs) == 1 and docs[0]["uniqueId"].startswith("1.3.6.1.4.1.21367.13.70.9.")
              and docs[0]["status"].endswith("Approved"), out + err)
        uid = docs[0]["uniqueId"] if docs else "none"
        rc, out, err = ctl("--json", "query", "GetDocuments", "XDSDocumentEntryUniqueId=" + uid)
        check("query GetDocuments by uniqueId", rc == 0 and len(json.loads(out)) == 1, out + err)
        rc, out, err = ctl("query", "FindDocuments", "patient=900203638", "returnType=ObjectRef")
        check("query returnType=ObjectRef prints references", rc == 0 and "ObjectRef" in out, out + err)
        rc, out, err = ctl("--json", "query", "GetAll", "patient=900203638")
        kinds = sorted(o["kind"] for o in json.loads(out)) if rc == 0 else []
        check("query GetAll returns the entry, its SubmissionSet and their association",
              kinds == ["Association", "DocumentEntry", "SubmissionSet"], out + err)
        rc, out, err = ctl("query", "FindDocuments")
        check("query without the patient fails with XDSStoredQueryMissingParam",
              rc == 1 and "XDSStoredQueryMissingParam" in err, out + err)
        rc, out, err = ctl("query", "FindEverything")
        check("an unknown stored query name is a usage error", rc == 2, out + err)
        rc, out, err = ctl("delete", "urn:uuid:00000000-0000-4000-8000-000000000000")
        check("delete of an unknown entryUUID fails with UnresolvedReferenceException",
              rc == 1 and "UnresolvedReferenceException" in err, out + err)
        rc, out, err = ctl("delete", "not-a-uuid")
        check("delete refuses a malformed entryUUID", rc == 1 and "urn:uuid" in err, out + err)
        rc, out, err = ctl("audit", "patient=900203638", "event=ITI-42", "outcome=success")
        check("audit shows who registered for the patient",
              rc == 0 and "(1 record)" in out and "anonymous" in out, out + err)
        check("audit prints the patient id whole",
              "900203638^^^&2.16.840.1.113883.2.4.6.3&ISO " in out, out)
        rc, out, err = ctl("--json", "audit", "patient=900203638")
        recs = json.loads(out) if rc == 0 else []
        events = sorted(set(r["event"] for r in recs))
        check("audit --json lists every access to the patient (ITI-18 and ITI-42, failures too)",
              events == ["ITI-18", "ITI-42"] and any(r["outcome"] == "failure" for r in recs), out[:500] + err)
        rc, out, err = ctl("audit", "since=2999-01-01")
        check("audit since= a future day finds nothing", rc == 0 and "(0 records)" in out, out + err)
        rc, out, err = ctl("audit", "colour=blue")
        check("audit refuses an unknown filter", rc == 2, out + err)
        for base in (node.url(""), node.url("/")):
            rc, out, err = ctl("--url", base, "query", "FindDocuments", "patient=900203638")
            check("--url %s (the node's base URL) reaches its registry" % base,
                  rc == 0 and "(1 object)" in out, out + err)
        rc, out, err = ctl("--url", "http://127.0.0.1:1/xds/registry", "query", "FindDocuments", "patient=900203638")
        check("an unreachable registry is a clear error", rc == 1 and "127.0.0.1" in err, out + err)
        update_tests(ctl, tmp, good_text, uid)
        directory_tests(a.xdsd, ctl, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
