#!/usr/bin/env python3
"""A test double of Mitz's closed question (gesloten autorisatievraag),
for tests only: SOAP 1.2 + WS-Addressing at
/geslotenautorisatievraag/xacml3, a types:XACMLAuthzDecisionQuery (the
SAML 2.0 profile of XACML 3.0) in, an XACML Response out.

Every request is checked as Mitz's interface describes it: the SOAP 1.2
Content-Type, wsa:Action XACMLAuthorizationDecisionQueryRequest and a
wsa:MessageID; the query's ID, Version 2.0 and IssueInstant; a Request
with CombinedDecision and ReturnPolicyIdList false; the resource (the
patient's BSN as an HL7 II under 2.16.840.1.113883.2.4.6.3, the data
holder's organisation type as a CV and URA as an II), one action per data
category (event-code CVs of the gegevenscategorie code system), the access
subject (UZI role, requesting organisation's URA and type, optionally the
UZI numbers of the professional and the mandated person) and the
environment (purpose of use TREAT or COC); every Attribute has
IncludeInResult and an HL7 v3 DataType.  A request that breaks a rule is
answered with a SOAP Sender fault (HTTP 400) and listed in violations.

The answer for a patient is set per BSN (decide): Permit, Deny,
NotApplicable or Indeterminate (an XACML Result each, with wsa:RelatesTo
the request's MessageID), or one of the misbehaving variants:
    slow    hold the request without answering until released (release())
            or the double stops: the asker's timeout is what ends it
    dead    close the connection with a reset, answering nothing
    fault   a SOAP Receiver fault with HTTP 500
A BSN not set gets default (Deny).  The double's port is 0 (self.port).

Subscriptions (abonneren): POST /abonnementen/fhir/Subscription, a FHIR R4
Subscription in JSON (application/fhir+json), checked as Mitz's
mitz-Subscription profile says: no id, status requested, reason OTV,
criteria Consent?_query=otv&patientid={BSN}&providerid={URA}&providertype=
{type}, a rest-hook channel with an endpoint and payload
application/fhir+json, and no extensions but GatewaySystem, SourceSystem
(valueOid) and Patient.birthDate.  How it answers is set by subscribe_mode:
    accept  201 with a new id; 202 with the same id for a patient that has
            one (Mitz's rule for an existing subscription)
    422     a business rule refused it (an OperationOutcome)
    429     throttled
    503     unavailable
    down    close the connection with a reset
Every request that passes the checks is kept in subscriptions (with the
answer given); one that does not is answered 400 and listed in violations.

The open question (ITI-56 PatientLocationQuery, IHE XCPD): POST
/openautorisatievraag, SOAP 1.2 with wsa:Action
urn:ihe:iti:2009:PatientLocationQuery and a wsa:MessageID, the body a
PatientLocationQueryRequest whose RequestedPatientId is a BSN (root
2.16.840.1.113883.2.4.6.3, assigningAuthorityName NLMINBIZA).  The answer
per BSN is set by locate(bsn, [home community ids]) (default: none, the
empty answer), or one of slow, dead, fault as above; a
PatientLocationResponse per community, with wsa:RelatesTo the request's
MessageID.  The questions are kept in locations (bsn, message_id,
assertion: whether a wsse:Security header came, audience: its SAML
assertion's Audience, signed: whether the assertion has a ds:Signature).

notify(url, bsns) posts a notification to a node as Mitz does: a FHIR
transaction Bundle of a Consent per patient (its patient a reference to a
Patient entry with the BSN), with the Patient and Organization entries.

Run alone (python3 mitz_double.py BSN=Permit BSN@HCID,HCID ...: a
decision, or where the open question locates the patient) it prints its
closed question's and open question's URLs and serves until killed.
"""
import http.client
import http.server
import json
import re
import socket
import struct
import sys
import threading
import xml.etree.ElementTree as ET

PATH = "/geslotenautorisatievraag/xacml3"
SUB_PATH = "/abonnementen/fhir/Subscription"
LOC_PATH = "/openautorisatievraag"
XCPD = "urn:ihe:iti:xcpd:2009"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
LOC_ACTION = "urn:ihe:iti:2009:PatientLocationQuery"
LOC_ACTION_RSP = "urn:ihe:iti:2009:PatientLocationQueryResponse"
SUB_PROFILE = "http://vzvz.nl/fhir/otv/StructureDefinition/mitz-Subscription"
SUB_EXT = {"http://fhir.nl/StructureDefinition/GatewaySystem": "valueOid",
           "http://fhir.nl/StructureDefinition/SourceSystem": "valueOid",
           "http://fhir.nl/StructureDefinition/Patient.birthDate": "valueDate"}
