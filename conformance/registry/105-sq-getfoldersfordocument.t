# ITI-18 GetFoldersForDocument
test = sq-getfoldersfordocument
title = ITI-18 GetFoldersForDocument
actor = registry
send = ITI-18
needs = folder-new
expect.status = Success
expect.count.RegistryPackage = 1
---
@{query id=urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578}
@{slot name=$XDSDocumentEntryEntryUUID value='$uuid:d4'}
@{query-end}
