# ITI-18 GetDocumentsAndAssociations
test = sq-getdocumentsandassociations
title = ITI-18 GetDocumentsAndAssociations
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.count.Association = 2
---
@{query id=urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a}
@{slot name=$XDSDocumentEntryEntryUUID value=('$uuid:d1')}
@{query-end}
