# ITI-18 FindDocumentsByReferenceId with a reference no entry has: none
test = sq-finddocumentsbyreferenceid
title = ITI-18 FindDocumentsByReferenceId with a reference no entry has: none
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.ExtrinsicObject = 0
---
@{query id=urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{slot name=$XDSDocumentEntryReferenceIdList value=('no-such-ref^^^&amp;1.2.3&amp;ISO^urn:ihe:iti:xds:2013:accession')}
@{query-end}
