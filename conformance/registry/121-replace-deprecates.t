# After RPLC the original is Deprecated, the replacement Approved
test = replace-deprecates
title = After RPLC the original is Deprecated, the replacement Approved
actor = registry
send = ITI-18
needs = replace
expect.status = Success
expect.count.ExtrinsicObject = 2
expect.objstatus = $uuid:d2 Deprecated
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d2','$uuid:d5')}
@{query-end}
