# ITI-18 FindDocuments: the community's two entries, each with its home
test = find
title = ITI-18 FindDocuments: the community's two entries, each with its home
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Success
expect.error = none
expect.count.ExtrinsicObject = 2
expect.home = present
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
