#!/usr/bin/env python3
"""Turn NIST XDS Toolkit metadata templates into ebRIM 3.0 SOAP 1.2 messages.

The NIST test engine (iheos-toolkit2, Metadata#getV3SubmitObjectsRequest and
TranslateToV3) does four things to a testplan's <MetadataFile> before it
sends it; this module does the same, with the Python 3 standard library only:

  1. fill $name$ tokens ($patientid$, $uuid$, $rplc_doc_uuid$ ...);
  2. translate ebRIM 2.1 (rim:LeafRegistryObjectList) to ebRIM 3.0
     (lcm:SubmitObjectsRequest/rim:RegistryObjectList): namespaces, element
     order (Slot, Name, Description, VersionInfo, Classification,
     ExternalIdentifier), ids on Classification/ExternalIdentifier/
     Association, registryObject/classifiedObject back references, full
     association type URNs, no ObjectRefs (the NIST 3.0 form has none);
  3. <AssignUuids/>: symbolic ids (Document01) become fresh urn:uuid ids;
     uniqueIds become fresh OIDs under a per-run root (unless
     <NoAssignUids id="..."/>); patient ids are set to the test's patient
     (unless <NoPatientId/>); what was assigned is returned so later steps
     can refer to it (UseId section="AssignedUuids" / "AssignedUids" /
     "AssignedPatientId");
  4. wrap the body in SOAP 1.2 with WS-Addressing headers.

Patient ids: the node's default registry.patient_ids = bsn knows every CX
whose id is a valid Dutch BSN (9 digits, 11-check) under the BSN OID.

Command line (for looking at what the harness sends):
  convert.py FILE [--patient CX] [--assign-uuids] [--soap ACTION]
"""

import argparse
import random
import re
import sys
import uuid
import xml.etree.ElementTree as ET

NS_RIM21 = "urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1"
NS_RS21 = "urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1"
NS_RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
NS_LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
NS_QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
NS_RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_XDSB = "urn:ihe:iti:xds-b:2007"

for _p, _u in (("rim", NS_RIM), ("lcm", NS_LCM), ("query", NS_QUERY),
               ("rs", NS_RS), ("soap", NS_SOAP), ("wsa", NS_WSA),
               ("xdsb", NS_XDSB)):
    ET.register_namespace(_p, _u)

ACTION_ITI42 = "urn:ihe:iti:2007:RegisterDocumentSet-b"
ACTION_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ACTION_ITI57 = "urn:ihe:iti:2010:UpdateDocumentSet"
WSA_ANON = "http://www.w3.org/2005/08/addressing/anonymous"

OID_BSN = "2.16.840.1.113883.2.4.6.3"
# Assigning authority for "patient never fed" (NIST 11996): not the BSN OID.
OID_UNKNOWN_AA = "1.3.6.1.4.1.21367.2005.3.7"

# ExternalIdentifier schemes (ITI TF-3 4.2.3).
EI_DE_PATIENTID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
EI_DE_UNIQUEID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
EI_SS_PATIENTID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
EI_SS_UNIQUEID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
EI_SS_SOURCEID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
EI_FOL_PATIENTID = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"
EI_FOL_UNIQUEID = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"
PATIENT_SCHEMES = (EI_DE_PATIENTID, EI_SS_PATIENTID, EI_FOL_PATIENTID)
UNIQUEID_SCHEMES = (EI_DE_UNIQUEID, EI_SS_UNIQUEID, EI_FOL_UNIQUEID)
CL_SUBMISSIONSET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
CL_FOLDER = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"

ASSOC_URN = {
    "HasMember": "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
    "RPLC": "urn:ihe:iti:2007:AssociationType:RPLC",
    "APND": "urn:ihe:iti:2007:AssociationType:APND",
    "XFRM": "urn:ihe:iti:2007:AssociationType:XFRM",
    "XFRM_RPLC": "urn:ihe:iti:2007:AssociationType:XFRM_RPLC",
    "signs": "urn:ihe:iti:2007:AssociationType:signs",
    "IsSnapshotOf": "urn:ihe:iti:2010:AssociationType:IsSnapshotOf",
}

