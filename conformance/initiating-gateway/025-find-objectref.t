# ITI-18 FindDocuments, ObjectRef: two references with home
test = find-objectref
title = ITI-18 FindDocuments, ObjectRef: two references with home
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Success
expect.count.ObjectRef = 2
expect.home = present
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d rt=ObjectRef}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