FHIR_JSON = "application/fhir+json"
FHIR_BSN = "http://fhir.nl/fhir/NamingSystem/bsn"
ACTION = "XACMLAuthorizationDecisionQueryRequest"
ACTION_RSP = ("http://schemas.otv.nl/toestemmingsregister/XACMLAuthzDecisionQuery/"
              "IGeslotenAutorisatievraagService/XACMLAuthzDecisionQueryResponse")
S = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
TYPES = "urn:oasis:names:tc:xacml:3.0:profile:saml2.0:v2:schema:protocol:wd-14"
X = "urn:oasis:names:tc:xacml:3.0:core:schema:wd-17"
HL7 = "urn:hl7-org:v3"
XMLNS = "http://www.w3.org/XML/1998/namespace"
CAT = {"resource": "urn:oasis:names:tc:xacml:3.0:attribute-category:resource",
       "action": "urn:oasis:names:tc:xacml:3.0:attribute-category:action",
       "subject": "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject",
       "environment": "urn:oasis:names:tc:xacml:3.0:attribute-category:environment"}
BSN, URA, UZI = "2.16.840.1.113883.2.4.6.3", "2.16.528.1.1007.3.3", "2.16.528.1.1007.3.1"
ORG_TYPE, CATEGORY = "2.16.840.1.113883.2.4.15.1060", "2.16.840.1.113883.2.4.3.111.5.10.1"
ROLE, PURPOSE = "2.16.840.1.113883.2.4.15.111", "2.16.840.1.113883.1.11.20448"
# AttributeId: (category, II or CV, root or code system, required)
ATTRS = {
    "urn:oasis:names:tc:xacml:2.0:resource:resource-id": ("resource", "II", BSN, True),
    "urn:ihe:iti:appc:2016:document-entry:healthcare-facility-type-code": ("resource", "CV", ORG_TYPE, True),
    "urn:ihe:iti:appc:2016:author-institution:id": ("resource", "II", URA, True),
    "urn:ihe:iti:appc:2016:document-entry:event-code": ("action", "CV", CATEGORY, True),
    "urn:oasis:names:tc:xacml:2.0:subject:role": ("subject", "CV", ROLE, True),
    "urn:ihe:iti:xua:2017:subject:provider-identifier": ("subject", "II", UZI, False),
    "urn:nl:otv:names:tc:1.0:subject:mandated": ("subject", "II", UZI, False),
    "urn:nl:otv:names:tc:1.0:subject:provider-institution": ("subject", "II", URA, True),
    "urn:nl:otv:names:tc:1.0:subject:consulting-healthcare-facility-type-code": ("subject", "CV", ORG_TYPE, True),
    "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse": ("environment", "CV", PURPOSE, True),
}
DECISIONS = ("Permit", "Deny", "NotApplicable", "Indeterminate")


class Violation(Exception):
    pass


def bsn_valid(s):
    if not re.fullmatch(r"[0-9]{9}", s) or s == "000000000":
        return False
    return (sum(int(c) * w for c, w in zip(s[:8], range(9, 1, -1))) - int(s[8])) % 11 == 0


def read_envelope(ctype, body, action):
    """A SOAP 1.2 request with wsa:Action action and a wsa:MessageID:
    (envelope, header, message id element).  Raises Violation."""
    if not ctype.startswith("application/soap+xml"):
        raise Violation("Content-Type %r is not SOAP 1.2" % ctype)
    try:
        env = ET.fromstring(body)
    except ET.ParseError as e:
        raise Violation("not XML: %s" % e)
    if env.tag != "{%s}Envelope" % S:
        raise Violation("not a SOAP 1.2 envelope")
    hdr = env.find("{%s}Header" % S)
    act = hdr.find("{%s}Action" % WSA) if hdr is not None else None
    mid = hdr.find("{%s}MessageID" % WSA) if hdr is not None else None
    if act is None or (act.text or "").strip() != action:
        raise Violation("wsa:Action is not %s" % action)
    if mid is None or not (mid.text or "").strip():
        raise Violation("no wsa:MessageID")
    return env, hdr, mid


