"""Build ITI-41 / ITI-43 messages (MTOM/XOP) and read the answers.

Python 3 standard library only; shared by the repository and DICOM tests
and bench/bench_repo.py, which put tests/lib on sys.path (and with it
xdstest, whose HTTP client posts here).
"""
import base64
import hashlib
import random
import re
import uuid

import xdstest

NS_RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
ACT_ITI41 = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ACT_ITI43 = "urn:ihe:iti:2007:RetrieveDocumentSet"
BSN_OID = "2.16.840.1.113883.2.4.6.3"


def bsn():
    """A random 9-digit BSN that passes the 11-check."""
    while True:
        d = [random.randint(0, 9) for _ in range(8)]
        s = sum((9 - i) * d[i] for i in range(8)) % 11
        if s < 10 and d[0] != 0:
            return "".join(map(str, d)) + str(s)


def patient(b=None):
    return "%s^^^&%s&ISO" % (b or bsn(), BSN_OID)


def uid():
    return "2.25.%d" % uuid.uuid4().int


def urn():
    return "urn:uuid:%s" % uuid.uuid4()


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _slot(name, *values):
    return '<rim:Slot name="%s"><rim:ValueList>%s</rim:ValueList></rim:Slot>' % (
        name, "".join("<rim:Value>%s</rim:Value>" % esc(v) for v in values))


def _cls(obj, scheme, code, cs, name):
    return ('<rim:Classification id="%s" classifiedObject="%s" classificationScheme="%s" '
            'nodeRepresentation="%s">%s<rim:Name><rim:LocalizedString value="%s"/></rim:Name>'
            '</rim:Classification>' % (urn(), obj, scheme, code, _slot("codingScheme", cs), name))


def _eid(obj, scheme, value, name):
    return ('<rim:ExternalIdentifier id="%s" registryObject="%s" identificationScheme="%s" '
            'value="%s"><rim:Name><rim:LocalizedString value="%s"/></rim:Name>'
            '</rim:ExternalIdentifier>' % (urn(), obj, scheme, esc(value), name))


