# ITI-18 GetDocuments of a community nobody knows: XDSUnknownCommunity
test = getdocuments-unknown-home
title = ITI-18 GetDocuments of a community nobody knows: XDSUnknownCommunity
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Failure
expect.error = XDSUnknownCommunity
---
@{query-home id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4 home=urn:oid:1.2.3.4.5.6.999}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:g1')}
@{query-end}