# Child order inside a rim:RegistryObjectType (rim.xsd 3.0).
_CHILD_ORDER = {"Slot": 0, "Name": 1, "Description": 2, "VersionInfo": 3,
                "Classification": 4, "ExternalIdentifier": 5}
_REGISTRY_OBJECTS = ("ExtrinsicObject", "RegistryPackage", "Classification",
                     "ExternalIdentifier", "Association", "ObjectRef")

TOKEN_RE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*\$")
MAX_TEMPLATE = 4 * 1024 * 1024


class ConvertError(Exception):
    """A template that cannot be turned into a message."""


# --- patient ids ---------------------------------------------------------

def bsn_valid(s):
    """Dutch BSN 11-check: 9 digits, d1*9 + ... + d8*2 - d9 divisible by 11."""
    if len(s) != 9 or not s.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(s[:8], range(9, 1, -1)))
    total -= int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn(rng):
    """A random valid BSN (first digit not 0, as issued BSNs)."""
    while True:
        head = str(rng.randint(1, 9)) + "".join(
            str(rng.randint(0, 9)) for _ in range(7))
        total = sum(int(d) * w for d, w in zip(head, range(9, 1, -1)))
        last = total % 11
        if last <= 9:
            bsn = head + str(last)
            if bsn_valid(bsn):
                return bsn


def bsn_cx(bsn):
    return "%s^^^&%s&ISO" % (bsn, OID_BSN)


def unknown_cx(rng):
    """A CX no Registry in bsn mode knows: not a BSN, not the BSN OID."""
    return "%012x^^^&%s&ISO" % (rng.getrandbits(48), OID_UNKNOWN_AA)


class IdSource:
    """Fresh ids for one run: UUIDs, OIDs under a per-run root, BSNs."""

    def __init__(self, seed=None):
        self.rng = random.Random(seed)
        # 2.25.<decimal UUID> is the ISO/ITU arc for UUID-derived OIDs; a
        # 64-bit random part keeps every uniqueId well under 64 characters.
        self.root = "2.25.%d" % self.rng.getrandbits(64)
        self.n = 0

    def uuid(self):
        return "urn:uuid:%s" % uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def oid(self):
        self.n += 1
        return "%s.%d" % (self.root, self.n)

    def patient(self):
        return bsn_cx(make_bsn(self.rng))

    def unknown_patient(self):
        return unknown_cx(self.rng)


# --- tokens --------------------------------------------------------------

def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def fill_tokens(text, values):
    """Replace $name$ tokens whose value is known; return (text, missing)."""
    missing = []

    def rep(m):
        tok = m.group(0)
        if tok in values:
            return xml_escape(values[tok])
        missing.append(tok)
        return tok

    return TOKEN_RE.sub(rep, text), sorted(set(missing))


# --- ebRIM 2.1 -> 3.0 ----------------------------------------------------

def local(tag):
    return tag.rsplit("}", 1)[-1]


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def parse_xml(text):
    if len(text) > MAX_TEMPLATE:
        raise ConvertError("template larger than %d bytes" % MAX_TEMPLATE)
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise ConvertError("not well-formed XML: %s" % e) from None


def is_v21(root):
    return any(ns_of(e.tag) in (NS_RIM21, NS_RS21) for e in root.iter())


def _to_v3(el):
    """Copy of el with every 2.1 rim element moved to the 3.0 namespace."""
    ns = ns_of(el.tag)
    tag = "{%s}%s" % (NS_RIM, local(el.tag)) if ns in (NS_RIM21, "") else el.tag
    new = ET.Element(tag, dict(el.attrib))
    new.text, new.tail = el.text, el.tail
    for c in el:
        new.append(_to_v3(c))
    return new


def _reorder(el):
    kids = list(el)
    if local(el.tag) in _REGISTRY_OBJECTS and kids:
        kids.sort(key=lambda c: _CHILD_ORDER.get(local(c.tag), 9))
        for c in list(el):
            el.remove(c)
        el.extend(kids)
    for c in kids:
        _reorder(c)


