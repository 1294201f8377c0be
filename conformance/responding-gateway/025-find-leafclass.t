# ITI-38 FindDocuments, LeafClass: two entries, each with home
test = find-leafclass
title = ITI-38 FindDocuments, LeafClass: two entries, each with home
actor = responding-gateway
send = ITI-38
needs = load
expect.status = Success
expect.count.ExtrinsicObject = 2
expect.home = present
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
