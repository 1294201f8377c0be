# ITI-18 GetRelatedDocuments: the entry and its addendum
test = sq-getrelateddocuments
title = ITI-18 GetRelatedDocuments: the entry and its addendum
actor = registry
send = ITI-18
needs = append
expect.status = Success
expect.count.ExtrinsicObject = 2
expect.count.Association = 1
---
@{query id=urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6}
@{slot name=$XDSDocumentEntryEntryUUID value='$uuid:d1'}
@{slot name=$AssociationTypes value=('urn:ihe:iti:2007:AssociationType:APND')}
@{query-end}
