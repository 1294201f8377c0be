# GetDocuments by logicalId: both versions, the first Deprecated with
# versionName 1, the new one Approved with versionName 2
test = mu-document-versions
title = ITI-18 GetDocuments by logicalId: version 1 Deprecated, version 2 Approved
actor = registry
option = metadata-update
send = ITI-18
needs = mu-update-document
expect.status = Success
expect.count.ExtrinsicObject = 2
expect.objstatus = $uuid:d30 Deprecated
expect.objstatus = $uuid:d31 Approved
expect.version = $uuid:d30 1
expect.version = $uuid:d31 2
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryLogicalID value=('$uuid:d30')}
@{slot name=$MetadataLevel value=2}
@{query-end}
