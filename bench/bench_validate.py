#!/usr/bin/env python3
"""xdsctl validate alone: messages per second and the cost of a start-up.

The messages are those tests/validate-corpus.test checks from the
conformance corpus ($XDS_TESTDATA), grouped by what xdsctl validate
says they are (ITI-41 with MTOM and documents, stored queries, KOS
manifests, the rest), plus one ATNA audit message of a stored query
written here (the corpus has none).  For each group:

  one process   xdsctl validate --json over the group's files repeated
                to at least --messages messages (the schemas compiled
                once), and over twice as many: messages per second and
                milliseconds a message from the difference, so the
                start-up cancels out: (T(2n) - T(n)) / n;
  per process   one xdsctl validate --json per file: the median
                milliseconds an invocation (start-up and schema
                compilation included).

Beside each, the reference in the same go: xmllint --noout --schema (or
--relaxng for ATNA; its column says how many bodies it found valid and
invalid) over the same message bodies (the SOAP body's
element, MIME and HTTP framing taken off, xop:Include dropped as
xdsctl's schema check drops it) against the same schemas, written from
the source tree to a temporary directory: what the schemas alone cost, so
what xdsctl validate's own rules add is the difference.  A KOS is DICOM,
which xmllint cannot read: no reference.  Each figure is the median of
--rounds rounds.  Run by bench/run validate from a build directory.
"""
import argparse
import email.parser
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.dom.minidom

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "nist"))
import validate_corpus  # noqa: E402  (the corpus' message files)

NS_XOP = "http://www.w3.org/2004/08/xop/include"
NS_SCHEMAS = {  # namespace -> schema file, as check/check_schema.c imports
    "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0": "lcm",
    "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0": "query",
    "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0": "rs",
    "urn:ihe:iti:xds-b:2007": "xdsb",
    "urn:ihe:rad:xdsi-b:2009": "xdsi",
    "urn:ihe:iti:rmd:2017": "rmd",
}
# The ATNA message xdsd writes for a registry's ITI-18 (lib/audit/atna.c).
ATNA = (
    '<?xml version="1.0" encoding="UTF-8"?><AuditMessage>'
    '<EventIdentification EventActionCode="E" '
    'EventDateTime="2026-12-06T10:00:00.000Z" EventOutcomeIndicator="0">'
    '<EventID csd-code="110112" codeSystemName="DCM" originalText="Query"/>'
    '<EventTypeCode csd-code="ITI-18" codeSystemName="IHE Transactions" '
    'originalText="Registry Stored Query"/></EventIdentification>'
    '<ActiveParticipant UserID="consumer" UserIsRequestor="true" '
    'NetworkAccessPointID="192.0.2.10" NetworkAccessPointTypeCode="2">'
    '<RoleIDCode csd-code="110153" codeSystemName="DCM" '
    'originalText="Source Role ID"/></ActiveParticipant>'
    '<ActiveParticipant UserID="http://node.example/xds/registry" '
    'AlternativeUserID="4242" UserIsRequestor="false" '
    'NetworkAccessPointID="192.0.2.1" NetworkAccessPointTypeCode="2">'
    '<RoleIDCode csd-code="110152" codeSystemName="DCM" '
    'originalText="Destination Role ID"/></ActiveParticipant>'
    '<AuditSourceIdentification AuditSourceID="node.example">'
    '<AuditSourceTypeCode csd-code="4" codeSystemName="DCM" '
    'originalText="Application Server"/></AuditSourceIdentification>'
    '<ParticipantObjectIdentification ParticipantObjectID='
    '"999911120^^^&amp;2.16.840.1.113883.2.4.6.3&amp;ISO" '
    'ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">'
    '<ParticipantObjectIDTypeCode csd-code="2" '
    'codeSystemName="RFC-3881" originalText="Patient Number"/>'
    '<ParticipantObjectName>999911120^^^&amp;2.16.840.1.113883.2.4.6.3'
    '&amp;ISO</ParticipantObjectName></ParticipantObjectIdentification>'
    '<ParticipantObjectIdentification ParticipantObjectID='
    '"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d" '
    'ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="24">'
    '<ParticipantObjectIDTypeCode csd-code="ITI-18" '
    'codeSystemName="IHE Transactions" originalText="Registry Stored Query"/>'
    '<ParticipantObjectName>urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d'
    '</ParticipantObjectName>'
    '<ParticipantObjectDetail type="QueryEncoding" value="VVRGLTg="/>'
    '</ParticipantObjectIdentification></AuditMessage>\n')


