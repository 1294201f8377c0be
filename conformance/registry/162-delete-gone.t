# After ITI-62 the entry is not found
test = delete-gone
title = After ITI-62 the entry is not found
actor = registry
send = ITI-18
needs = delete
expect.status = Success
expect.count.ExtrinsicObject = 0
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d10')}
@{query-end}
