# ITI-18 FindDocuments of Deprecated entries: the replaced one
test = sq-finddocuments-deprecated
title = ITI-18 FindDocuments of Deprecated entries: the replaced one
actor = registry
send = ITI-18
needs = replace
expect.status = Success
expect.count.ExtrinsicObject = 1
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')}
@{query-end}