def read_query(ctype, body):
    """The question in a request as a dict: bsn, holder_ura, holder_type,
    categories [..], role, requester_ura, requester_type, professional,
    mandated, purpose, message_id.  Raises Violation."""
    env, hdr, mid = read_envelope(ctype, body, ACTION)
    q = env.find("{%s}Body/{%s}XACMLAuthzDecisionQuery" % (S, TYPES))
    if q is None:
        raise Violation("the body is not a types:XACMLAuthzDecisionQuery")
    if not re.fullmatch(r"[A-Za-z_][\w.-]*", q.get("ID", "")):
        raise Violation("the query's ID is not an NCName")
    if q.get("Version") != "2.0":
        raise Violation("Version is not 2.0")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", q.get("IssueInstant", "")):
        raise Violation("IssueInstant is not an xs:dateTime")
    reqs = q.findall("{%s}Request" % X)
    if len(reqs) != 1:
        raise Violation("not one xacml:Request")
    r = reqs[0]
    if r.get("CombinedDecision") != "false" or r.get("ReturnPolicyIdList") != "false":
        raise Violation("CombinedDecision and ReturnPolicyIdList must be false")
    out = {"message_id": mid.text.strip(), "categories": [], "professional": None, "mandated": None}
    seen = set()
    for attrs in r:
        if attrs.tag != "{%s}Attributes" % X:
            raise Violation("%s in the Request" % attrs.tag)
        cat = [k for k, v in CAT.items() if v == attrs.get("Category")]
        if not cat:
            raise Violation("unknown Category %r" % attrs.get("Category"))
        cat = cat[0]
        if attrs.get("{%s}id" % XMLNS) is None:
            raise Violation("Attributes %s without xml:id" % cat)
        for a in attrs:
            aid = a.get("AttributeId")
            if a.tag != "{%s}Attribute" % X or aid not in ATTRS:
                raise Violation("unknown attribute %r" % aid)
            want_cat, dt, system, _ = ATTRS[aid]
            if want_cat != cat:
                raise Violation("%s in the %s category" % (aid, cat))
            if a.get("IncludeInResult") not in ("true", "false"):
                raise Violation("%s without IncludeInResult" % aid)
            vals = a.findall("{%s}AttributeValue" % X)
            if len(vals) != 1 or vals[0].get("DataType") != "urn:hl7-org:v3#" + dt:
                raise Violation("%s: not one AttributeValue of DataType %s" % (aid, dt))
            e = list(vals[0])
            if len(e) != 1:
                raise Violation("%s: no HL7 element" % aid)
            e = e[0]
            if dt == "II":
                if e.tag != "{%s}InstanceIdentifier" % HL7 or e.get("root") != system or not e.get("extension"):
                    raise Violation("%s: not an II under %s" % (aid, system))
                v = e.get("extension")
            else:
                if e.tag != "{%s}CodedValue" % HL7 or e.get("codeSystem") != system or not e.get("code"):
                    raise Violation("%s: not a CV of %s" % (aid, system))
                v = e.get("code")
            key = {"resource-id": "bsn", "healthcare-facility-type-code": "holder_type",
                   "id": "holder_ura", "event-code": "category", "role": "role",
                   "provider-identifier": "professional", "mandated": "mandated",
                   "provider-institution": "requester_ura",
                   "consulting-healthcare-facility-type-code": "requester_type",
                   "purposeofuse": "purpose"}[aid.rsplit(":", 1)[-1]]
            if key == "category":
                out["categories"].append(v)
            else:
                if aid in seen:
                    raise Violation("%s twice" % aid)
                out[key] = v
            seen.add(aid)
    for aid, (_, _, _, required) in ATTRS.items():
        if required and aid not in seen:
            raise Violation("%s is missing" % aid)
    if not bsn_valid(out["bsn"]):
        raise Violation("resource-id is not a BSN")
    if out["purpose"] not in ("TREAT", "COC"):
        raise Violation("purpose of use %r" % out["purpose"])
    if not re.fullmatch(r"[0-9]{8}", out["holder_ura"]) or not re.fullmatch(r"[0-9]{8}", out["requester_ura"]):
        raise Violation("a URA that is not 8 digits")
    return out