def group_of(path, rep):
    """The group a report puts a message in, or None (not timed)."""
    kind = rep.get("kind", "")
    if path.endswith(".dcm"):
        return "KOS"
    if kind == "ATNA" or rep.get("message") == "AuditMessage":
        return "ATNA"
    if rep.get("direction") != "request":
        return None
    if kind == "ITI-41" and rep.get("packaging") == "mtom":
        return "ITI-41 MTOM"
    if kind in ("ITI-18", "ITI-38"):
        return "stored query"
    return None


def dechunk(b):
    out = b""
    while True:
        line, _, b = b.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            return out
        out, b = out + b[:n], b[n + 2:]


def body_xml(data):
    """The XML of a message's root part: HTTP and MIME framing off."""
    ctype = None
    if data.startswith((b"POST ", b"HTTP/")):
        eol = b"\r\n" if b"\r\n\r\n" in data else b"\n"
        head, _, data = data.partition(eol + eol)
        hdrs = email.parser.BytesParser().parsebytes(
            head.split(eol, 1)[1] + eol + eol)
        ctype = hdrs.get("Content-Type")
        if "chunked" in (hdrs.get("Transfer-Encoding") or "").lower():
            data = dechunk(data)
    stripped = data.lstrip()
    if ctype is None and stripped.startswith(b"--"):
        boundary = stripped.split(b"\n", 1)[0].strip()[2:].decode()
        ctype = f'multipart/related; boundary="{boundary}"'
    if ctype is not None and ctype.lower().startswith("multipart/"):
        m = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data)
        return m.get_payload()[0].get_payload(decode=True)
    return data