def translate(root):
    """ebRIM 2.1 SubmitObjectsRequest (any root holding a
    LeafRegistryObjectList) -> 3.0 lcm:SubmitObjectsRequest element.
    A 3.0 lcm:SubmitObjectsRequest is returned unchanged."""
    if local(root.tag) == "SubmitObjectsRequest" and ns_of(root.tag) == NS_LCM:
        return root
    lrol = None
    for e in root.iter():
        if local(e.tag) in ("LeafRegistryObjectList", "RegistryObjectList"):
            lrol = e
            break
    if lrol is None:
        raise ConvertError("no LeafRegistryObjectList/RegistryObjectList")
    sor = ET.Element("{%s}SubmitObjectsRequest" % NS_LCM)
    rol = ET.SubElement(sor, "{%s}RegistryObjectList" % NS_RIM)
    for obj in lrol:
        if not isinstance(obj.tag, str):
            continue
        rol.append(_to_v3(obj))
    for obj in rol:
        _reorder(obj)
    return sor


def _objects(rol):
    return [o for o in rol if isinstance(o.tag, str)]


class Assigned:
    """What AssignUuids/uniqueId/patient assignment did, by symbolic id."""

    def __init__(self):
        self.uuids = {}
        self.uids = {}
        self.patients = {}

    def as_sections(self):
        return {"AssignedUuids": dict(self.uuids),
                "AssignedUids": dict(self.uids),
                "AssignedPatientId": dict(self.patients)}


def finish_submission(sor, ids, assign_uuids=False, assign_uids=True,
                      no_assign_uids=(), patient=None, fresh_sub_ids=True,
                      keep_objectrefs=False):
    """Complete a 3.0 SubmitObjectsRequest in place as the NIST engine does.

    assign_uuids: replace non-urn:uuid ids of the top-level objects by fresh
    UUIDs and rewrite every reference.  assign_uids: fresh uniqueId OIDs
    (except for objects listed in no_assign_uids).  patient: if given, every
    patientId ExternalIdentifier gets it.  Returns an Assigned."""
    rol = sor.find("{%s}RegistryObjectList" % NS_RIM)
    if rol is None:
        raise ConvertError("SubmitObjectsRequest without RegistryObjectList")
    out = Assigned()
    top = _objects(rol)
    idmap = {}
    if assign_uuids:
        for o in top:
            oid = o.get("id")
            if local(o.tag) == "ObjectRef" or not oid:
                continue
            if not oid.startswith("urn:uuid:"):
                idmap[oid] = ids.uuid()
                out.uuids[oid] = idmap[oid]
    else:
        for o in top:
            if o.get("id") and local(o.tag) != "ObjectRef":
                out.uuids[o.get("id")] = o.get("id")
    refattrs = ("id", "classifiedObject", "registryObject", "sourceObject",
                "targetObject")
    for e in sor.iter():
        for a in refattrs:
            v = e.get(a)
            if v is not None and v in idmap:
                e.set(a, idmap[v])
    # Symbolic names for reporting: map back from new id to symbol.
    symbol_of = {v: k for k, v in idmap.items()}

    def symbol(objid):
        return symbol_of.get(objid, objid)

    nsub = 0
    referenced = set()
    for o in top:
        kind = local(o.tag)
        if kind == "Association":
            t = o.get("associationType", "")
            if t in ASSOC_URN:
                o.set("associationType", ASSOC_URN[t])
            referenced.add(o.get("sourceObject"))
            referenced.add(o.get("targetObject"))
        if kind == "Classification":
            referenced.add(o.get("classifiedObject"))
        for e in o.iter():
            k = local(e.tag)
            if k in ("Classification", "ExternalIdentifier", "Association") \
                    and not e.get("id"):
                nsub += 1
                e.set("id", ids.uuid() if fresh_sub_ids else "id_%d" % nsub)
        for parent in o.iter():
            for c in parent:
                k = local(c.tag)
                if k == "Classification" and not c.get("classifiedObject"):
                    c.set("classifiedObject", parent.get("id", ""))
                if k == "ExternalIdentifier" and not c.get("registryObject"):
                    c.set("registryObject", parent.get("id", ""))
    # ObjectRefs: the NIST engine's 3.0 form has none (its 2.1 templates list
    # the scheme/node UUIDs and RPLC targets; compare 12318/two_doc.xml with
    # the InputMetadata of nist-msgvalidator/pnr-log.xml).  keep_objectrefs
    # keeps those the submission points at (RPLC targets, stored folders).
    for o in top:
        if local(o.tag) == "ObjectRef" and (o.get("id") not in referenced
                                            or not keep_objectrefs):
            rol.remove(o)
    for o in top:
        if local(o.tag) not in ("ExtrinsicObject", "RegistryPackage"):
            continue
        sym = symbol(o.get("id", ""))
        for ei in o.findall("{%s}ExternalIdentifier" % NS_RIM):
            scheme = ei.get("identificationScheme")
            if scheme in UNIQUEID_SCHEMES:
                if assign_uids and sym not in no_assign_uids:
                    ei.set("value", ids.oid())
                out.uids[sym] = ei.get("value", "")
            elif scheme in PATIENT_SCHEMES:
                if patient is not None:
                    ei.set("value", patient)
                out.patients[sym] = ei.get("value", "")
    return out