def read_subscription(ctype, body):
    """A Subscription request as a dict: bsn, ura, org_type, endpoint,
    extensions {url: value}, request_id.  Raises Violation."""
    if not ctype.split(";")[0].strip() == FHIR_JSON:
        raise Violation("Content-Type %r is not %s" % (ctype, FHIR_JSON))
    try:
        sub = json.loads(body)
    except ValueError as e:
        raise Violation("not JSON: %s" % e)
    if not isinstance(sub, dict) or sub.get("resourceType") != "Subscription":
        raise Violation("not a Subscription")
    if "id" in sub:
        raise Violation("a new Subscription has no id")
    if SUB_PROFILE not in (sub.get("meta") or {}).get("profile", []):
        raise Violation("not of the mitz-Subscription profile")
    if sub.get("status") != "requested" or sub.get("reason") != "OTV":
        raise Violation("status must be requested and reason OTV")
    m = re.fullmatch(r"Consent\?_query=otv&patientid=([0-9]{9})&providerid=([0-9]{8})"
                     r"&providertype=([A-Z0-9]{1,8})", sub.get("criteria", ""))
    if not m or not bsn_valid(m.group(1)):
        raise Violation("criteria %r" % sub.get("criteria"))
    ch = sub.get("channel") or {}
    if ch.get("type") != "rest-hook" or not re.match(r"https?://", ch.get("endpoint", "")) \
            or ch.get("payload") != FHIR_JSON:
        raise Violation("channel %r is not a rest-hook with payload %s" % (ch, FHIR_JSON))
    exts = {}
    for e in sub.get("extension", []):
        kind = SUB_EXT.get(e.get("url"))
        if kind is None or set(e) != {"url", kind}:
            raise Violation("extension %r is not allowed" % e)
        if kind == "valueOid" and not re.fullmatch(r"urn:oid:[0-2](\.[0-9]+)+", e[kind]):
            raise Violation("%s is not an oid" % e["url"])
        exts[e["url"]] = e[kind]
    for url, kind in SUB_EXT.items():
        if kind == "valueOid" and url not in exts:
            raise Violation("extension %s is missing" % url)
    return {"bsn": m.group(1), "ura": m.group(2), "org_type": m.group(3),
            "endpoint": ch["endpoint"], "extensions": exts}


def notification(bsns, active=True):
    """Mitz's notification Bundle (bytes) of a Consent for each BSN."""
    entries = []
    for i, b in enumerate(bsns):
        pid = "urn:uuid:%08d-0000-4000-8000-000000000001" % i
        entries.append({"fullUrl": pid, "resource": {
            "resourceType": "Patient", "identifier": [{"system": FHIR_BSN, "value": b}]},
            "request": {"method": "POST", "url": "Patient"}})
        entries.append({"fullUrl": "urn:uuid:%08d-0000-4000-8000-000000000002" % i, "resource": {
            "resourceType": "Consent",
            "meta": {"profile": ["http://vzvz.nl/fhir/StructureDefinition/Consent-Mitz-Notify|3.8.0"]},
            "status": "active" if active else "inactive",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://fhir.nl/otv/CodeSystem/gegevenscategorie",
                                      "code": "GGC002"}]}],
            "patient": {"reference": pid},
            "provision": {"purpose": [{"code": "TREAT"}]}},
            "request": {"method": "POST", "url": "Consent"}})
    entries.append({"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000ff", "resource": {
        "resourceType": "Organization",
        "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/ura", "value": "87654321"}]},
        "request": {"method": "POST", "url": "Organization"}})
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()