def doc_entry(eid, duid, pat, mime="text/plain", hash_=None, size=None):
    slots = [_slot("creationTime", "20240101120000"), _slot("languageCode", "nl-NL"),
             _slot("sourcePatientId", pat)]
    if hash_ is not None:
        slots.append(_slot("hash", hash_))
    if size is not None:
        slots.append(_slot("size", str(size)))
    return ('<rim:ExtrinsicObject id="%s" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" '
            'mimeType="%s">%s<rim:Name><rim:LocalizedString value="test"/></rim:Name>'
            '<rim:Classification id="%s" classifiedObject="%s" '
            'classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" nodeRepresentation="">'
            '%s</rim:Classification>%s%s%s%s%s%s%s%s</rim:ExtrinsicObject>' % (
                eid, esc(mime), "".join(slots), urn(), eid, _slot("authorPerson", "^Test^T^^^"),
                _cls(eid, "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "REPORTS", "1.3.6.1.4.1.19376.1.2.6.1", "Reports"),
                _cls(eid, "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "N", "2.16.840.1.113883.5.25", "normal"),
                _cls(eid, "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", "urn:ihe:rad:TEXT", "1.3.6.1.4.1.19376.1.2.3", "text"),
                _cls(eid, "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", "264372000", "2.16.840.1.113883.6.96", "Pharmacy"),
                _cls(eid, "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", "Practice-C", "1.3.6.1.4.1.21367.2017.3", "Lab"),
                _cls(eid, "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", "11369-6", "2.16.840.1.113883.6.1", "Immunization"),
                _eid(eid, "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", pat, "XDSDocumentEntry.patientId"),
                _eid(eid, "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", duid, "XDSDocumentEntry.uniqueId")))


def submission(pat, entries):
    """entries: list of (entryUUID, doc_entry xml).  Returns SubmitObjectsRequest."""
    ss = urn()
    parts = [e for _, e in entries]
    parts.append(
        '<rim:RegistryPackage id="%s">%s<rim:Name><rim:LocalizedString value="test"/></rim:Name>'
        '<rim:Classification id="%s" classifiedObject="%s" '
        'classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" nodeRepresentation="">%s'
        '</rim:Classification>%s%s%s%s</rim:RegistryPackage>' % (
            ss, _slot("submissionTime", "20240101120000"), urn(), ss, _slot("authorPerson", "^Test^T^^^"),
            _cls(ss, "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", "225728007", "2.16.840.1.113883.6.96", "A&amp;E"),
            _eid(ss, "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", uid(), "XDSSubmissionSet.uniqueId"),
            _eid(ss, "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", "1.2.3.4", "XDSSubmissionSet.sourceId"),
            _eid(ss, "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", pat, "XDSSubmissionSet.patientId")))
    parts.append('<rim:Classification id="%s" classifiedObject="%s" '
                  'classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>' % (urn(), ss))
    for eid, _ in entries:
        parts.append('<rim:Association id="%s" associationType="urn:oasis:names:tc:ebxml-regrep:'
                     'AssociationType:HasMember" sourceObject="%s" targetObject="%s">%s</rim:Association>'
                     % (urn(), ss, eid, _slot("SubmissionSetStatus", "Original")))
    return ('<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>%s'
            '</rim:RegistryObjectList></lcm:SubmitObjectsRequest>' % "".join(parts))


def envelope(action, body):
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
            '<a:Action s:mustUnderstand="1">%s</a:Action><a:MessageID>%s</a:MessageID>'
            '<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>'
            '</s:Header><s:Body>%s</s:Body></s:Envelope>' % (action, urn(), body))


def mtom_package(env, parts, action):
    """(Content-Type, body bytes) of an MTOM/XOP message: the SOAP envelope
    env (bytes) as the root part, then one part per (cid, content type,
    bytes) of parts."""
    b = "MIMEBoundary_%s" % uuid.uuid4().hex
    out = [b"--" + b.encode() + b"\r\nContent-Type: application/xop+xml; charset=UTF-8; "
           b"type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\n"
           b"Content-ID: <root.message@xdsnode.test>\r\n\r\n" + env + b"\r\n"]
    for cid, ctype, data in parts:
        out.append(b"--" + b.encode() + ("\r\nContent-Type: %s\r\nContent-Transfer-Encoding: "
                   "binary\r\nContent-ID: <%s>\r\n\r\n" % (ctype, cid)).encode() + data + b"\r\n")
    out.append(b"--" + b.encode() + b"--\r\n")
    ct = ('multipart/related; boundary="%s"; type="application/xop+xml"; '
          'start="<root.message@xdsnode.test>"; start-info="application/soap+xml"; action="%s"' % (b, action))
    return ct, b"".join(out)


def mtom(action, body_xml, parts):
    """parts: list of (cid, bytes), sent as application/octet-stream, after
    body_xml in an envelope().  Returns (content_type, body bytes)."""
    return mtom_package(envelope(action, body_xml).encode(),
                        [(cid, "application/octet-stream", data) for cid, data in parts], action)


def pnr_body(sor, docs):
    """docs: list of (entryUUID, cid or None, inline bytes or None)."""
    d = []
    for eid, cid, inline in docs:
        if cid is not None:
            d.append('<xdsb:Document id="%s"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" '
                     'href="cid:%s"/></xdsb:Document>' % (eid, cid))
        else:
            d.append('<xdsb:Document id="%s">%s</xdsb:Document>' % (eid, base64.b64encode(inline).decode()))
    return ('<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">%s%s'
            '</xdsb:ProvideAndRegisterDocumentSetRequest>' % (sor, "".join(d)))


def find_documents(pat, return_type="LeafClass"):
    """An ITI-18 FindDocuments request body (Approved entries of pat)."""
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="%s" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">%s%s'
            '</rim:AdhocQuery></query:AdhocQueryRequest>' % (
                return_type, _slot("$XDSDocumentEntryPatientId", "'%s'" % pat),
                _slot("$XDSDocumentEntryStatus",
                      "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')")))


