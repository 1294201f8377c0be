# ITI-18 GetDocuments by $XDSDocumentEntryUniqueId
test = sq-getdocuments
title = ITI-18 GetDocuments by $XDSDocumentEntryUniqueId
actor = registry
send = ITI-18
needs = register-one
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.objstatus = $uuid:d1 Approved
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:d1')}
@{query-end}
