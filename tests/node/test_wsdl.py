#!/usr/bin/env python3
"""The WSDL and the schemas it imports, as SOAP toolkits use them (make check).

Starts xdsd on loopback port 0 and checks:
  * GET <endpoint>?wsdl imports each message namespace with a
    schemaLocation at the endpoint ("/xds/registry?xsd=query"), and every
    one of those answers 200 with a schema whose own imports point at the
    same endpoint, path-absolute (Java's URI resolution drops the last
    path segment of a query-only reference);
  * xmllint compiles the served schemas over HTTP and validates a
    FindDocuments request, a RetrieveDocumentSetRequest and an ITI-86
    RemoveDocumentsRequest with them;
  * python-zeep builds a client from the registry's and the repository's
    WSDL alone (it found no operations when the schemas were imported by
    namespace only) and runs a FindDocuments through it: Success.
    python-zeep is looked for in this interpreter and in Debian's
    /usr/bin/python3 (tools/install-deps --test installs python3-zeep);
    without it those checks are reported as skipped.
Prints one line per check and a final "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import Xdsd, check, command_line, summary, tmpdir  # noqa: E402

SCHEMAS = ("rim", "rs", "lcm", "query", "xdsb", "xdsi", "xml", "rmd")
FIND = ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
        '<query:ResponseOption returnType="ObjectRef" returnComposedObjects="true"/>'
        '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
        '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'
        "'999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO'</rim:Value></rim:ValueList></rim:Slot>"
        '</rim:AdhocQuery></query:AdhocQueryRequest>')
RETRIEVE = ('<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">'
            '<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>1.2.3</xdsb:RepositoryUniqueId>'
            '<xdsb:DocumentUniqueId>1.2.3.4</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
            '</xdsb:RetrieveDocumentSetRequest>')
REMOVE = ('<rmd:RemoveDocumentsRequest xmlns:rmd="urn:ihe:iti:rmd:2017" '
          'xmlns:xdsb="urn:ihe:iti:xds-b:2007">'
          '<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>1.2.3</xdsb:RepositoryUniqueId>'
          '<xdsb:DocumentUniqueId>1.2.3.4</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
          '</rmd:RemoveDocumentsRequest>')

# Run in a zeep-capable interpreter: the operations of the WSDL at argv[1],
# then (with argv[2] == "query") a FindDocuments through the typed client.
ZEEP_CLIENT = r'''
import sys, zeep
c = zeep.Client(sys.argv[1])
ops = set()
for s in c.wsdl.services.values():
    for p in s.ports.values():
        ops |= set(p.binding._operations)
print(" ".join(sorted(ops)))
if sys.argv[2] == "query":
    rim = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
    slot, vl = c.get_type(rim + "SlotType1"), c.get_type(rim + "ValueListType")
    ro = c.get_type("{urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0}ResponseOptionType")
    def sl(name, v):
        return slot(name=name, ValueList=vl(_value_1=[{"Value": v}]))
    r = c.service.RegistryStoredQuery(
        ResponseOption=ro(returnType="ObjectRef", returnComposedObjects=True),
        AdhocQuery=c.get_type(rim + "AdhocQueryType")(
            id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d", Slot=[
                sl("$XDSDocumentEntryPatientId", "'999911120^^^&2.16.840.1.113883.2.4.6.3&ISO'"),
                sl("$XDSDocumentEntryStatus",
                   "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')")]))
    print(r.status)
'''


def zeep_python():
    """An interpreter that has python-zeep, or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import zeep"], capture_output=True).returncode == 0:
            return py
    return None


def schema_checks(node, path):
    st, wsdl = node.get(path + "?wsdl")
    wsdl = wsdl.decode("utf-8", "replace")
    imports = re.findall(r'<xsd:import namespace="([^"]*)"( schemaLocation="([^"]*)")?', wsdl)
    check("%s?wsdl imports every message schema from the endpoint" % path,
          st == 200 and imports and all(loc.startswith(path + "?xsd=") for _, _, loc in imports),
          imports)
    for name in SCHEMAS:
        st, body = node.get("%s?xsd=%s" % (path, name))
        text = body.decode("utf-8", "replace")
        locs = re.findall(r'schemaLocation="([^"]*)"', text)
        check("%s?xsd=%s serves a schema whose imports point at %s" % (path, name, path),
              st == 200 and "schema" in text[:2000]
              and all(l.startswith(path + "?xsd=") for l in locs if not l.startswith("http://www.w3.org")),
              (st, locs))
    st, _ = node.get(path + "?xsd=../../etc/passwd")
    check("%s?xsd= of an unknown name is 404" % path, st == 404, st)


def xmllint_validates(node, path, schema, doc, what):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(doc)
    try:
        p = subprocess.run(["xmllint", "--noout", "--schema",
                            node.url("%s?xsd=%s" % (path, schema)), f.name],
                           capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    check("xmllint validates %s with the schemas served at %s" % (what, path),
          p.returncode == 0, p.stderr[-600:])


def main():
    a = command_line()
    work = tmpdir("wsdl")
    node = Xdsd(a.xdsd, work)
    if not node.start():
        node.dump_log()
        check("xdsd starts", False)
        return summary()
    try:
        for path in ("/xds/registry", "/xds/repository"):
            schema_checks(node, path)
        if shutil.which("xmllint"):
            xmllint_validates(node, "/xds/registry", "query", FIND, "a FindDocuments request")
            xmllint_validates(node, "/xds/repository", "xdsb", RETRIEVE,
                              "a RetrieveDocumentSetRequest")
            xmllint_validates(node, "/xds/repository", "rmd", REMOVE,
                              "a RemoveDocumentsRequest (ITI-86)")
        else:
            print("SKIP: xmllint not installed (tools/install-deps --test)")
        py = zeep_python()
        if py is None:
            print("SKIP: python-zeep not installed (tools/install-deps --test): "
                  "the toolkit checks did not run")
        else:
            p = subprocess.run([py, "-c", ZEEP_CLIENT, node.url("/xds/registry?wsdl"), "query"],
                               capture_output=True, text=True, timeout=120)
            out = p.stdout.split("\n")
            check("python-zeep finds the registry's operations in its WSDL",
                  p.returncode == 0 and out[0].split() ==
                  ["DeleteDocumentSet", "RegisterDocumentSet-b", "RegistryStoredQuery",
                   "UpdateDocumentSet"],
                  p.stdout + p.stderr[-1500:])
            check("... and its typed FindDocuments is answered Success",
                  len(out) > 1 and out[1].endswith("ResponseStatusType:Success"), p.stdout)
            p = subprocess.run([py, "-c", ZEEP_CLIENT, node.url("/xds/repository?wsdl"), "-"],
                               capture_output=True, text=True, timeout=120)
            check("python-zeep finds the repository's operations in its WSDL",
                  p.returncode == 0 and "ProvideAndRegisterDocumentSet-b" in p.stdout
                  and "RetrieveDocumentSet" in p.stdout and "RemoveDocuments" in p.stdout,
                  p.stdout + p.stderr[-1500:])
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