def body_of(path):
    """(the message element's XML, 'xsd' or 'rng') or None: for xmllint."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = xml.dom.minidom.parseString(body_xml(data))
    except Exception:
        return None
    e = doc.documentElement
    if e.localName == "AuditMessage":
        return data, "rng"
    if e.localName == "Envelope":
        body = [c for c in e.childNodes if c.nodeType == c.ELEMENT_NODE and
                c.localName == "Body"]
        kids = [c for c in body[0].childNodes
                if c.nodeType == c.ELEMENT_NODE] if body else []
        if not kids:
            return None
        inner = kids[0]
        a = inner.parentNode
        while a is not None and a.nodeType == a.ELEMENT_NODE:
            for k, v in a.attributes.items():  # namespaces in scope
                if (k == "xmlns" or k.startswith("xmlns:")) and \
                        not inner.hasAttribute(k):
                    inner.setAttribute(k, v)
            a = a.parentNode
        e = inner
    if e.namespaceURI not in NS_SCHEMAS:
        return None
    for inc in list(e.getElementsByTagNameNS(NS_XOP, "Include")):
        inc.parentNode.removeChild(inc)
    return e.toxml().encode(), "xsd"


def write_schemas(d):
    """The schemas xdsctl compiles in, as files, with a driver like
    check_schema.c's: the imports' "?xsd=NAME" made file names."""
    srcs = [os.path.join(TOP, "lib", "soap", "schema"),
            os.path.join(TOP, "check", "schema")]
    for s in srcs:
        for name in os.listdir(s):
            if not name.endswith((".xsd", ".rng")):
                continue
            with open(os.path.join(s, name), encoding="utf-8") as f:
                text = f.read()
            for n in ("lcm", "query", "rs", "rim", "xdsb", "xdsi", "rmd",
                      "xml", "saml", "xmldsig", "xenc"):
                text = text.replace(f'"?xsd={n}"', f'"{n}.xsd"')
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
    drv = os.path.join(d, "driver.xsd")
    with open(drv, "w", encoding="utf-8") as f:
        f.write('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                'targetNamespace="urn:xdsnode:check">')
        for ns, n in NS_SCHEMAS.items():
            f.write(f'<xs:import namespace="{ns}" schemaLocation="{n}.xsd"/>')
        f.write("</xs:schema>")
    return drv, os.path.join(d, "dicom-audit-message.rng")


def timed(argv):
    t = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def lint_verdicts(argv, files):
    """How many files xmllint finds valid, invalid: a schema that did not
    compile would time nothing."""
    p = subprocess.run(argv + files, capture_output=True, text=True)
    if "failed to compile" in p.stderr:
        sys.exit("bench_validate: xmllint: " + p.stderr[:300])
    return p.stderr.count(" validates"), p.stderr.count(" fails to validate")


def one_process(argv, files, at_least):
    """(messages, seconds) of one process over files repeated."""
    reps = max(1, -(-at_least // len(files)))
    todo = files * reps
    return len(todo), timed(argv + todo)


def per_process(argv, files):
    """Median seconds of one process per file."""
    return statistics.median(timed(argv + [f]) for f in files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsctl", default="./xdsctl")
    ap.add_argument("--xmllint", default="xmllint")
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA"))
    ap.add_argument("--messages", type=int, default=5000,
                    help="messages per one-process run (default 5000)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if not a.testdata or not os.path.isfile(
            os.path.join(a.testdata, "expected-outcomes.tsv")):
        print("bench_validate: no corpus ($XDS_TESTDATA)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="bench-validate-")
    try:
        return run(a, tmp)
    finally:
        shutil.rmtree(tmp)


def run(a, tmp):
    atna = os.path.join(tmp, "atna-iti18.xml")
    with open(atna, "w", encoding="utf-8") as f:
        f.write(ATNA)
    paths = sorted({os.path.join(a.testdata, rel)
                    for _, rel in validate_corpus.cases(a.testdata)})
    paths.append(atna)
    ctl = [a.xdsctl, "-C", "registry.patient_ids=feed", "validate", "--json"]
    p = subprocess.run(ctl + paths, capture_output=True)
    groups = {}
    for path, rep in zip(paths, json.loads(p.stdout)):
        g = group_of(path, rep)
        if g is not None:  # a short name: thousands on one command line
            short = os.path.join(tmp, f"m{len(os.listdir(tmp))}" +
                                 os.path.splitext(path)[1])
            os.symlink(path, short)
            groups.setdefault(g, []).append(short)
    xsd, rng = write_schemas(tmp)
    bodies = {}
    for g, files in groups.items():
        for i, path in enumerate(files):
            b = None if g == "KOS" else body_of(path)
            if b is not None:
                out = os.path.join(tmp, f"{g.replace(' ', '-')}-{i}.xml")
                with open(out, "wb") as f:
                    f.write(b[0])
                bodies.setdefault(g, ([], b[1]))[0].append(out)
    print(f"xdsctl validate alone: {a.messages}+ messages a one-process "
          f"run, median of {a.rounds} rounds")
    print(f"{'group':13} {'files':>5} {'avg KB':>7}  {'what':26} "
          f"{'msg/s':>8} {'ms/msg':>8} {'ms/process':>11}")
    for g in ("ITI-41 MTOM", "stored query", "ATNA", "KOS"):
        files = groups.get(g)
        if not files:
            continue
        rows = [("xdsctl validate", ctl, files)]
        if g in bodies:
            bf, kind = bodies[g]
            lint = [a.xmllint, "--noout",
                    "--relaxng" if kind == "rng" else "--schema",
                    rng if kind == "rng" else xsd]
            ok, bad = lint_verdicts(lint, bf)
            rows.append((f"xmllint --{'relaxng' if kind == 'rng' else 'schema'}"
                         f" ({ok}+{bad})", lint, bf))
        kb = "%.1f" % (statistics.mean(os.path.getsize(f) for f in files)
                       / 1024)
        for i, (what, argv, fs) in enumerate(rows):
            each, pers = [], []
            for _ in range(a.rounds):
                n, t = one_process(argv, fs, a.messages)
                n2, t2 = one_process(argv, fs + fs, a.messages * 2)
                each.append((t2 - t) / (n2 - n))
                pers.append(per_process(argv, fs))
            m = statistics.median(each)
            print(f"{g if i == 0 else '':13} {len(files) if i == 0 else '':>5} "
                  f"{kb if i == 0 else '':>7}  {what:26} {1 / m:8.0f} "
                  f"{m * 1000:8.3f} {statistics.median(pers) * 1000:11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
