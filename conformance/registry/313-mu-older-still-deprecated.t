# ... and the older version is still Deprecated ($MetadataLevel 2: at
# level 1, the default, a registry leaves versions that are not the
# latest out of every answer, ITI TF-2a 3.18.4.1.2.3.5)
test = mu-older-still-deprecated
title = ITI-18 GetDocuments: the older version is still Deprecated
actor = registry
option = metadata-update
send = ITI-18
needs = mu-update-document
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.objstatus = $uuid:d30 Deprecated
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d30')}
@{slot name=$MetadataLevel value=2}
@{query-end}