def retrieve_body(reqs):
    """reqs: list of (repositoryUniqueId, documentUniqueId, home or None)."""
    r = []
    for rep, duid, home in reqs:
        r.append('<xdsb:DocumentRequest>%s<xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
                 '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
                 % ("<xdsb:HomeCommunityId>%s</xdsb:HomeCommunityId>" % home if home else "", rep, duid))
    return ('<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007">%s'
            '</xdsb:RetrieveDocumentSetRequest>' % "".join(r))


def post(port, path, ctype, body, timeout=60):
    """(HTTP status, Content-Type, body) of a POST to 127.0.0.1:port."""
    st, headers, rb = xdstest.request(port, "POST", path, body, {"Content-Type": ctype},
                                      timeout=timeout)
    return st, headers.get("content-type", ""), rb


def mime_parts(ctype, body):
    """[(head, data)] (bytes) of the parts of a multipart/related body, in
    order; None when ctype is no multipart/related with a boundary."""
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not (ctype or "").lower().startswith("multipart/related") or not m:
        return None
    out = []
    for p in body.split(b"--" + m.group(1).encode())[1:]:
        if p.startswith(b"--"):
            break
        p = p.lstrip(b"\r\n")
        head, sep, data = p.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = p.partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        out.append((head, data))
    return out


def split_mtom(ctype, body):
    """(root xml text, {cid: bytes}) of an MTOM answer; plain SOAP: (text, {})."""
    parts = mime_parts(ctype, body)
    if parts is None:
        return body.decode("utf-8", "replace"), {}
    att = {}
    for head, data in parts[1:]:
        cid = re.search(rb"Content-ID:\s*<([^>]+)>", head, re.I)
        if cid:
            att[cid.group(1).decode()] = data
    return (parts[0][1].decode("utf-8", "replace") if parts else ""), att


def status_of(xml):
    m = re.search(r'RegistryResponse[^>]*status="([^"]+)"', xml)
    return m.group(1).rsplit(":", 1)[-1] if m else None


def errors_of(xml):
    return re.findall(r'errorCode="([^"]+)"', xml)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def submit(port, docs, pat=None, hashes=None, sizes=None, mimes=None, inline=False):
    """Submit documents (list of bytes); returns (status, errors, [uids], xml)."""
    pat = pat or patient()
    entries, dl, parts, uids = [], [], [], []
    for i, data in enumerate(docs):
        eid, duid, cid = urn(), uid(), "doc%d@xdsnode.test" % i
        entries.append((eid, doc_entry(eid, duid, pat, (mimes or {}).get(i, "text/plain"),
                                       (hashes or {}).get(i), (sizes or {}).get(i))))
        if inline:
            dl.append((eid, None, data))
        else:
            dl.append((eid, cid, None))
            parts.append((cid, data))
        uids.append(duid)
    ct, body = mtom(ACT_ITI41, pnr_body(submission(pat, entries), dl), parts)
    st, rct, rb = post(port, "/xds/repository", ct, body)
    xml, _ = split_mtom(rct, rb)
    return status_of(xml), errors_of(xml), uids, xml, st


def document_responses(xml, att):
    """{DocumentUniqueId: (mimeType, bytes of its part, or None)} of the
    xdsb:DocumentResponse elements of an answer whose parts are att."""
    docs = {}
    for m in re.finditer(r"<xdsb:DocumentResponse>(.*?)</xdsb:DocumentResponse>", xml, re.S):
        dr = m.group(1)
        u = re.search(r"<xdsb:DocumentUniqueId>([^<]*)<", dr).group(1)
        mt = re.search(r"<xdsb:mimeType>([^<]*)<", dr).group(1)
        cid = re.search(r'href="cid:([^"]+)"', dr).group(1)
        docs[u] = (mt, att.get(cid))
    return docs


def retrieve(port, reqs):
    """Returns (status, errors, {uid: (mime, bytes)}, xml, http status)."""
    ct, body = mtom(ACT_ITI43, retrieve_body(reqs), [])
    st, rct, rb = post(port, "/xds/repository", ct, body)
    xml, att = split_mtom(rct, rb)
    return status_of(xml), errors_of(xml), document_responses(xml, att), xml, st
