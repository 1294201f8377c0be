# The repository registered the document's SHA-1 and size
test = hash-size-registered
title = The repository registered the document's SHA-1 and size
actor = repository
send = ITI-18
target = registry
needs = provide-one
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.slot = $uid:d1 hash $sha1:d1
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:d1')}
@{query-end}
