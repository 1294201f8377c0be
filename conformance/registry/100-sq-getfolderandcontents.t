# ITI-18 GetFolderAndContents: the folder and its two entries
test = sq-getfolderandcontents
title = ITI-18 GetFolderAndContents: the folder and its two entries
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.RegistryPackage = 1
expect.count.ExtrinsicObject = 2
expect.count.Association = 2
---
@{query id=urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7}
@{slot name=$XDSFolderEntryUUID value='$uuid:f1'}
@{query-end}
