#!/usr/bin/env python3
"""What a live xdsd does with hostile XML input (make check).

Starts xdsd on loopback port 0 with a temporary state directory and checks:
  * an envelope with 100,000 attributes on one element (1.1 MB), as simple
    SOAP to the registry and as the streamed MTOM root part of an ITI-41
    to the repository, is answered with a Sender fault and 413 naming the
    bound, at a cost of well under a second of the node's CPU (libxml2's
    duplicate-attribute check took 17 s of it), while the node keeps
    serving;
  * envelopes declared UTF-7, or with a charset that disagrees with their
    bytes, get a Sender fault that says so; a UTF-16 one is served;
  * a FindDocuments with 998 $XDSDocumentEntryAuthorPerson values is a
    Failure with XDSRegistryError naming the bound, not a 500 with
    SQLite's words.
The CPU time is read from /proc/PID/stat: the work done, which a loaded
machine does not change, unlike the wall clock.
Prints one line per case and a final "N passed, M failed".
"""
import os
import shutil
import sys
import threading
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xdstest import (DEADLINE, Xdsd, check, command_line, soap_envelope, summary,  # noqa: E402
                     tmpdir)

ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ITI41 = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ITI42 = "urn:ihe:iti:2007:RegisterDocumentSet-b"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
PATIENT = "'999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO'"


def find(extra=""):
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="ObjectRef" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
            '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'
            + PATIENT + '</rim:Value></rim:ValueList></rim:Slot>'
            '<rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>'
            "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList>"
            '</rim:Slot>' + extra + '</rim:AdhocQuery></query:AdhocQueryRequest>')


def many_attrs(n):
    return " ".join('attr%d=""' % i for i in range(n))


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mtom(root):
    """An MTOM ITI-41 request whose root part is root (bytes): (body, ctype)."""
    b = "MIMEBoundary_" + uuid.uuid4().hex
    body = ("--%s\r\nContent-Type: application/xop+xml; charset=UTF-8; "
            'type="application/soap+xml"\r\nContent-ID: <root@test>\r\n\r\n' % b).encode()
    body += root + ("\r\n--%s--\r\n" % b).encode()
    ctype = ('multipart/related; type="application/xop+xml"; start="<root@test>"; '
             'start-info="application/soap+xml"; boundary="%s"; action="%s"' % (b, ITI41))
    return body, ctype


def healthy(node):
    st, body = node.get("/health")
    st2, body2 = node.post("/xds/registry", soap_envelope(ITI18, find()))
    return st == 200 and st2 == 200 and b"AdhocQueryResponse" in body2 and b"Success" in body2


def attribute_tests(node):
    big = soap_envelope(ITI42, '<lcm:SubmitObjectsRequest xmlns:lcm="%s" %s/>'
                        % (LCM, many_attrs(100000)))
    check("the envelope has 100,000 attributes in over a megabyte", len(big) > 1000000, len(big))
    cpu = cpu_seconds(node.proc.pid)
    st, body = node.post("/xds/registry", big, timeout=DEADLINE)
    used = cpu_seconds(node.proc.pid) - cpu
    check("100,000 attributes: a Sender fault with 413 naming the bound",
          st == 413 and b"soap:Sender" in body and b"more than 256 attributes" in body,
          (st, body[-400:]))
    check("100,000 attributes cost the node well under a second of CPU", used < 1.0, used)

    root = soap_envelope(ITI41, '<xdsb:ProvideAndRegisterDocumentSetRequest '
                         'xmlns:xdsb="urn:ihe:iti:xds-b:2007" %s/>' % many_attrs(100000))
    req, ctype = mtom(root)
    cpu = cpu_seconds(node.proc.pid)
    st, body = node.post("/xds/repository", req, ctype=ctype, timeout=DEADLINE)
    used = cpu_seconds(node.proc.pid) - cpu
    check("100,000 attributes in a streamed MTOM root part: 413 naming the bound",
          st == 413 and b"soap:Sender" in body and b"more than 256 attributes" in body,
          (st, body[-400:]))
    check("... at well under a second of CPU", used < 1.0, used)

    # Several at once, and the node answers others all along.
    results = []

    def send():
        try:
            results.append(node.post("/xds/registry", big, timeout=DEADLINE)[0])
        except Exception as e:      # recorded, judged below
            results.append(repr(e))
    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    served = healthy(node)
    for t in threads:
        t.join(DEADLINE)
    check("four such requests at once: each a 413", results == [413] * 4, results)
    check("the node serves others meanwhile and after", served and healthy(node))


def encoding_tests(node):
    st, body = node.post("/xds/registry", soap_envelope(
        ITI18, find(), '<?xml version="1.0" encoding="UTF-7"?>'))
    check("an envelope declared UTF-7: a Sender fault saying so",
          st == 400 and b"soap:Sender" in body and b"encoding UTF-7 is not accepted" in body,
          (st, body[-300:]))
    st, body = node.post("/xds/registry", soap_envelope(ITI18, find()),
                         ctype="application/soap+xml; charset=ISO-8859-1")
    check("charset=ISO-8859-1: a Sender fault saying so",
          st == 400 and b"charset ISO-8859-1 is not accepted" in body, (st, body[-300:]))
    st, body = node.post("/xds/registry", soap_envelope(ITI18, find()),
                         ctype="application/soap+xml; charset=UTF-16")
    check("charset=UTF-16 on UTF-8 bytes: a Sender fault saying so",
          st == 400 and b"no UTF-16 byte order mark" in body, (st, body[-300:]))
    env = soap_envelope(ITI18, find(), '<?xml version="1.0" encoding="UTF-16"?>\r\n')
    st, body = node.post("/xds/registry", env.decode().encode("utf-16"),
                         ctype="application/soap+xml; charset=UTF-16")
    check("a UTF-16 envelope with its byte order mark is served",
          st == 200 and b"AdhocQueryResponse" in body and b"Success" in body,
          (st, body[-300:]))


def query_tests(node):
    authors = "(" + ", ".join("'%%Author%d%%'" % i for i in range(998)) + ")"
    st, body = node.post("/xds/registry", soap_envelope(ITI18, find(
        '<rim:Slot name="$XDSDocumentEntryAuthorPerson"><rim:ValueList><rim:Value>'
        + authors + '</rim:Value></rim:ValueList></rim:Slot>')))
    check("998 AuthorPerson values: a Failure with XDSRegistryError naming the bound",
          st == 200 and b"ResponseStatusType:Failure" in body and b"XDSRegistryError" in body
          and b"more than 256 values" in body, (st, body[-500:]))
    check("... without the database's words",
          b"Expression tree" not in body and b"SQL" not in body and b"sqlite" not in body.lower(),
          body[-500:])


def main():
    a = command_line()
    work = tmpdir("xmlin-test")
    node = Xdsd(a.xdsd, work, ["http.workers=8"])
    try:
        if not check("xdsd starts", node.start()):
            node.dump_log()
            return summary()
        for t in (attribute_tests, encoding_tests, query_tests):
            try:
                t(node)
            except Exception as e:
                check("%s ran" % t.__name__, False, repr(e))
        check("xdsd still running", node.running())
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
