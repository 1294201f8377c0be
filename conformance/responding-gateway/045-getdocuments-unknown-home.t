# ITI-38 GetDocuments with another community's home: XDSUnknownCommunity
test = getdocuments-unknown-home
title = ITI-38 GetDocuments with another community's home: XDSUnknownCommunity
actor = responding-gateway
send = ITI-38
needs = load
expect.status = Failure
expect.error = XDSUnknownCommunity
---
@{query-home id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4 home=urn:oid:1.2.3.4.5.6.999}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:r1')}
@{query-end}
