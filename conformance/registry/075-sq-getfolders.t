# ITI-18 GetFolders by $XDSFolderEntryUUID
test = sq-getfolders
title = ITI-18 GetFolders by $XDSFolderEntryUUID
actor = registry
send = ITI-18
needs = folder-new
expect.status = Success
expect.count.RegistryPackage = 1
---
@{query id=urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4}
@{slot name=$XDSFolderEntryUUID value=('$uuid:f1')}
@{query-end}
