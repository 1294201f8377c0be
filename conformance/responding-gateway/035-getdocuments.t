# ITI-38 GetDocuments with the home attribute
test = getdocuments
title = ITI-38 GetDocuments with the home attribute
actor = responding-gateway
send = ITI-38
needs = load
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.home = $home
---
@{query-home id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4 home=$home}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:r1')}
@{query-end}
