# FindDocuments with two patient ids in the single-valued parameter
test = sq-param-number
title = FindDocuments with two patient ids in the single-valued parameter
actor = registry
send = ITI-18
expect.status = Failure
expect.error = XDSStoredQueryParamNumber
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value=('$patient','$patient2')}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
