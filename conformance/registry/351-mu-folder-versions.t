# GetFolders by logicalId: both versions, version 1 Deprecated, 2 Approved
test = mu-folder-versions
title = ITI-18 GetFolders by logicalId: version 1 Deprecated, version 2 Approved
actor = registry
option = metadata-update
send = ITI-18
needs = mu-update-folder
expect.status = Success
expect.count.RegistryPackage = 2
expect.objstatus = $uuid:f30 Deprecated
expect.objstatus = $uuid:f31 Approved
expect.version = $uuid:f30 1
expect.version = $uuid:f31 2
---
@{query id=urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4}
@{slot name=$XDSFolderLogicalID value=('$uuid:f30')}
@{slot name=$MetadataLevel value=2}
@{query-end}
