# After the status change back the entry is Approved
test = mu-approved
title = ITI-18 GetDocuments: the entry is Approved again
actor = registry
option = metadata-update
send = ITI-18
needs = mu-approve
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.objstatus = $uuid:d31 Approved
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d31')}
@{query-end}
