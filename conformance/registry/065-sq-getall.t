# ITI-18 GetAll: every entry, set, folder and association of the patient
test = sq-getall
title = ITI-18 GetAll: every entry, set, folder and association of the patient
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.ExtrinsicObject = 4
expect.count.RegistryPackage = 5
expect.count.Association = 9
---
@{query id=urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3}
@{slot name=$patientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{slot name=$XDSSubmissionSetStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{slot name=$XDSFolderStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