def notify(port, body, ctype=FHIR_JSON, path="/mitz/notify"):
    """POST a notification to the node at 127.0.0.1:port: (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def read_location_query(ctype, body):
    """An ITI-56 request as a dict: bsn, message_id, assertion.  Raises
    Violation."""
    env, hdr, mid = read_envelope(ctype, body, LOC_ACTION)
    q = env.find("{%s}Body/{%s}PatientLocationQueryRequest" % (S, XCPD))
    if q is None:
        raise Violation("the body is not a PatientLocationQueryRequest")
    ids = q.findall("{%s}RequestedPatientId" % XCPD)
    if len(ids) != 1:
        raise Violation("not one RequestedPatientId")
    i = ids[0]
    if i.get("root") != BSN or not bsn_valid(i.get("extension", "")) \
            or i.get("assigningAuthorityName") != "NLMINBIZA":
        raise Violation("RequestedPatientId is not a BSN with assigningAuthorityName NLMINBIZA")
    sec = hdr.find("{%s}Security" % WSSE)
    a = sec.find("{%s}Assertion" % SAML) if sec is not None else None
    aud = a.find("{%s}Conditions/{%s}AudienceRestriction/{%s}Audience" % (SAML, SAML, SAML)) \
        if a is not None else None
    return {"bsn": i.get("extension"), "message_id": mid.text.strip(),
            "assertion": sec is not None,
            "audience": (aud.text or "").strip() if aud is not None else None,
            "signed": a is not None and a.find("{%s}Signature" % DSIG) is not None}


def location_answer(bsn, homes, relates_to):
    locs = "".join('<PatientLocationResponse><HomeCommunityId>%s</HomeCommunityId>'
                   '<CorrespondingPatientId root="%s" extension="%s" assigningAuthorityName="NLMINBIZA"/>'
                   '<RequestedPatientId root="%s" extension="%s" assigningAuthorityName="NLMINBIZA"/>'
                   '</PatientLocationResponse>' % (h, BSN, bsn, BSN, bsn) for h in homes)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<s:Envelope xmlns:s="%s" xmlns:wsa="%s"><s:Header>'
            '<wsa:Action s:mustUnderstand="true">%s</wsa:Action>'
            '<wsa:RelatesTo>%s</wsa:RelatesTo></s:Header><s:Body>'
            '<PatientLocationQueryResponse xmlns="%s">%s</PatientLocationQueryResponse>'
            '</s:Body></s:Envelope>' % (S, WSA, LOC_ACTION_RSP, relates_to, XCPD, locs)).encode()


def answer(decision, relates_to):
    results = ('<Result><Decision>%s</Decision><Status><StatusCode '
               'Value="urn:oasis:names:tc:xacml:1.0:status:ok"/></Status></Result>' % decision)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<s:Envelope xmlns:s="%s" xmlns:wsa="%s"><s:Header>'
            '<wsa:Action s:mustUnderstand="true">%s</wsa:Action>'
            '<wsa:RelatesTo>%s</wsa:RelatesTo></s:Header><s:Body>'
            '<Response xmlns="%s">%s</Response></s:Body></s:Envelope>'
            % (S, WSA, ACTION_RSP, relates_to, X, results)).encode()


def outcome(text):
    return json.dumps({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "business-rule", "diagnostics": text}]}).encode()


def fault(code, text):
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="%s"><s:Body><s:Fault>'
            '<s:Code><s:Value>s:%s</s:Value></s:Code><s:Reason><s:Text xml:lang="en">%s</s:Text>'
            '</s:Reason></s:Fault></s:Body></s:Envelope>' % (S, code, text)).encode()


class MitzDouble:
    def __init__(self, default="Deny", holder_ura=None):
        self.default, self.holder_ura = default, holder_ura
        self.lock = threading.Lock()
        self.decisions = {}
        self.questions = []          # read_query dicts, in order
        self.violations = []         # (reason, body)
        self.held = 0                # slow requests being held now
        self.released = threading.Event()
        self.stopping = False
        self.subscribe_mode = "accept"
        self.subscriptions = []      # read_subscription dicts + status, id
        self.sub_ids = {}            # bsn: id
        self.homes = {}              # bsn: [hcid] or slow, dead, fault
        self.locations = []          # read_location_query dicts
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if self.path == SUB_PATH:
                    return self.subscribe(body)
                if self.path == LOC_PATH:
                    return self.locate(body)
                if self.path != PATH:
                    return self.send(404, "text/plain", b"not here\n")
                try:
                    q = read_query(self.headers.get("Content-Type", ""), body)
                    if double.holder_ura and q["holder_ura"] != double.holder_ura:
                        raise Violation("data holder %s is not the one configured" % q["holder_ura"])
                except Violation as e:
                    with double.lock:
                        double.violations.append((str(e), body[:2000]))
                    return self.send(400, "application/soap+xml; charset=UTF-8", fault("Sender", str(e)))
                with double.lock:
                    double.questions.append(q)
                    d = double.decisions.get(q["bsn"], double.default)
                if self.misbehave(d):
                    return
                self.send(200, 'application/soap+xml; charset=UTF-8; action="%s"' % ACTION_RSP,
                          answer(d, q["message_id"]))

            def misbehave(self, mode):
                """Answer as mode says (slow, dead, fault); False for
                any other mode (an answer is to be sent)."""
                if mode == "slow":
                    with double.lock:
                        double.held += 1
                    double.released.wait()
                    with double.lock:
                        double.held -= 1
                    self.close_connection_now()
                elif mode == "dead":
                    self.reset()
                elif mode == "fault":
                    self.send(500, "application/soap+xml; charset=UTF-8",
                              fault("Receiver", "the consent register is unavailable"))
                else:
                    return False
                return True

            def locate(self, body):
                try:
                    q = read_location_query(self.headers.get("Content-Type", ""), body)
                except Violation as e:
                    with double.lock:
                        double.violations.append((str(e), body[:2000]))
                    return self.send(400, "application/soap+xml; charset=UTF-8", fault("Sender", str(e)))
                with double.lock:
                    double.locations.append(q)
                    homes = double.homes.get(q["bsn"], [])
                if isinstance(homes, str) and self.misbehave(homes):
                    return
                self.send(200, 'application/soap+xml; charset=UTF-8; action="%s"' % LOC_ACTION_RSP,
                          location_answer(q["bsn"], homes, q["message_id"]))

            def subscribe(self, body):
                try:
                    q = read_subscription(self.headers.get("Content-Type", ""), body)
                    if double.holder_ura and q["ura"] != double.holder_ura:
                        raise Violation("data holder %s is not the one configured" % q["ura"])
                except Violation as e:
                    with double.lock:
                        double.violations.append((str(e), body[:2000]))
                    return self.send(400, FHIR_JSON, outcome(str(e)))
                q["request_id"] = self.headers.get("X-Request-Id")
                with double.lock:
                    mode = double.subscribe_mode
                    q["status"] = {"accept": 201, "422": 422, "429": 429, "503": 503}.get(mode, 0)
                    if mode == "accept" and q["bsn"] in double.sub_ids:
                        q["status"] = 202
                    elif mode == "accept":
                        double.sub_ids[q["bsn"]] = "sub-%d" % (len(double.sub_ids) + 1)
                    q["id"] = double.sub_ids.get(q["bsn"]) if mode == "accept" else None
                    double.subscriptions.append(q)
                if mode == "down":
                    return self.reset()
                if mode == "accept":
                    sub = json.loads(body)
                    sub["id"] = q["id"]
                    sub["status"] = "active"
                    return self.send(q["status"], FHIR_JSON, json.dumps(sub).encode(),
                                     {"Location": "%s/%s" % (SUB_PATH, q["id"])})
                return self.send(q["status"], FHIR_JSON, outcome("subscribe mode %s" % mode))

            def send(self, status, ctype, body, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def reset(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def close_connection_now(self):
                self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d%s" % (self.port, PATH)
        self.sub_url = "http://127.0.0.1:%d%s" % (self.port, SUB_PATH)
        self.loc_url = "http://127.0.0.1:%d%s" % (self.port, LOC_PATH)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def decide(self, bsn, decision):
        assert decision in DECISIONS + ("slow", "dead", "fault")
        with self.lock:
            self.decisions[bsn] = decision

    def asked(self, bsn=None):
        """The questions so far (about bsn)."""
        with self.lock:
            return [q for q in self.questions if bsn is None or q["bsn"] == bsn]

    def locate(self, bsn, homes):
        """What the open question answers for bsn: a list of home
        community ids, or slow, dead, fault."""
        assert isinstance(homes, list) or homes in ("slow", "dead", "fault")
        with self.lock:
            self.homes[bsn] = homes

    def located(self, bsn=None):
        """The open questions so far (about bsn)."""
        with self.lock:
            return [q for q in self.locations if bsn is None or q["bsn"] == bsn]

    def subscribed(self, bsn=None):
        """The subscription requests so far (of bsn)."""
        with self.lock:
            return [q for q in self.subscriptions if bsn is None or q["bsn"] == bsn]

    def holding(self):
        with self.lock:
            return self.held

    def release(self):
        self.released.set()

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    m = MitzDouble()
    for arg in sys.argv[1:]:
        if "@" in arg:
            b, homes = arg.split("@", 1)
            m.locate(b, [h for h in homes.split(",") if h])
        else:
            b, d = arg.split("=", 1)
            m.decide(b, d)
    print("Mitz double at %s %s" % (m.url, m.loc_url), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        m.stop()
