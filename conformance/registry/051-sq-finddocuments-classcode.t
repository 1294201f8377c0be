# ITI-18 FindDocuments with $XDSDocumentEntryClassCode: one entry
test = sq-finddocuments-classcode
title = ITI-18 FindDocuments with $XDSDocumentEntryClassCode: one entry
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.ExtrinsicObject = 1
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{slot name=$XDSDocumentEntryClassCode value=('LAB^^1.3.6.1.4.1.19376.1.2.6.1')}
@{query-end}
