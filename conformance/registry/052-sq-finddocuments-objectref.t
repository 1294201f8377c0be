# ITI-18 FindDocuments, returnType ObjectRef: four references
test = sq-finddocuments-objectref
title = ITI-18 FindDocuments, returnType ObjectRef: four references
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.ObjectRef = 4
expect.count.ExtrinsicObject = 0
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d rt=ObjectRef}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
