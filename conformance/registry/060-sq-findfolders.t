# ITI-18 FindFolders: one Folder
test = sq-findfolders
title = ITI-18 FindFolders: one Folder
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.RegistryPackage = 1
---
@{query id=urn:uuid:958f3006-baad-4929-a4de-ff1114824431}
@{slot name=$XDSFolderPatientId value='$patient'}
@{slot name=$XDSFolderStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
