# ITI-18 GetDocuments by $XDSDocumentEntryEntryUUID, two entries
test = sq-getdocuments-uuid
title = ITI-18 GetDocuments by $XDSDocumentEntryEntryUUID, two entries
actor = registry
send = ITI-18
needs = register-one register-two
expect.status = Success
expect.count.ExtrinsicObject = 2
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d1','$uuid:d2')}
@{query-end}
