# ITI-18 GetDocuments with home: asked of that community
test = getdocuments
title = ITI-18 GetDocuments with home: asked of that community
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Success
expect.count.ExtrinsicObject = 1
expect.home = $home
---
@{query-home id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4 home=$home}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:g1')}
@{query-end}