# --- queries -------------------------------------------------------------

def query_request(root):
    """The query:AdhocQueryRequest element of a query template."""
    if local(root.tag) == "AdhocQueryRequest":
        return root
    for e in root.iter():
        if local(e.tag) == "AdhocQueryRequest":
            return e
    raise ConvertError("no AdhocQueryRequest")


# --- SOAP ----------------------------------------------------------------

def soap_wrap(body, action, to):
    """SOAP 1.2 envelope (bytes) around body (an Element)."""
    env = ET.Element("{%s}Envelope" % NS_SOAP)
    hdr = ET.SubElement(env, "{%s}Header" % NS_SOAP)
    a = ET.SubElement(hdr, "{%s}Action" % NS_WSA)
    a.set("{%s}mustUnderstand" % NS_SOAP, "true")
    a.text = action
    ET.SubElement(hdr, "{%s}MessageID" % NS_WSA).text = "urn:uuid:%s" % uuid.uuid4()
    rt = ET.SubElement(hdr, "{%s}ReplyTo" % NS_WSA)
    ET.SubElement(rt, "{%s}Address" % NS_WSA).text = WSA_ANON
    ET.SubElement(hdr, "{%s}To" % NS_WSA).text = to
    b = ET.SubElement(env, "{%s}Body" % NS_SOAP)
    b.append(body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + \
        ET.tostring(env, encoding="utf-8", xml_declaration=False)


def body_child(envelope_root):
    """The first element child of soap:Body, or None."""
    body = envelope_root.find("{%s}Body" % NS_SOAP)
    if body is None:
        return None
    for c in body:
        if isinstance(c.tag, str):
            return c
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--patient", help="patient CX (default: a fresh BSN)")
    ap.add_argument("--assign-uuids", action="store_true")
    ap.add_argument("--soap", metavar="ACTION", help="wrap in SOAP 1.2")
    ap.add_argument("--to", default="http://127.0.0.1/xds/registry")
    args = ap.parse_args(argv)
    ids = IdSource()
    patient = args.patient or ids.patient()
    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    text, missing = fill_tokens(text, {"$patientid$": patient,
                                       "$patient_id$": patient})
    if missing:
        print("warning: unfilled tokens: %s" % " ".join(missing), file=sys.stderr)
    root = parse_xml(text)
    if local(root.tag) == "AdhocQueryRequest":
        body = query_request(root)
    else:
        body = translate(root)
        finish_submission(body, ids, assign_uuids=args.assign_uuids,
                          patient=patient)
    if args.soap:
        sys.stdout.buffer.write(soap_wrap(body, args.soap, args.to))
    else:
        sys.stdout.buffer.write(ET.tostring(body, encoding="utf-8"))
    sys.stdout.buffer.write(b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
