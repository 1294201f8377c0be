# Nothing of the refused submission was stored
test = all-or-nothing-stored-none
title = Nothing of the refused submission was stored
actor = registry
send = ITI-18
needs = all-or-nothing
expect.status = Success
expect.count.ExtrinsicObject = 0
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:n8d')}
@{query-end}
