# FindDocuments without $XDSDocumentEntryStatus
test = sq-missing-param
title = FindDocuments without $XDSDocumentEntryStatus
actor = registry
send = ITI-18
expect.status = Failure
expect.error = XDSStoredQueryMissingParam
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{query-end}
